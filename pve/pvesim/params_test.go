package pvesim

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestValidateParams runs PVE's checks against the generated schema tables: one error per bad parameter,
// with PVE's texts (format errors end in a newline, as the die in the format check does).
func TestValidateParams(t *testing.T) {
	base := func(kv ...string) map[string]string {
		m := map[string]string{"node": "pve1", "vmid": "100"}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name     string
		endpoint string
		params   map[string]string
		want     map[string]string
	}{
		{"valid", "POST /nodes/{node}/qemu/{vmid}/status/stop", base("timeout", "30", "skiplock", "0"), nil},
		{"unknown parameter", "POST /nodes/{node}/lxc/{vmid}/status/stop", base("bogus", "1"),
			map[string]string{"bogus": "property is not defined in schema and the schema does not allow additional properties"}},
		{"missing required", "POST /nodes/{node}/qemu/{vmid}/snapshot", base(),
			map[string]string{"snapname": "property is missing and it is not optional"}},
		{"boolean spelled true", "POST /nodes/{node}/qemu/{vmid}/status/shutdown", base("forceStop", "true"),
			map[string]string{"forceStop": "type check ('boolean') failed - got 'true'"}},
		{"integer", "POST /nodes/{node}/qemu/{vmid}/status/stop", base("timeout", "abc"),
			map[string]string{"timeout": "type check ('integer') failed - got 'abc'"}},
		{"minimum", "POST /nodes/{node}/qemu/{vmid}/status/stop", base("timeout", "-1"),
			map[string]string{"timeout": "value must have a minimum value of 0"}},
		{"container memory minimum", "POST /nodes/{node}/lxc", base("ostemplate", "local:vztmpl/x.tar.zst", "memory", "8"),
			map[string]string{"memory": "value must have a minimum value of 16"}},
		{"enumeration", "GET /nodes/{node}/qemu/{vmid}/rrddata", base("timeframe", "decade"),
			map[string]string{"timeframe": "value 'decade' does not have a value in the enumeration 'hour, day, week, month, year'"}},
		{"vmid format before range", "GET /nodes/{node}/qemu/{vmid}/config", base("vmid", "99"),
			map[string]string{"vmid": "invalid format - value does not look like a valid VM ID\n"}},
		{"vmid above range", "GET /nodes/{node}/qemu/{vmid}/config", base("vmid", "1000000000"),
			map[string]string{"vmid": "invalid format - value does not look like a valid VM ID\n"}},
		{"node format", "GET /nodes/{node}/status", map[string]string{"node": "-pve"},
			map[string]string{"node": "invalid format - value does not look like a valid node name\n"}},
		{"storage id", "GET /nodes/{node}/storage/{storage}/content", map[string]string{"node": "pve1", "storage": "1bad"},
			map[string]string{"storage": "invalid format - storage ID '1bad' contains illegal characters\n"}},
		{"snapshot name format", "POST /nodes/{node}/qemu/{vmid}/snapshot", base("snapname", "1snap"),
			map[string]string{"snapname": "invalid format - invalid configuration ID '1snap'\n"}},
		{"snapshot name of one letter", "POST /nodes/{node}/qemu/{vmid}/snapshot", base("snapname", "a"),
			map[string]string{"snapname": "invalid format - invalid configuration ID 'a'\n"}},
		{"snapshot name too long", "POST /nodes/{node}/qemu/{vmid}/snapshot", base("snapname", "s"+strings.Repeat("x", 40)),
			map[string]string{"snapname": "value may only be 40 characters long"}},
		{"all errors at once", "POST /nodes/{node}/qemu/{vmid}/snapshot", base("vmid", "abc", "vmstate", "yes", "x", "1"),
			map[string]string{
				"snapname": "property is missing and it is not optional",
				"vmid":     "type check ('integer') failed - got 'abc'",
				"vmstate":  "type check ('boolean') failed - got 'yes'",
				"x":        "property is not defined in schema and the schema does not allow additional properties",
			}},
		{"numbered parameter in range", "POST /nodes/{node}/qemu", base("net31", "virtio,bridge=vmbr0", "scsi30", "local-lvm:4"), nil},
		{"numbered parameter out of range", "POST /nodes/{node}/qemu", base("net32", "virtio", "scsi31", "local-lvm:4", "net01", "virtio"),
			map[string]string{
				"net01":  "property is not defined in schema and the schema does not allow additional properties",
				"net32":  "property is not defined in schema and the schema does not allow additional properties",
				"scsi31": "property is not defined in schema and the schema does not allow additional properties",
			}},
		{"property string: unknown key", "POST /nodes/{node}/qemu", base("net0", "virtio,bridge=vmbr0,colour=red"),
			map[string]string{"net0": "invalid format - invalid key in comma-separated list property: colour\n"}},
		{"property string: missing default key", "POST /nodes/{node}/qemu", base("net0", "bridge=vmbr0"),
			map[string]string{"net0": "invalid format - format error\nnet0.model: property is missing and it is not optional\n"}},
		{"property string: key alias with a bad MAC", "POST /nodes/{node}/qemu", base("net0", "virtio=zz,bridge=vmbr0"),
			map[string]string{"net0": "invalid format - format error\nnet0.macaddr: invalid format - value does not look like a valid unicast MAC address\n\n"}},
		{"property string: range", "POST /nodes/{node}/qemu", base("net0", "virtio,bridge=vmbr0,tag=5000"),
			map[string]string{"net0": "invalid format - format error\nnet0.tag: value must have a maximum value of 4094\n"}},
		{"property string: boolean words", "POST /nodes/{node}/qemu", base("net0", "virtio,bridge=vmbr0,firewall=yes"), nil},
		{"property string: enumeration", "POST /nodes/{node}/qemu", base("net0", "rtl9999,bridge=vmbr0"),
			map[string]string{"net0": "invalid format - format error\nnet0.model: value 'rtl9999' does not have a value in the enumeration 'e1000, e1000-82540em, e1000-82544gc, e1000-82545em, e1000e, i82551, i82557b, i82559er, ne2k_isa, ne2k_pci, pcnet, rtl8139, virtio, vmxnet3'\n"}},
		{"qemu memory property string minimum", "POST /nodes/{node}/qemu", base("memory", "8"),
			map[string]string{"memory": "invalid format - format error\nmemory.current: value must have a minimum value of 16\n"}},
		{"tag list", "POST /nodes/{node}/qemu", base("tags", "web;prod db,x"), nil},
		{"bad tag", "POST /nodes/{node}/qemu", base("tags", "web;bad!tag"),
			map[string]string{"tags": "invalid format - invalid characters in tag\n"}},
		{"vmid list", "POST /nodes/{node}/vzdump", map[string]string{"node": "pve1", "vmid": "100,abc"},
			map[string]string{"vmid": "invalid format - value does not look like a valid VM ID\n"}},
		{"pattern", "POST /nodes/{node}/qemu", base("parallel0", "/dev/tty0"),
			map[string]string{"parallel0": "value does not match the regex pattern"}},
		{"repeated scalar", "POST /nodes/{node}/qemu/{vmid}/status/stop", base("timeout", "1\x002"),
			map[string]string{"timeout": "type check ('integer') failed - got '1\x002'"}},
		{"task status filter list", "GET /nodes/{node}/tasks", map[string]string{"node": "pve1", "statusfilter": "ok,bogus"},
			map[string]string{"statusfilter": "invalid format - invalid status 'bogus'\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			specs, ok := endpointParams[tt.endpoint]
			if !ok {
				t.Fatalf("no schema for %s", tt.endpoint)
			}
			got := validateParams(specs, tt.params)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEveryRouteHasASchema(t *testing.T) {
	for _, rt := range routes {
		if _, ok := endpointParams[rt.key]; !ok {
			t.Errorf("route %s has no parameter table", rt.key)
		}
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
