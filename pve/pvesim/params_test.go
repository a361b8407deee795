package pvesim

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mcp/proxmox-mcp/pve/schema"
)

// TestEveryRouteIsASchemaOperation: the modelled routes are operations of the schema, so validation,
// permissions and the class table cover them.
func TestEveryRouteIsASchemaOperation(t *testing.T) {
	for key := range routes() {
		method, path, _ := strings.Cut(key, " ")
		if schema.Lookup(method, path) == nil {
			t.Errorf("route %s is not in the schema", key)
		}
	}
	if len(routes()) < 60 {
		t.Errorf("only %d modelled routes", len(routes()))
	}
}

// TestParameterSources: JSON bodies, query overriding body, and path parameters given twice.
func TestParameterSources(t *testing.T) {
	tests := []struct {
		name        string
		path        string // may carry a query string
		contentType string
		body        string
		wantStatus  int
		wantBody    string // exact, for errors
	}{
		{name: "JSON body", path: "/nodes/pve2/qemu/102/snapshot", contentType: "application/json",
			body: `{"snapname":"viajson","vmstate":true,"description":"from JSON"}`, wantStatus: 200},
		{name: "JSON body with an unknown member", path: "/nodes/pve2/qemu/102/snapshot", contentType: "application/json",
			body: `{"snapname":"viajson","bogus":1}`, wantStatus: 400,
			wantBody: `{"data":null,"errors":{"bogus":"property is not defined in schema and the schema does not allow additional properties"},"message":"Parameter verification failed.\n"}`},
		{name: "broken JSON", path: "/nodes/pve2/qemu/102/snapshot", contentType: "application/json",
			body: `{"snapname":`, wantStatus: 400},
		{name: "query overrides body", path: "/nodes/pve2/qemu/102/snapshot?snapname=1bad", contentType: "application/x-www-form-urlencoded",
			body: "snapname=good", wantStatus: 400,
			wantBody: `{"data":null,"errors":{"snapname":"invalid format - invalid configuration ID '1bad'\n"},"message":"Parameter verification failed.\n"}`},
		{name: "path parameter again with another value", path: "/nodes/pve1/qemu/100/status/stop", contentType: "application/x-www-form-urlencoded",
			body: "vmid=101", wantStatus: 400,
			wantBody: `{"data":null,"errors":{"vmid":"duplicate parameter (already defined in URI)"},"message":"Parameter verification failed.\n"}`},
		{name: "path parameter again with the same value", path: "/nodes/pve1/qemu/100/status/stop", contentType: "application/x-www-form-urlencoded",
			body: "vmid=100", wantStatus: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			req, err := http.NewRequest("POST", e.srv.URL+"/api2/json"+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", tt.contentType)
			req.Header.Set("Authorization", adminAuth)
			r := e.send(req)
			if r.status != tt.wantStatus {
				t.Fatalf("got %d %s %s, want %d", r.status, r.reason, r.body, tt.wantStatus)
			}
			if tt.wantBody != "" {
				if diff := cmp.Diff(tt.wantBody, string(r.body)); diff != "" {
					t.Errorf("body (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestJSONBodyReachesTheCluster: a JSON boolean counts as 1, and the snapshot carries the JSON description.
func TestJSONBodyReachesTheCluster(t *testing.T) {
	e := newEnv(t, nil)
	req, _ := http.NewRequest("POST", e.srv.URL+"/api2/json/nodes/pve2/qemu/102/snapshot",
		strings.NewReader(`{"snapname":"viajson","vmstate":true,"description":"from JSON"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", adminAuth)
	r := e.send(req)
	var upid string
	r.data(t, &upid)
	if exit := e.finish(upid); exit != "OK" {
		t.Fatalf("snapshot task: %s", exit)
	}
	var snaps []map[string]any
	e.get("/nodes/pve2/qemu/102/snapshot", nil).data(t, &snaps)
	var got map[string]any
	for _, s := range snaps {
		if s["name"] == "viajson" {
			got = s
		}
	}
	if got == nil {
		t.Fatalf("snapshot viajson missing from %v", snaps)
	}
	if got["description"] != "from JSON" || got["vmstate"].(interface{ String() string }).String() != "1" {
		t.Errorf("snapshot %v: want description from JSON and vmstate 1", got)
	}
	reqs := e.srv.Writes()
	if diff := cmp.Diff([]string{"from JSON"}, reqs[len(reqs)-1].Form["description"]); diff != "" {
		t.Errorf("logged form (-want +got):\n%s", diff)
	}
}
