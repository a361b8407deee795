package schema

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		method, path string
		op           string // METHOD /template; "" for an error
		send         string
		vars         map[string]string
		errHas       string
	}{
		{"GET", "/nodes/pve1/qemu/100/firewall/rules", "GET /nodes/{node}/qemu/{vmid}/firewall/rules",
			"/nodes/pve1/qemu/100/firewall/rules", map[string]string{"node": "pve1", "vmid": "100"}, ""},
		{"get", "/api2/json/cluster/ha/resources/", "GET /cluster/ha/resources", "/cluster/ha/resources", map[string]string{}, ""},
		{"DELETE", "/nodes/pve1/storage/local/content/local:iso/debian-12.iso", "DELETE /nodes/{node}/storage/{storage}/content/{volume}",
			"/nodes/pve1/storage/local/content/local:iso%2Fdebian-12.iso",
			map[string]string{"node": "pve1", "storage": "local", "volume": "local:iso/debian-12.iso"}, ""},
		{"GET", "/nodes/pve1/storage/local/content/local:iso%2Fdebian-12.iso", "GET /nodes/{node}/storage/{storage}/content/{volume}",
			"/nodes/pve1/storage/local/content/local:iso%2Fdebian-12.iso",
			map[string]string{"node": "pve1", "storage": "local", "volume": "local:iso/debian-12.iso"}, ""},
		{"GET", "/nodes/pve1/tasks/UPID:pve1:000A1B2C:01C3D4E5:6740F00D:qmstart:100:root@pam!mcp:/status", "GET /nodes/{node}/tasks/{upid}/status",
			"/nodes/pve1/tasks/UPID:pve1:000A1B2C:01C3D4E5:6740F00D:qmstart:100:root@pam%21mcp:/status",
			map[string]string{"node": "pve1", "upid": "UPID:pve1:000A1B2C:01C3D4E5:6740F00D:qmstart:100:root@pam!mcp:"}, ""},
		{"POST", "/cluster/resources", "", "", nil, "/cluster/resources has only GET"},
		{"GET", "/nodes/pve1/qemu/100/firewall/rule", "", "", nil, "closest: GET,POST /nodes/{node}/qemu/{vmid}/firewall/rules"},
		{"GET", "/nodes/pve1/qemu/99/config", "", "", nil, "vmid: invalid format - value does not look like a valid VM ID"},
		{"GET", "/nodes/-pve/status", "", "", nil, "node: invalid format"},
		{"GET", "/nodes/pve1/qemu/100%2F..%2F101/config", "", "", nil, "escaped '/'"},
		{"GET", "/nodes/pve1/qemu/100/config?x=1", "", "", nil, "query or fragment"},
		{"GET", "/nodes/pve1/qemu/100/config#x", "", "", nil, "query or fragment"},
		{"GET", "/nodes/../cluster/resources", "", "", nil, `".."`},
		{"GET", "/nodes/%2e%2e/status", "", "", nil, `".."`},
		{"GET", "/nodes//status", "", "", nil, "empty segment"},
		{"GET", "nodes/pve1/status", "", "", nil, "must start with /"},
		{"GET", "/nodes/pve1/status%", "", "", nil, "bad %-escape"},
		{"GET", "/nodes/pve%0a1/status", "", "", nil, "control characters"},
		{"GET", "/nodes/pve 1/status", "", "", nil, "white space"},
		{"PATCH", "/version", "", "", nil, "GET, POST, PUT or DELETE"},
		{"DELETE", "/nodes/pve1/storage/local/content/local:iso/../../etc/passwd", "", "", nil, `"." or ".."`},
		{"GET", "/", "", "", nil, "names no operation"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			got, err := Match(tt.method, tt.path)
			if tt.op == "" {
				if err == nil {
					t.Fatalf("matched %s", got.Op.Key())
				}
				var pe *PathError
				if !errors.As(err, &pe) {
					t.Fatalf("error %T, want *PathError", err)
				}
				if !strings.Contains(err.Error(), tt.errHas) {
					t.Errorf("error %q lacks %q", err, tt.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Op.Key() != tt.op || got.Path != tt.send {
				t.Errorf("got %s, path %s; want %s, %s", got.Op.Key(), got.Path, tt.op, tt.send)
			}
			if diff := cmp.Diff(tt.vars, got.Vars); diff != "" {
				t.Errorf("vars (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMatchMethodsAtTemplate(t *testing.T) {
	_, err := Match("PUT", "/nodes/pve1/qemu/100/firewall/rules")
	var pe *PathError
	if !errors.As(err, &pe) {
		t.Fatal(err)
	}
	if pe.Template != "/nodes/{node}/qemu/{vmid}/firewall/rules" || !cmp.Equal(pe.Methods, []string{"GET", "POST"}) {
		t.Errorf("template %q methods %v", pe.Template, pe.Methods)
	}
}

// TestEveryTemplateMatchesItself: each template, with its variables filled, matches back to itself.
func TestEveryTemplateMatchesItself(t *testing.T) {
	for _, o := range Operations() {
		segs := make([]string, len(o.segs))
		copy(segs, o.segs)
		for i, s := range segs {
			if name, ok := varName(s); ok {
				segs[i] = "x" + name
			}
		}
		op, vars, ok := Route(o.Method, segs)
		if !ok || op != o {
			t.Errorf("Route(%s %v) = %v, %v", o.Method, segs, op, ok)
			continue
		}
		for _, p := range o.PathParams() {
			if vars[p.Name] != "x"+p.Name {
				t.Errorf("%s: var %s = %q", o.Key(), p.Name, vars[p.Name])
			}
		}
	}
}

func TestRoute(t *testing.T) {
	if _, _, ok := Route("GET", []string{"nodes", "pve1", "nothing"}); ok {
		t.Error("routed a path no template has")
	}
	if _, _, ok := Route("POST", []string{"version"}); ok {
		t.Error("routed a method the template lacks")
	}
	op, vars, ok := Route("GET", []string{"nodes", "pve1", "storage", "local", "content", "local:iso", "x.iso"})
	if !ok || op.Path != "/nodes/{node}/storage/{storage}/content/{volume}" || vars["volume"] != "local:iso/x.iso" {
		t.Errorf("volume route: %v %v %v", op, vars, ok)
	}
	if _, _, ok := Route("GET", []string{"nodes", "pve 1", "status"}); ok {
		t.Error("a variable with white space matched (RESTHandler's \\S+)")
	}
}
