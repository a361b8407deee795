package pvesim

import (
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
