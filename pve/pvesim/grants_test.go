package pvesim

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestGrantOnPath: a privilege granted on a pool reaches the pool's guests and no other; one granted on a
// guest reaches that guest; /access/permissions lists every path with what propagates to it.
func TestGrantOnPath(t *testing.T) {
	const id, secret = "ops@pve!lab", "lab-secret-0123456789"
	auth := "PVEAPIToken=" + id + "=" + secret
	e := newEnv(t, nil, WithToken(id, secret, "VM.Audit", "Sys.Audit"),
		WithGrant(id, "/pool/lab", "VM.PowerMgmt"), WithGrant(id, "/vms/101", "VM.Snapshot"), WithGrant(id, "/", "Datastore.Audit"))
	tests := []struct {
		method, path string
		status       int
		reason       string
	}{
		{"POST", "/nodes/pve3/qemu/104/status/shutdown", 200, ""}, // 104 is in pool lab
		{"POST", "/nodes/pve1/qemu/100/status/shutdown", 403, "Permission check failed (/vms/100, VM.PowerMgmt)"},
		{"POST", "/nodes/pve2/qemu/101/snapshot", 400, ""}, // allowed on /vms/101; fails on the missing snapname
		{"POST", "/nodes/pve2/qemu/102/snapshot", 403, "Permission check failed (/vms/102, VM.Snapshot)"},
		{"GET", "/nodes/pve1/storage/local/content", 200, ""}, // granted on "/": everywhere
	}
	for _, tc := range tests {
		r := e.request(tc.method, tc.path, auth, nil)
		if r.status != tc.status || tc.reason != "" && r.reason != tc.reason {
			t.Errorf("%s %s: %d %q, want %d %q", tc.method, tc.path, r.status, r.reason, tc.status, tc.reason)
		}
	}
	var perms map[string]map[string]int
	e.request("GET", "/access/permissions", auth, nil).data(t, &perms)
	base := map[string]int{"Datastore.Audit": 1, "Sys.Audit": 1, "VM.Audit": 1}
	with := func(p string) map[string]int {
		m := map[string]int{p: 1}
		for k, v := range base {
			m[k] = v
		}
		return m
	}
	want := map[string]map[string]int{"/": base, "/pool/lab": with("VM.PowerMgmt"), "/vms/101": with("VM.Snapshot")}
	if diff := cmp.Diff(want, perms); diff != "" {
		t.Errorf("/access/permissions (-want +got)\n%s", diff)
	}
	var one map[string]map[string]int
	e.request("GET", "/access/permissions", auth, params("path", "/vms/104")).data(t, &one)
	if diff := cmp.Diff(map[string]map[string]int{"/vms/104": with("VM.PowerMgmt")}, one); diff != "" {
		t.Errorf("/access/permissions?path=/vms/104 (-want +got)\n%s", diff)
	}
}

// TestServersHaveTheirOwnCertificate: like real clusters, two simulated servers present different
// certificates, so a client pinned to one cannot reach the other.
func TestServersHaveTheirOwnCertificate(t *testing.T) {
	a, b := Serve(New(Default())), Serve(New(Default()))
	defer a.Close()
	defer b.Close()
	if a.Fingerprint == b.Fingerprint || len(a.Fingerprint) != 95 {
		t.Errorf("fingerprints %s and %s", a.Fingerprint, b.Fingerprint)
	}
}
