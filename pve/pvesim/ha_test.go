package pvesim

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func haSIDs(t *testing.T, e *env, query string) []string {
	t.Helper()
	r := e.get("/cluster/ha/resources"+query, nil)
	if r.status != 200 {
		t.Fatalf("list: %d %s", r.status, r.reason)
	}
	var list []map[string]any
	r.data(t, &list)
	var out []string
	for _, it := range list {
		out = append(out, it["sid"].(string)+"="+strings.TrimSpace(fmtAny(it["state"])))
		if it["digest"] == nil || it["type"] == nil {
			t.Errorf("entry %v lacks type or digest", it)
		}
	}
	return out
}

func fmtAny(v any) string {
	if v == nil {
		return ""
	}
	return v.(string)
}

func TestHAResources(t *testing.T) {
	e := newEnv(t, nil)
	if diff := cmp.Diff([]string{"ct:200=started", "vm:100=started"}, haSIDs(t, e, "")); diff != "" {
		t.Errorf("default HA resources (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"vm:100=started"}, haSIDs(t, e, "?type=vm")); diff != "" {
		t.Errorf("type=vm (-want +got):\n%s", diff)
	}
	tests := []struct {
		method, path string
		params       []string
		status       int
		reason       string
	}{
		{"POST", "/cluster/ha/resources", []string{"sid", "101", "state", "stopped"}, 200, ""},
		{"POST", "/cluster/ha/resources", []string{"sid", "vm:101"}, 500, "create resource failed: resource ID 'vm:101' already defined"},
		{"POST", "/cluster/ha/resources", []string{"sid", "999"}, 500, "unable to detect SID from VMID - VM/CT 999 does not exist"},
		{"POST", "/cluster/ha/resources", []string{"sid", "ct:101"}, 500, "resource 'ct:101' - guest with ID 101 is not a container"},
		{"POST", "/cluster/ha/resources", []string{"sid", "vm:4242"}, 500, "resource 'vm:4242' does not exist in cluster"},
		{"POST", "/cluster/ha/resources", []string{"sid", "vm 1"}, 400, "Parameter verification failed."},
		{"PUT", "/cluster/ha/resources/vm:100", []string{"state", "disabled", "comment", "maintenance"}, 200, ""},
		{"PUT", "/cluster/ha/resources/vm:100", []string{"digest", "0000"}, 500, "detected modified configuration - file changed by other user? Try again."},
		{"PUT", "/cluster/ha/resources/vm:555", []string{"state", "started"}, 500, "no such resource 'vm:555'"},
		{"DELETE", "/cluster/ha/resources/ct:200", nil, 200, ""},
		{"DELETE", "/cluster/ha/resources/ct:200", nil, 500, "cannot delete service 'ct:200', not HA managed!"},
		{"GET", "/cluster/ha/resources/ct:200", nil, 500, "no such resource 'ct:200'"},
	}
	for _, tt := range tests {
		r := e.request(tt.method, tt.path, adminAuth, params(tt.params...))
		if r.status != tt.status || tt.reason != "" && r.reason != tt.reason {
			t.Errorf("%s %s %v: %d %q, want %d %q", tt.method, tt.path, tt.params, r.status, r.reason, tt.status, tt.reason)
		}
	}
	if diff := cmp.Diff([]string{"vm:100=disabled", "vm:101=stopped"}, haSIDs(t, e, "")); diff != "" {
		t.Errorf("after the changes (-want +got):\n%s", diff)
	}
	var one map[string]any
	e.get("/cluster/ha/resources/100", nil).data(t, &one)
	if one["comment"] != "maintenance" || one["max_restart"].(interface{ String() string }).String() != "2" {
		t.Errorf("GET by vmid: %v", one)
	}
	// the guest list shows the HA state
	var res []map[string]any
	e.get("/cluster/resources", params("type", "vm")).data(t, &res)
	got := map[string]any{}
	for _, g := range res {
		if hs, ok := g["hastate"]; ok {
			got[g["id"].(string)] = hs
		}
	}
	if diff := cmp.Diff(map[string]any{"qemu/100": "disabled", "qemu/101": "stopped"}, got); diff != "" {
		t.Errorf("hastate in /cluster/resources (-want +got):\n%s", diff)
	}
}

func TestHAResourcesNeedSysConsole(t *testing.T) {
	e := newEnv(t, nil)
	if r := e.request("GET", "/cluster/ha/resources", readOnlyAuth, nil); r.status != 200 {
		t.Errorf("an auditor reading HA resources: %d %s", r.status, r.reason)
	}
	r := e.request("POST", "/cluster/ha/resources", readOnlyAuth, params("sid", "vm:101"))
	if r.status != 403 || r.reason != "Permission check failed (/, Sys.Console)" {
		t.Errorf("an auditor creating one: %d %s", r.status, r.reason)
	}
	if len(e.srv.Sim.c.ha) != 2 {
		t.Errorf("the refused create changed the cluster: %d resources", len(e.srv.Sim.c.ha))
	}
}
