package pvesim

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestMigratePreconditions: GET …/migrate reports what qemu-server would check, without a task or a lock.
func TestMigratePreconditions(t *testing.T) {
	e := newEnv(t, nil)
	var p struct {
		Running        int      `json:"running"`
		Allowed        []string `json:"allowed_nodes"`
		LocalResources []string `json:"local_resources"`
		LocalDisks     []struct {
			VolID string `json:"volid"`
			Size  int64  `json:"size"`
			CDROM int    `json:"cdrom"`
		} `json:"local_disks"`
	}
	e.get("/nodes/pve2/qemu/103/migrate", nil).data(t, &p)
	var disks []string
	for _, d := range p.LocalDisks {
		disks = append(disks, d.VolID)
	}
	if p.Running != 0 || !cmp.Equal(p.Allowed, []string{"pve1", "pve3"}) || !cmp.Equal(p.LocalResources, []string{"hostpci0"}) ||
		!cmp.Equal(disks, []string{"local-lvm:vm-103-disk-0", "local:iso/virtio-win-0.1.271.iso", "local-lvm:vm-103-disk-1", "local-lvm:vm-103-disk-2"}) {
		t.Errorf("103: %+v", p)
	}
	if len(e.srv.Writes()) != 0 {
		t.Error("the preconditions wrote")
	}
	var ct map[string]any
	e.get("/nodes/pve1/lxc/200/migrate", nil).data(t, &ct)
	if ct["running"].(interface{ String() string }).String() != "1" || ct["allowed-nodes"] == nil {
		t.Errorf("200: %v", ct)
	}
}

// TestMigrate: the refusals made before a task, the failures inside it, and a migration that moves the guest
// and its local volumes.
func TestMigrate(t *testing.T) {
	e := newEnv(t, nil)
	refusals := []struct {
		path   string
		params map[string]string
		status int
		reason string
	}{
		{"/nodes/pve2/qemu/102/migrate", map[string]string{"target": "pve2"}, 400, "Parameter verification failed."},
		{"/nodes/pve2/qemu/102/migrate", map[string]string{"target": "pve9"}, 500, "no such cluster node 'pve9'"},
		{"/nodes/pve2/qemu/102/migrate", map[string]string{"target": "pve3"}, 500, "can't migrate running VM without --online"},
		{"/nodes/pve1/qemu/101/migrate", map[string]string{"target": "pve3", "online": "1"}, 500, "can't migrate VM which uses local devices: usb0"},
		{"/nodes/pve3/qemu/106/migrate", map[string]string{"target": "pve1"}, 500, "VM is locked (backup)"},
		{"/nodes/pve1/lxc/200/migrate", map[string]string{"target": "pve2"}, 500, "can't migrate running container without --online or --restart"},
	}
	for _, tc := range refusals {
		v := params()
		for k, x := range tc.params {
			v.Set(k, x)
		}
		if r := e.post(tc.path, v); r.status != tc.status || r.reason != tc.reason {
			t.Errorf("%s %v: %d %q, want %d %q", tc.path, tc.params, r.status, r.reason, tc.status, tc.reason)
		}
	}
	for _, ts := range e.srv.Tasks() {
		if strings.HasSuffix(ts.Type, "migrate") {
			t.Errorf("a refused migration started task %s", ts.UPID)
		}
	}
	// online without its local disks: the task fails and nothing moves
	upid := e.upid("POST", "/nodes/pve2/qemu/102/migrate", params("target", "pve3", "online", "1"))
	if g, _ := e.srv.Guest(102); g.Lock != "migrate" {
		t.Errorf("during the migration: lock %q", g.Lock)
	}
	if exit := e.finish(upid); exit != "migration aborted" || !strings.Contains(strings.Join(e.taskLog(upid), "\n"), "without with-local-disks option") {
		t.Errorf("online without local disks: %s %v", exit, e.taskLog(upid))
	}
	if g, _ := e.srv.Guest(102); g.Node != "pve2" || g.Lock != "" {
		t.Errorf("after a failed migration: %+v", g)
	}
	// with them it moves, running, with its volumes
	upid = e.upid("POST", "/nodes/pve2/qemu/102/migrate", params("target", "pve3", "online", "1", "with-local-disks", "1"))
	if exit := e.finish(upid); exit != "OK" {
		t.Fatalf("migration: %s %v", exit, e.taskLog(upid))
	}
	g, _ := e.srv.Guest(102)
	if g.Node != "pve3" || g.Status != "running" || g.Lock != "" {
		t.Errorf("after the migration: %+v", g)
	}
	if r := e.get("/nodes/pve2/qemu/102/status/current", nil); r.status != 500 {
		t.Errorf("the old node still has it: %d", r.status)
	}
	var content []map[string]any
	e.get("/nodes/pve3/storage/local-lvm/content", params("vmid", "102")).data(t, &content)
	if len(content) != 2 {
		t.Errorf("the volumes on pve3: %v", content)
	}
	// a container moves by restart
	upid = e.upid("POST", "/nodes/pve1/lxc/200/migrate", params("target", "pve2", "restart", "1"))
	if exit := e.finish(upid); exit != "OK" {
		t.Fatalf("container migration: %s", exit)
	}
	if g, _ := e.srv.Guest(200); g.Node != "pve2" || g.Status != "running" {
		t.Errorf("container after the migration: %+v", g)
	}
	// to an offline node the task fails
	e.srv.SetNodeOnline("pve1", false)
	upid = e.upid("POST", "/nodes/pve3/lxc/204/migrate", params("target", "pve1"))
	if exit := e.finish(upid); exit != "migration aborted" {
		t.Errorf("to an offline node: %s", exit)
	}
}

