package pve

import (
	"context"
	"errors"
	"net/http"
	"testing"
)

// TestReadOnlyContextNeverWrites: every write the package can describe, submitted with a ReadOnly context
// (what the tools give every read and every dry run), is refused before it is sent: nothing reaches the
// server, and the error says why. Reads in the same context go through.
func TestReadOnlyContextNeverWrites(t *testing.T) {
	c, rec, _ := newTestServer(t, func(r *http.Request) answer {
		if r.Method == "GET" {
			return ok(`{"version":"9.1.3","release":"9.1","repoid":"abc"}`)
		}
		return ok(`"` + testUPID + `"`)
	}, WithRetries(0, 0))
	ctx := ReadOnly(context.Background())
	vm := GuestRef{Node: "pve1", Type: Qemu, VMID: 100}
	ct := GuestRef{Node: "pve1", Type: LXC, VMID: 200}
	writes := map[string]func() (Request, error){
		"start":           func() (Request, error) { return PowerRequest(vm, ActionStart, 0, false) },
		"shutdown":        func() (Request, error) { return PowerRequest(ct, ActionShutdown, 60, true) },
		"reboot":          func() (Request, error) { return PowerRequest(vm, ActionReboot, 0, false) },
		"stop":            func() (Request, error) { return PowerRequest(vm, ActionStop, 0, false) },
		"snapshot":        func() (Request, error) { return SnapshotRequest(vm, "before", "", true) },
		"delete snapshot": func() (Request, error) { return DeleteSnapshotRequest(ct, "before") },
		"rollback":        func() (Request, error) { return RollbackRequest(vm, "before", true) },
		"clone":           func() (Request, error) { return CloneRequest(vm, CloneOptions{NewID: 150}) },
		"destroy":         func() (Request, error) { return DestroyRequest(ct, true) },
		"backup":          func() (Request, error) { return BackupRequest(vm, BackupOptions{}) },
		"create vm":       func() (Request, error) { return CreateVMRequest("pve1", VMSpec{VMID: 130, Disk: "local-lvm:8"}) },
		"create ct": func() (Request, error) {
			return CreateContainerRequest("pve1", ContainerSpec{VMID: 230, OSTemplate: "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"})
		},
	}
	for name, build := range writes {
		req, err := build()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !req.IsWrite() {
			t.Fatalf("%s: %s does not count as a write", name, req)
		}
		if _, err := c.Submit(ctx, req); !errors.Is(err, ErrReadOnly) {
			t.Errorf("%s in a read-only context: error %v, want ErrReadOnly", name, err)
		}
	}
	if got := rec.all(); len(got) != 0 {
		t.Fatalf("%d writes reached the server from a read-only context, the first %s %s", len(got), got[0].Method, got[0].Path)
	}
	if v, err := c.Version(ctx); err != nil || v.Version != "9.1.3" {
		t.Errorf("a read in a read-only context: %+v, %v", v, err)
	}
	if got := rec.all(); len(got) != 1 || got[0].Method != "GET" {
		t.Errorf("a read in a read-only context: %v, want one GET", got)
	}
}
