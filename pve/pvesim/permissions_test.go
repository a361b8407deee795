package pvesim

import (
	"net/url"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// runningBackupUPID is the UPID of the demo's still running backup of media-server (pve3).
func runningBackupUPID(t *testing.T, s *Sim) string {
	t.Helper()
	for _, ts := range s.Tasks() {
		if ts.Type == "vzdump" && ts.Status == "running" {
			return ts.UPID
		}
	}
	t.Fatal("the demo has no running backup")
	return ""
}

// TestReadOnlyTokenCanReadEverything: every read endpoint answers 200 to the auditor token.
func TestReadOnlyTokenCanReadEverything(t *testing.T) {
	e := newEnv(t, nil)
	upid := url.PathEscape(runningBackupUPID(t, e.srv.Sim))
	paths := []string{
		"/version", "/cluster/status", "/cluster/resources", "/cluster/nextid", "/cluster/tasks", "/nodes",
		"/nodes/pve1/status", "/nodes/pve1/rrddata?timeframe=hour", "/nodes/pve1/qemu", "/nodes/pve1/lxc",
		"/nodes/pve1/qemu/100/status/current", "/nodes/pve1/qemu/100/config", "/nodes/pve1/qemu/100/snapshot",
		"/nodes/pve1/qemu/100/rrddata?timeframe=day", "/nodes/pve1/lxc/200/status/current",
		"/nodes/pve3/tasks", "/nodes/pve3/tasks/" + upid + "/status", "/nodes/pve3/tasks/" + upid + "/log",
		"/nodes/pve1/storage", "/nodes/pve1/storage/local/content", "/nodes/pve1/aplinfo", "/access/permissions", "/pools",
	}
	for _, p := range paths {
		u, _ := url.Parse(p)
		if r := e.request("GET", u.Path, readOnlyAuth, u.Query()); r.status != 200 {
			t.Errorf("GET %s: %d %s", p, r.status, r.reason)
		}
	}
}

// TestReadOnlyTokenCannotWrite: every write answers 403 naming the path and privilege PVE checks, and
// nothing changes.
func TestReadOnlyTokenCannotWrite(t *testing.T) {
	e := newEnv(t, nil)
	upid := runningBackupUPID(t, e.srv.Sim)
	tests := []struct {
		method, path string
		params       url.Values
		wantReason   string
	}{
		{"POST", "/nodes/pve1/qemu/100/status/start", nil, "Permission check failed (/vms/100, VM.PowerMgmt)"},
		{"POST", "/nodes/pve1/lxc/200/status/shutdown", nil, "Permission check failed (/vms/200, VM.PowerMgmt)"},
		{"POST", "/nodes/pve2/qemu/102/snapshot", params("snapname", "x1"), "Permission check failed (/vms/102, VM.Snapshot)"},
		{"DELETE", "/nodes/pve2/qemu/102/snapshot/weekly", nil, "Permission check failed (/vms/102, VM.Snapshot)"},
		{"POST", "/nodes/pve2/qemu/102/snapshot/weekly/rollback", nil, "Permission check failed (/vms/102, VM.Snapshot|VM.Snapshot.Rollback)"},
		{"POST", "/nodes/pve1/qemu/9000/clone", params("newid", "150"), "Permission check failed (/vms/9000, VM.Clone)"},
		{"DELETE", "/nodes/pve1/qemu/100", nil, "Permission check failed (/vms/100, VM.Allocate)"},
		{"POST", "/nodes/pve1/qemu", params("vmid", "150"), "Permission check failed (/vms/150, VM.Allocate)"},
		{"POST", "/nodes/pve1/lxc", params("vmid", "150", "ostemplate", "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"),
			"Permission check failed (/vms/150, VM.Allocate)"},
		{"POST", "/nodes/pve1/vzdump", params("vmid", "100", "storage", "nas-backup"), "Permission check failed (/storage/nas-backup, Datastore.AllocateSpace)"},
		{"DELETE", "/nodes/pve3/tasks/" + url.PathEscape(upid), nil, "Permission check failed (/nodes/pve3, Sys.Modify)"},
	}
	before := e.srv.Tasks()
	for _, tt := range tests {
		r := e.request(tt.method, tt.path, readOnlyAuth, tt.params)
		if r.status != 403 || r.reason != tt.wantReason {
			t.Errorf("%s %s: %d %q, want 403 %q", tt.method, tt.path, r.status, r.reason, tt.wantReason)
		}
	}
	if diff := cmp.Diff(before, e.srv.Tasks()); diff != "" {
		t.Errorf("a refused write changed the tasks (-before +after):\n%s", diff)
	}
	if g, _ := e.srv.Guest(106); g.Lock != "backup" {
		t.Errorf("media-server lock %q after a refused task stop, want backup", g.Lock)
	}
}

// TestListsHideWhatTheTokenMayNotSee: lists leave things out silently, single objects answer 403.
func TestListsHideWhatTheTokenMayNotSee(t *testing.T) {
	const vmOnly = "PVEAPIToken=ops@pve!vm=s1"
	const nothing = "PVEAPIToken=ops@pve!none=s2"
	e := newEnv(t, nil,
		WithToken("ops@pve!vm", "s1", "VM.Audit"),
		WithToken("ops@pve!none", "s2"),
		WithToken(DefaultTokenID, DefaultTokenSecret, AdministratorPrivileges()...),
	)
	types := func(auth string) []string {
		var items []map[string]any
		e.request("GET", "/cluster/resources", auth, nil).data(t, &items)
		seen := map[string]bool{}
		for _, it := range items {
			seen[it["type"].(string)] = true
		}
		var out []string
		for k := range seen {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	if diff := cmp.Diff([]string{"lxc", "qemu"}, types(vmOnly)); diff != "" {
		t.Errorf("VM.Audit only: resource types (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"lxc", "node", "pool", "qemu", "sdn", "storage"}, types(adminAuth)); diff != "" {
		t.Errorf("administrator: resource types (-want +got):\n%s", diff)
	}
	if got := types(nothing); len(got) != 0 {
		t.Errorf("no privileges: resource types %v, want none", got)
	}
	var guests []map[string]any
	e.request("GET", "/nodes/pve1/qemu", nothing, nil).data(t, &guests)
	if len(guests) != 0 {
		t.Errorf("no privileges: /nodes/pve1/qemu lists %d guests", len(guests))
	}
	var nodes []map[string]any
	e.request("GET", "/nodes", vmOnly, nil).data(t, &nodes)
	for _, n := range nodes {
		if _, ok := n["mem"]; ok {
			t.Errorf("without Sys.Audit /nodes shows usage of %v", n["node"])
		}
	}
	forbidden := []struct{ path, reason string }{
		{"/cluster/status", "Permission check failed (/, Sys.Audit)"},
		{"/nodes/pve1/status", "Permission check failed (/nodes/pve1, Sys.Audit)"},
		{"/nodes/pve1/storage/local/content", "Permission check failed (/storage/local, Datastore.Audit|Datastore.AllocateSpace)"},
		{"/nodes/pve1/qemu/100/config", "Permission check failed (/vms/100, VM.Audit)"},
	}
	for _, f := range forbidden {
		auth := vmOnly
		if f.path == "/nodes/pve1/qemu/100/config" {
			auth = nothing
		}
		if r := e.request("GET", f.path, auth, nil); r.status != 403 || r.reason != f.reason {
			t.Errorf("GET %s: %d %q, want 403 %q", f.path, r.status, r.reason, f.reason)
		}
	}
}

// TestPermissionCombinations: "any" checks pass with either privilege; clone's "or" fails without details.
func TestPermissionCombinations(t *testing.T) {
	e := newEnv(t, nil,
		WithToken("ops@pve!rollback", "s1", "VM.Audit", "VM.Snapshot.Rollback"),
		WithToken("ops@pve!clone", "s2", "VM.Audit", "VM.Clone"),
	)
	r := e.request("POST", "/nodes/pve2/qemu/102/snapshot/weekly/rollback", "PVEAPIToken=ops@pve!rollback=s1", nil)
	if r.status != 200 {
		t.Errorf("rollback with VM.Snapshot.Rollback only: %d %s", r.status, r.reason)
	}
	r = e.request("POST", "/nodes/pve1/qemu/9000/clone", "PVEAPIToken=ops@pve!clone=s2", params("newid", "150"))
	if r.status != 403 || r.reason != "Permission check failed" {
		t.Errorf("clone without VM.Allocate: %d %q, want 403 \"Permission check failed\"", r.status, r.reason)
	}
}

// TestTaskOwnership: a token without Sys.Audit sees and reads only its own tasks.
func TestTaskOwnership(t *testing.T) {
	const worker = "PVEAPIToken=ops@pve!worker=s1"
	e := newEnv(t, nil, WithToken("ops@pve!worker", "s1", "VM.Audit", "VM.PowerMgmt"), WithToken(DefaultTokenID, DefaultTokenSecret, AdministratorPrivileges()...))
	r := e.request("POST", "/nodes/pve1/qemu/101/status/shutdown", worker, nil)
	var own string
	r.data(t, &own)
	var listed []map[string]any
	e.request("GET", "/nodes/pve1/tasks", worker, params("source", "all")).data(t, &listed)
	if len(listed) != 1 || listed[0]["upid"] != own {
		t.Errorf("worker sees %v, want only its own task %s", listed, own)
	}
	if listed[0]["user"] != "ops@pve" || listed[0]["tokenid"] != "worker" {
		t.Errorf("task user %v tokenid %v, want ops@pve and worker", listed[0]["user"], listed[0]["tokenid"])
	}
	other := ""
	for _, ts := range e.srv.Tasks() {
		if ts.Node == "pve1" && ts.UPID != own {
			other = ts.UPID
		}
	}
	if r := e.request("GET", "/nodes/pve1/tasks/"+url.PathEscape(own)+"/status", worker, nil); r.status != 200 {
		t.Errorf("own task status: %d %s", r.status, r.reason)
	}
	r = e.request("GET", "/nodes/pve1/tasks/"+url.PathEscape(other)+"/log", worker, nil)
	if r.status != 403 || r.reason != "Permission check failed (/nodes/pve1, Sys.Audit)" {
		t.Errorf("someone else's task log: %d %q", r.status, r.reason)
	}
	var all []map[string]any
	e.request("GET", "/cluster/tasks", worker, nil).data(t, &all)
	if len(all) != 0 {
		t.Errorf("/cluster/tasks without Sys.Audit lists %d tasks; PVE compares the task user with the token id and finds none", len(all))
	}
}