// TestMigrateCDROMs: GET …/migrate and the task agree on CD-ROM drives, as qemu-server has them: a cloud-init
// drive on local storage is listed with cdrom set and migrates (a generated disk, copied even for a running
// VM without with-local-disks), an ISO on local storage is listed the same way and aborts the task.
func TestMigrateCDROMs(t *testing.T) {
	type listed struct {
		VolID  string `json:"volid"`
		CDROM  int    `json:"cdrom"`
		Unused int    `json:"is_unused"`
	}
	tests := []struct {
		name   string
		vmid   int
		node   string
		ide2   string   // set before, when not ""
		params []string // nil: the VM is stopped first, and migrates offline
		disks  []listed
		exit   string
		log    []string // the task log's last lines
	}{
		{"running, cloud-init drive, with its local disks", 104, "pve3", "", []string{"online", "1", "with-local-disks", "1"},
			[]listed{{VolID: "local-lvm:vm-104-cloudinit", CDROM: 1}, {VolID: "local-lvm:vm-104-disk-0"}}, "OK",
			[]string{"found generated disk 'local-lvm:vm-104-cloudinit' (in current VM config)", "found local volume 'local-lvm:vm-104-disk-0' (in current VM config)"}},
		{"running, cloud-init drive, without its local disks", 104, "pve3", "", []string{"online", "1"},
			[]listed{{VolID: "local-lvm:vm-104-cloudinit", CDROM: 1}, {VolID: "local-lvm:vm-104-disk-0"}}, "migration aborted",
			[]string{"WARN: can't migrate local disk 'local-lvm:vm-104-disk-0': can't live migrate attached local disks without with-local-disks option",
				"ERROR: Problem found while scanning volumes - can't migrate VM - check log",
				"ERROR: migration aborted (duration 00:00:01): Problem found while scanning volumes - can't migrate VM - check log"}},
		{"stopped, a cloud-init drive", 105, "pve3", "", nil,
			[]listed{{VolID: "local-lvm:vm-105-cloudinit", CDROM: 1}, {VolID: "local-lvm:vm-105-disk-0"}}, "OK",
			[]string{"found generated disk 'local-lvm:vm-105-cloudinit' (in current VM config)", "found local volume 'local-lvm:vm-105-disk-0' (in current VM config)"}},
		{"stopped, a local ISO", 105, "pve3", "local:iso/virtio-win-0.1.271.iso,media=cdrom", nil,
			[]listed{{VolID: "local:iso/virtio-win-0.1.271.iso", CDROM: 1}, {VolID: "local-lvm:vm-105-disk-0"}}, "migration aborted",
			[]string{"WARN: can't migrate local disk 'local:iso/virtio-win-0.1.271.iso': local cdrom image",
				"ERROR: Problem found while scanning volumes - can't migrate VM - check log",
				"ERROR: migration aborted (duration 00:00:01): Problem found while scanning volumes - can't migrate VM - check log"}},
		{"stopped, the drive ejected", 105, "pve3", "none,media=cdrom", nil,
			[]listed{{VolID: "local-lvm:vm-105-disk-0"}}, "OK", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			if tc.params == nil {
				// stopped, so that a change of the drive is in the config at once, not pending
				e.finish(e.upid("POST", fmt.Sprintf("/nodes/%s/qemu/%d/status/stop", tc.node, tc.vmid), nil))
			}
			if tc.ide2 != "" {
				if r := e.put(fmt.Sprintf("/nodes/%s/qemu/%d/config", tc.node, tc.vmid), map[string]string{"ide2": tc.ide2}); r.status != 200 {
					t.Fatalf("set ide2: %d %s", r.status, r.reason)
				}
			}
			var p struct {
				LocalDisks []listed `json:"local_disks"`
			}
			e.get(fmt.Sprintf("/nodes/%s/qemu/%d/migrate", tc.node, tc.vmid), params("target", "pve1")).data(t, &p)
			if diff := cmp.Diff(tc.disks, p.LocalDisks); diff != "" {
				t.Errorf("local_disks (-want +got)\n%s", diff)
			}
			upid := e.upid("POST", fmt.Sprintf("/nodes/%s/qemu/%d/migrate", tc.node, tc.vmid), params(append([]string{"target", "pve1"}, tc.params...)...))
			if exit := e.finish(upid); exit != tc.exit {
				t.Errorf("exit %q, want %q: %v", exit, tc.exit, e.taskLog(upid))
			}
			log := e.taskLog(upid)
			for i, l := range log {
				if strings.HasPrefix(l, "migration finished") || strings.HasPrefix(l, "TASK ") {
					log = log[:i] // the lines before the task's end
					break
				}
			}
			if len(log) >= len(tc.log) {
				log = log[len(log)-len(tc.log):]
			}
			if diff := cmp.Diff(tc.log, log); tc.log != nil && diff != "" {
				t.Errorf("task log (-want +got)\n%s", diff)
			}
			g, _ := e.srv.Guest(tc.vmid)
			if want := map[bool]string{true: "pve1", false: tc.node}[tc.exit == "OK"]; g.Node != want {
				t.Errorf("afterwards on %s, want %s", g.Node, want)
			}
		})
	}
}
