package tools

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/proxmox-mcp/proxmox-mcp/pve/pvesim"
	"github.com/proxmox-mcp/proxmox-mcp/pve/schema"
)

// FuzzAPITools sends hostile paths, parameter names and values (traversal, escaped slashes, queries,
// controls, look-alikes, numbers in every spelling) through proxmox_api_get and, with every gate condition
// met, proxmox_api_call. Whatever they are, every request that reaches the simulated cluster stays inside a
// template of its method (the oracle compares segments with the schema's templates as text, not with the
// matcher), carries only parameters its operation declares, with values of their declared type, and a read
// never sends anything but GETs.
func FuzzAPITools(f *testing.F) {
	for _, s := range []struct{ method, path, name, value string }{
		{"POST", "/cluster/firewall/rules", "action", "ACCEPT"},
		{"GET", "/cluster/resources", "type", "vm"},
		{"PUT", "/nodes/pve1/qemu/100/config", "memory", "2048"},
		{"DELETE", "/nodes/pve1/storage/local/content/local:iso%2Fx.iso", "delay", "5"},
		{"POST", "/nodes/pve1/../../access/acl", "roles", "Administrator"},
		{"PUT", "/nodes/pve1%2F..%2Faccess/acl", "path", "/"},
		{"GET", "/api2/json/nodes/pve1/status", "x", "1"},
		{"POST", "/nodes/pve1/qemu/100/status/start?skiplock=1", "skiplock", "1"},
		{"DELETE", "/nodes/pve1/qemu/100", "purge", "true"},
		{"POST", "/nodes/pve1/qemu/100/agent/exec", "command", "id"},
		{"POST", "/nodes/рve1/qemu/100/status/stop", "timeout", "1e3"},
		{"PUT", "/cluster/firewall/options", "enable", "01"},
		{"POST", "/nodes/pve1/lxc/200/firewall/ipset/lan/192.0.2.0%2F24", "comment", "a\nb"},
		{"GET", "/nodes/pve1/tasks/UPID:pve1:00001234:00005678:6740F00D:qmstart:100:root@pam:/status", "", ""},
	} {
		f.Add(s.method, s.path, s.name, s.value)
	}
	h := newHarness(f, harnessOpts{destructive: true, cluster: pvesim.Default()})
	ops := schema.Operations()
	f.Fuzz(func(t *testing.T, method, path, name, value string) {
		params := map[string]any{}
		if name != "" {
			params[name] = value
			if n, err := json.Number(value).Int64(); err == nil {
				params[name] = n
			}
		}
		h.sim.ResetLog()
		get, _ := json.Marshal(map[string]any{"path": path, "params": params})
		h.call(t, "proxmox_api_get", string(get))
		for _, r := range h.sim.Requests() {
			if r.Method != "GET" {
				t.Fatalf("proxmox_api_get sent %s %s", r.Method, r.RawPath)
			}
		}
		checkLogged(t, h.sim.Requests(), ops)
		h.sim.ResetLog()
		call, _ := json.Marshal(map[string]any{"method": method, "path": path, "params": params, "confirm": true, "destructive": true})
		h.call(t, "proxmox_api_call", string(call))
		checkLogged(t, h.sim.Requests(), ops)
	})
}

var (
	integerText = regexp.MustCompile(`^-?[0-9]+$`)
	numberText  = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$`)
)

// checkLogged is the fuzz oracle: each logged request matches, segment for segment, a template of its
// method (fixed segments equal, variables non-empty, no "." or ".."), and each parameter is declared by that
// template's operation with a value of its type.
func checkLogged(t *testing.T, reqs []pvesim.Request, ops []*schema.Operation) {
	t.Helper()
	for _, r := range reqs {
		if strings.Contains(r.Path, "/tasks/") && r.Method == "GET" && strings.HasSuffix(r.Path, "/status") {
			continue // a write's task being followed
		}
		raw := strings.TrimPrefix(r.RawPath, "/api2/json")
		if strings.ContainsAny(raw, "?#") || !strings.HasPrefix(raw, "/") {
			t.Fatalf("request path %q", r.RawPath)
		}
		segs := strings.Split(raw[1:], "/")
		var op *schema.Operation
		best := -1
		for _, o := range ops {
			tmpl := strings.Split(o.Path[1:], "/")
			if o.Method == r.Method && inside(segs, tmpl) && fixed(tmpl) > best {
				op, best = o, fixed(tmpl) // PVE prefers a fixed segment to a variable one
			}
		}
		if op == nil {
			t.Fatalf("%s %s is inside no template of its method", r.Method, r.RawPath)
		}
		for _, vals := range []url.Values{r.Query, r.Form} {
			for k, vs := range vals {
				p := declared(op, k)
				if p == nil {
					t.Fatalf("%s %s sent %q, which %s does not declare", r.Method, r.RawPath, k, op.Key())
				}
				for _, v := range vs {
					switch p.Type {
					case "boolean":
						if v != "0" && v != "1" {
							t.Fatalf("%s: boolean %s sent as %q", op.Key(), k, v)
						}
					case "integer":
						if !integerText.MatchString(v) {
							t.Fatalf("%s: integer %s sent as %q", op.Key(), k, v)
						}
					case "number":
						if !numberText.MatchString(v) {
							t.Fatalf("%s: number %s sent as %q", op.Key(), k, v)
						}
					}
					if len(p.Enum) > 0 && !contains(p.Enum, v) {
						t.Fatalf("%s: %s sent as %q, not one of %v", op.Key(), k, v, p.Enum)
					}
				}
			}
		}
	}
}

// inside: a concrete path's segments fit a template's, its variables neither empty nor "." or "..".
func inside(segs, tmpl []string) bool {
	if len(segs) != len(tmpl) {
		return false
	}
	for i, s := range segs {
		u, err := url.PathUnescape(s)
		switch {
		case err != nil:
			return false
		case strings.HasPrefix(tmpl[i], "{"):
			if u == "" || u == "." || u == ".." || strings.ContainsAny(s, "/") {
				return false
			}
		case s != tmpl[i]:
			return false
		}
	}
	return true
}

// declared finds the parameter a name is, numbered ones included (net3 is net[n]), by the schema's data.
func declared(op *schema.Operation, name string) *schema.Param {
	for _, p := range op.Params {
		if p.Name == name {
			return p
		}
		if rest, ok := strings.CutPrefix(name, p.Name); ok && p.Count > 0 && integerText.MatchString(rest) {
			return p
		}
	}
	return nil
}

func fixed(tmpl []string) int {
	n := 0
	for _, s := range tmpl {
		if !strings.HasPrefix(s, "{") {
			n++
		}
	}
	return n
}
