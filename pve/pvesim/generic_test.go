package pvesim

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mcp/proxmox-mcp/pve/schema"
)

// TestUnmodelledReads: an operation the simulator keeps no state for answers the same data every time,
// shaped by its returns schema, and a directory index lists the paths below it.
func TestUnmodelledReads(t *testing.T) {
	e := newEnv(t, nil)
	a := e.get("/nodes/pve1/disks/list", nil)
	b := e.get("/nodes/pve1/disks/list", nil)
	if a.status != 200 || string(a.body) != string(b.body) {
		t.Fatalf("two reads: %d %s / %s", a.status, a.body, b.body)
	}
	var disks []map[string]any
	a.data(t, &disks)
	if len(disks) != 1 || disks[0]["devpath"] == nil || disks[0]["size"] == nil {
		t.Errorf("disks: %v; want one entry with the returns schema's members", disks)
	}
	var index []map[string]string
	e.get("/nodes/pve1", nil).data(t, &index)
	var got []string
	for _, it := range index {
		got = append(got, it["name"])
	}
	want, _ := schema.Children("/nodes/{node}")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("node index (-want +got):\n%s", diff)
	}
	var status []map[string]any
	e.get("/nodes/pve2/ceph/osd/3/metadata", nil).data(t, &struct{}{})
	e.get("/cluster/ha/status/current", nil).data(t, &status)
	if len(status) != 1 || status[0]["node"] != "pve1" {
		t.Errorf("HA status: %v; want one entry naming the answering node", status)
	}
}

// TestUnmodelledWrites: a write the simulator does not model answers what its schema says: a UPID whose
// task ends OK, or null; it is logged once and changes nothing.
func TestUnmodelledWrites(t *testing.T) {
	e := newEnv(t, nil)
	state := func() string {
		return string(e.get("/nodes/pve2/qemu/102/config", nil).body) + string(e.get("/cluster/ha/resources", nil).body)
	}
	before := state()
	upid := e.upid("POST", "/nodes/pve2/qemu/102/status/suspend", nil)
	if !strings.Contains(upid, ":qmsuspend:102:"+DefaultTokenID+":") || !strings.HasPrefix(upid, "UPID:pve2:") {
		t.Errorf("suspend UPID %s", upid)
	}
	if exit := e.finish(upid); exit != "OK" {
		t.Errorf("suspend task: %s", exit)
	}
	if r := e.request("PUT", "/cluster/options", adminAuth, params("keyboard", "de")); r.status != 200 || string(r.body) != `{"data":null}` {
		t.Errorf("PUT /cluster/options: %d %s", r.status, r.body)
	}
	upid = e.upid("POST", "/nodes/pve1/ceph/start", nil)
	if !strings.Contains(upid, ":cephstart::") {
		t.Errorf("ceph start UPID %s", upid)
	}
	e.finish(upid)
	if after := state(); after != before {
		t.Error("unmodelled writes changed the guest's configuration or the HA resources")
	}
	var writes []string
	for _, w := range e.srv.Writes() {
		writes = append(writes, w.Method+" "+w.Path)
	}
	want := []string{"POST /nodes/pve2/qemu/102/status/suspend", "PUT /cluster/options", "POST /nodes/pve1/ceph/start"}
	if diff := cmp.Diff(want, writes); diff != "" {
		t.Errorf("logged writes (-want +got):\n%s", diff)
	}
}

// TestRootOnlyAndTicketOnly: what a token may never do answers as PVE answers it.
func TestRootOnlyAndTicketOnly(t *testing.T) {
	e := newEnv(t, nil)
	r := e.request("PUT", "/nodes/pve1/disks/wipedisk", adminAuth, params("disk", "/dev/sdb"))
	if r.status != 403 || r.reason != "Permission check failed (user != root@pam)" {
		t.Errorf("wipedisk with a token: %d %s", r.status, r.reason)
	}
	r = e.request("PUT", "/access/password", adminAuth, params("userid", "root@pam", "password", "correct horse battery"))
	if r.status != 403 || !strings.Contains(r.reason, "URI '/access/password' not available with API token") {
		t.Errorf("password change with a token: %d %s", r.status, r.reason)
	}
	r = e.request("POST", "/nodes/pve1/qemu/101/status/suspend", readOnlyAuth, nil)
	if r.status != 403 || r.reason != "Permission check failed (/vms/101, VM.PowerMgmt)" {
		t.Errorf("an auditor suspending: %d %s", r.status, r.reason)
	}
}
