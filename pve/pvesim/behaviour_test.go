package pvesim

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestBehaviours reproduces where Proxmox reports each failure: at once (a 4xx/5xx) or as a task that fails.
func TestBehaviours(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(s *Sim)
		method     string
		path       string
		params     url.Values
		wantStatus int    // for an immediate error
		wantReason string // for an immediate error
		wantExit   string // for a task: its exit status
	}{
		{name: "start a running VM: the task fails", method: "POST", path: "/nodes/pve1/qemu/100/status/start",
			wantExit: "VM 100 already running"},
		{name: "start a running CT: 500", method: "POST", path: "/nodes/pve1/lxc/200/status/start",
			wantStatus: 500, wantReason: "CT 200 already running"},
		{name: "start a stopped VM", method: "POST", path: "/nodes/pve2/qemu/103/status/start", wantExit: "OK"},
		{name: "stop a stopped VM: the task succeeds", method: "POST", path: "/nodes/pve2/qemu/103/status/stop", wantExit: "OK"},
		{name: "shut down a stopped VM: the task succeeds", method: "POST", path: "/nodes/pve2/qemu/103/status/shutdown", wantExit: "OK"},
		{name: "stop a stopped CT: 500", method: "POST", path: "/nodes/pve3/lxc/204/status/stop",
			wantStatus: 500, wantReason: "CT 204 not running"},
		{name: "shut down a stopped CT: 500", method: "POST", path: "/nodes/pve3/lxc/204/status/shutdown",
			wantStatus: 500, wantReason: "CT 204 not running"},
		{name: "reboot a stopped VM: 500", method: "POST", path: "/nodes/pve2/qemu/103/status/reboot",
			wantStatus: 500, wantReason: "VM 103 not running"},
		{name: "reboot a stopped CT: 500 says VM, as pve-container does", method: "POST", path: "/nodes/pve3/lxc/204/status/reboot",
			wantStatus: 500, wantReason: "VM 204 not running"},
		{name: "reboot a running CT", method: "POST", path: "/nodes/pve2/lxc/201/status/reboot", wantExit: "OK"},
		{name: "start a template VM", method: "POST", path: "/nodes/pve1/qemu/9000/status/start",
			wantStatus: 500, wantReason: "you can't start a vm if it's a template"},
		{name: "start a template CT", setup: func(s *Sim) { _ = s.SetGuestConfig(204, "template", "1") },
			method: "POST", path: "/nodes/pve3/lxc/204/status/start",
			wantStatus: 500, wantReason: "you can't start a CT if it's a template"},
		{name: "destroy a running VM", method: "DELETE", path: "/nodes/pve1/qemu/100",
			wantStatus: 500, wantReason: "VM 100 is running - destroy failed"},
		{name: "destroy a running CT", method: "DELETE", path: "/nodes/pve1/lxc/200",
			wantStatus: 500, wantReason: "unable to destroy CT 200 - container is running"},
		{name: "force-destroy a running CT", method: "DELETE", path: "/nodes/pve1/lxc/200", params: params("force", "1"), wantExit: "OK"},
		{name: "destroy a protected VM", setup: func(s *Sim) { _ = s.SetGuestConfig(103, "protection", "1") },
			method: "DELETE", path: "/nodes/pve2/qemu/103",
			wantStatus: 500, wantReason: "can't remove VM 103 - protection mode enabled"},
		{name: "snapshot name taken", method: "POST", path: "/nodes/pve2/qemu/102/snapshot", params: params("snapname", "weekly"),
			wantStatus: 500, wantReason: "snapshot name 'weekly' already used"},
		{name: "snapshot name reserved", method: "POST", path: "/nodes/pve2/qemu/102/snapshot", params: params("snapname", "current"),
			wantStatus: 500, wantReason: "unable to use snapshot name 'current' (reserved name)"},
		{name: "delete an unknown snapshot", method: "DELETE", path: "/nodes/pve2/qemu/102/snapshot/nope",
			wantStatus: 500, wantReason: "snapshot 'nope' does not exist"},
		{name: "roll back to an unknown snapshot", method: "POST", path: "/nodes/pve3/lxc/203/snapshot/nope/rollback",
			wantStatus: 500, wantReason: "snapshot 'nope' does not exist"},
		{name: "clone to a vmid taken on the same node", method: "POST", path: "/nodes/pve1/qemu/9000/clone", params: params("newid", "100"),
			wantStatus: 500, wantReason: "unable to create VM 100: config file already exists"},
		{name: "clone to a vmid taken elsewhere", method: "POST", path: "/nodes/pve1/qemu/9000/clone", params: params("newid", "203"),
			wantStatus: 500, wantReason: "CT 203 already exists on node 'pve3'"},
		{name: "linked clone of a non-template", method: "POST", path: "/nodes/pve1/qemu/100/clone", params: params("newid", "150", "full", "0"),
			wantStatus: 500, wantReason: "Linked clone feature is not supported for drive 'scsi0'"},
		{name: "clone to another node from local storage", method: "POST", path: "/nodes/pve1/qemu/9000/clone", params: params("newid", "150", "target", "pve2"),
			wantStatus: 500, wantReason: "can't clone VM to node 'pve2' (VM uses local storage)"},
		{name: "full clone of a running CT", method: "POST", path: "/nodes/pve1/lxc/200/clone", params: params("newid", "150"),
			wantStatus: 500, wantReason: "Cannot do full clones on a running container without snapshots"},
		{name: "create a VM with a taken vmid", method: "POST", path: "/nodes/pve1/qemu", params: params("vmid", "100"),
			wantStatus: 500, wantReason: "unable to create VM 100 - VM 100 already exists on node 'pve1'"},
		{name: "create a CT with a taken vmid", method: "POST", path: "/nodes/pve2/lxc",
			params:     params("vmid", "200", "ostemplate", "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"),
			wantStatus: 500, wantReason: "CT 200 already exists on node 'pve1'"},
		{name: "create a CT from a missing template", method: "POST", path: "/nodes/pve1/lxc",
			params:     params("vmid", "150", "ostemplate", "local:vztmpl/nope.tar.zst", "rootfs", "local-lvm:8"),
			wantStatus: 500, wantReason: "can't find file 'local:vztmpl/nope.tar.zst'"},
		{name: "create a CT on a storage without container directories", method: "POST", path: "/nodes/pve1/lxc",
			params:     params("vmid", "150", "ostemplate", "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"),
			wantStatus: 400, wantReason: "Parameter verification failed."},
		{name: "create a VM with a disk on a storage without images", method: "POST", path: "/nodes/pve1/qemu",
			params:     params("vmid", "150", "scsi0", "local:8"),
			wantStatus: 500, wantReason: "storage 'local' does not support vm images"},
		{name: "create a VM in a missing pool", method: "POST", path: "/nodes/pve1/qemu", params: params("vmid", "150", "pool", "nope"),
			wantStatus: 500, wantReason: "pool 'nope' does not exist"},
		{name: "operate a locked VM", method: "POST", path: "/nodes/pve3/qemu/106/status/start",
			wantStatus: 500, wantReason: "VM is locked (backup)"},
		{name: "snapshot a locked VM", method: "POST", path: "/nodes/pve3/qemu/106/snapshot", params: params("snapname", "s1"),
			wantStatus: 500, wantReason: "VM is locked (backup)"},
		{name: "destroy a locked VM", method: "DELETE", path: "/nodes/pve3/qemu/106",
			wantStatus: 500, wantReason: "VM is locked (backup)"},
		{name: "operate a locked CT", setup: func(s *Sim) { _ = s.SetGuestConfig(204, "lock", "backup") },
			method: "POST", path: "/nodes/pve3/lxc/204/status/start", wantStatus: 500, wantReason: "CT is locked (backup)"},
		{name: "skiplock is for root@pam only", method: "POST", path: "/nodes/pve1/qemu/100/status/stop", params: params("skiplock", "1"),
			wantStatus: 400, wantReason: "Parameter verification failed."},
		{name: "backup of a guest on another node answers OK", method: "POST", path: "/nodes/pve2/vzdump",
			params: params("vmid", "100", "storage", "nas-backup"), wantStatus: 200},
		{name: "backup without guests", method: "POST", path: "/nodes/pve1/vzdump", params: params("storage", "nas-backup"),
			wantStatus: 400, wantReason: "Parameter verification failed."},
		{name: "backup to a storage without backups", method: "POST", path: "/nodes/pve1/vzdump", params: params("vmid", "100", "storage", "local-lvm"),
			wantStatus: 500, wantReason: "storage 'local-lvm' does not support backups"},
		{name: "backup of a locked guest: the job fails", method: "POST", path: "/nodes/pve3/vzdump",
			params: params("vmid", "106,203", "storage", "nas-backup"), wantExit: "job errors"},
		{name: "next free vmid: taken", method: "GET", path: "/cluster/nextid", params: params("vmid", "100"),
			wantStatus: 400, wantReason: "Parameter verification failed."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			if tt.setup != nil {
				tt.setup(e.srv.Sim)
			}
			before := len(e.srv.Tasks())
			r := e.request(tt.method, tt.path, adminAuth, tt.params)
			if tt.wantExit == "" {
				if r.status != tt.wantStatus || (tt.wantReason != "" && r.reason != tt.wantReason) {
					t.Fatalf("got %d %q %s, want %d %q", r.status, r.reason, r.body, tt.wantStatus, tt.wantReason)
				}
				if n := len(e.srv.Tasks()); n != before {
					t.Errorf("an immediate answer started %d task(s)", n-before)
				}
				return
			}
			if r.status != 200 {
				t.Fatalf("got %d %q, want a task", r.status, r.reason)
			}
			var upid string
			r.data(t, &upid)
			e.clock.Advance(time.Minute)
			if got := e.finish(upid); got != tt.wantExit {
				t.Errorf("task exit %q, want %q", got, tt.wantExit)
			}
			log := e.taskLog(upid)
			if want := taskEndLine(tt.wantExit); log[len(log)-1] != want {
				t.Errorf("log ends %q, want %q", log[len(log)-1], want)
			}
		})
	}
}

// taskLog reads a task's whole log.
func (e *env) taskLog(upid string) []string {
	e.t.Helper()
	node := strings.Split(upid, ":")[1]
	var lines []struct {
		N int    `json:"n"`
		T string `json:"t"`
	}
	e.get("/nodes/"+node+"/tasks/"+url.PathEscape(upid)+"/log", params("limit", "0")).data(e.t, &lines)
	out := make([]string, len(lines))
	for i, l := range lines {
		if l.N != i+1 {
			e.t.Fatalf("log line %d numbered %d", i+1, l.N)
		}
		out[i] = l.T
	}
	return out
}
