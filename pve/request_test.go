package pve_test

import (
	"reflect"
	"testing"

	"github.com/proxmox-mcp/proxmox-mcp/pve"
)

// TestRawRequestsStayInside: no other package can describe a request of its own (every field of Request is
// unexported, so only pve's validated builders fill one) or send one without a builder (Client has no Do):
// only Submit, Read and Write take a Request, and each sends what a builder (or NewAPIRequest) described.
func TestRawRequestsStayInside(t *testing.T) {
	rt := reflect.TypeFor[pve.Request]()
	for i := range rt.NumField() {
		if f := rt.Field(i); f.IsExported() {
			t.Errorf("pve.Request has the exported field %s: other packages could build any request", f.Name)
		}
	}
	ct := reflect.TypeFor[*pve.Client]()
	for i := range ct.NumMethod() {
		m := ct.Method(i)
		if m.Type.NumIn() < 2 {
			continue
		}
		for j := 1; j < m.Type.NumIn(); j++ {
			if m.Type.In(j) == rt && m.Name != "Submit" && m.Name != "Read" && m.Name != "Write" {
				t.Errorf("Client.%s takes a pve.Request: only Submit, Read and Write may (they send what a builder described)", m.Name)
			}
		}
	}
	if _, ok := ct.MethodByName("Do"); ok {
		t.Error("Client.Do is exported: the raw request path must stay inside pve")
	}
}

// TestRequestAccessors: a built request shows what it will send, and showing it cannot change it.
func TestRequestAccessors(t *testing.T) {
	req, err := pve.SnapshotRequest(pve.GuestRef{Node: "pve1", Type: pve.Qemu, VMID: 100}, "before-upgrade", "", false)
	if err != nil {
		t.Fatal(err)
	}
	if req.Method() != "POST" || req.Path() != "/nodes/pve1/qemu/100/snapshot" || req.Params().Get("snapname") != "before-upgrade" {
		t.Fatalf("got %s %s %v", req.Method(), req.Path(), req.Params())
	}
	p := req.Params()
	p.Set("snapname", "other")
	p.Set("vmstate", "1")
	if got := req.Params(); got.Get("snapname") != "before-upgrade" || got.Has("vmstate") {
		t.Errorf("changing what Params returned changed the request: %v", got)
	}
}
