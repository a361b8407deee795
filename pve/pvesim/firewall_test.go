package pvesim

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// ruleSummary lists a rule set as "pos action type comment".
func ruleSummary(t *testing.T, e *env, path string) []string {
	t.Helper()
	r := e.get(path, nil)
	if r.status != 200 {
		t.Fatalf("GET %s: %d %s", path, r.status, r.reason)
	}
	var rules []map[string]any
	r.data(t, &rules)
	var out []string
	digest := ""
	for _, ru := range rules {
		s := ru["pos"].(interface{ String() string }).String() + " " + ru["type"].(string) + " " + ru["action"].(string)
		if c, ok := ru["comment"].(string); ok {
			s += " " + c
		}
		out = append(out, s)
		if digest == "" {
			digest = ru["digest"].(string)
		}
		if ru["digest"] != digest {
			t.Errorf("rules carry different digests: %v", rules)
		}
	}
	return out
}

// TestFirewallRuleRoundTrip: a rule created with a POST is listed by the GET, on top, disabled unless said
// otherwise; it can be read, changed, moved and deleted by position, as pve-firewall does it.
func TestFirewallRuleRoundTrip(t *testing.T) {
	e := newEnv(t, nil)
	base := "/nodes/pve1/qemu/101/firewall/rules"
	if diff := cmp.Diff([]string{"0 in ACCEPT Home Assistant UI"}, ruleSummary(t, e, base)); diff != "" {
		t.Fatalf("seeded rules (-want +got):\n%s", diff)
	}
	before := len(e.srv.Writes())
	if r := e.post(base, params("type", "in", "action", "DROP", "proto", "tcp", "dport", "23", "comment", "no telnet")); r.status != 200 || string(r.body) != `{"data":null}` {
		t.Fatalf("create: %d %s %s", r.status, r.reason, r.body)
	}
	if n := len(e.srv.Writes()) - before; n != 1 {
		t.Errorf("%d writes logged for one create", n)
	}
	if diff := cmp.Diff([]string{"0 in DROP no telnet", "1 in ACCEPT Home Assistant UI"}, ruleSummary(t, e, base)); diff != "" {
		t.Errorf("after create (-want +got):\n%s", diff)
	}
	var rule map[string]any
	e.get(base+"/0", nil).data(t, &rule)
	if rule["enable"].(interface{ String() string }).String() != "0" || rule["dport"] != "23" || rule["proto"] != "tcp" {
		t.Errorf("the new rule: %v", rule)
	}
	steps := []struct {
		method, path string
		params       []string
		status       int
		body         string
	}{
		{"PUT", base + "/0", []string{"enable", "1", "delete", "comment"}, 200, ""},
		{"PUT", base + "/0", []string{"moveto", "2"}, 200, ""},
		{"GET", base + "/5", nil, 500, `{"data":null,"message":"no rule at position 5\n"}`},
		{"POST", base, []string{"type", "in", "action", "ALLOW"}, 400, `{"data":null,"errors":{"action":"unknown action 'ALLOW'"},"message":"Parameter verification failed.\n"}`},
		{"POST", base, []string{"type", "forward", "action", "ACCEPT"}, 400, `{"data":null,"errors":{"type":"invalid rule type 'forward' for rule_env 'vm'"},"message":"Parameter verification failed.\n"}`},
		{"POST", base, []string{"type", "group", "action", "nosuchgroup"}, 400, `{"data":null,"errors":{"action":"no such security group 'nosuchgroup'"},"message":"Parameter verification failed.\n"}`},
		{"POST", base, []string{"type", "in", "action", "ACCEPT", "iface", "eth0"}, 400, `{"data":null,"errors":{"iface":"value does not match the regex pattern 'net\\d+'"},"message":"Parameter verification failed.\n"}`},
		{"POST", base, []string{"type", "in", "action", "ACCEPT", "digest", "00"}, 500, `{"data":null,"message":"detected modified configuration - file changed by other user? Try again.\n"}`},
		{"POST", "/nodes/pve2/qemu/101/firewall/rules", []string{"type", "in", "action", "ACCEPT"}, 500, `{"data":null,"message":"Configuration file 'nodes/pve2/qemu-server/101.conf' does not exist\n"}`},
	}
	for _, s := range steps {
		r := e.request(s.method, s.path, adminAuth, params(s.params...))
		if r.status != s.status || s.body != "" && string(r.body) != s.body {
			t.Errorf("%s %s %v: %d %s", s.method, s.path, s.params, r.status, r.body)
		}
	}
	if diff := cmp.Diff([]string{"0 in ACCEPT Home Assistant UI", "1 in DROP"}, ruleSummary(t, e, base)); diff != "" {
		t.Errorf("after changing and moving (-want +got):\n%s", diff)
	}
	if r := e.del(base+"/1", nil); r.status != 200 {
		t.Errorf("delete: %d %s", r.status, r.reason)
	}
	if diff := cmp.Diff([]string{"0 in ACCEPT Home Assistant UI"}, ruleSummary(t, e, base)); diff != "" {
		t.Errorf("after delete (-want +got):\n%s", diff)
	}
	// other scopes are their own rule sets
	if diff := cmp.Diff([]string{"0 in ACCEPT web GUI from the LAN", "1 in ACCEPT SSH from the LAN"}, ruleSummary(t, e, "/cluster/firewall/rules")); diff != "" {
		t.Errorf("cluster rules (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"0 in ACCEPT DNS"}, ruleSummary(t, e, "/nodes/pve1/lxc/200/firewall/rules")); diff != "" {
		t.Errorf("container rules (-want +got):\n%s", diff)
	}
}

func TestSecurityGroups(t *testing.T) {
	e := newEnv(t, nil)
	steps := []struct {
		method, path string
		params       []string
		status       int
		reason       string
	}{
		{"POST", "/cluster/firewall/groups", []string{"group", "dbserver", "comment", "PostgreSQL"}, 200, ""},
		{"POST", "/cluster/firewall/groups", []string{"group", "dbserver"}, 400, "Parameter verification failed."},
		{"POST", "/cluster/firewall/groups/dbserver", []string{"type", "in", "action", "ACCEPT", "dport", "5432", "proto", "tcp"}, 200, ""},
		{"POST", "/cluster/firewall/groups/dbserver", []string{"type", "group", "action", "webserver"}, 400, "Parameter verification failed."},
		{"DELETE", "/cluster/firewall/groups/dbserver", nil, 500, "Security group 'dbserver' is not empty"},
		{"GET", "/cluster/firewall/groups/nogroup", nil, 500, "no such security group 'nogroup'"},
		{"POST", "/nodes/pve1/lxc/200/firewall/rules", []string{"type", "group", "action", "dbserver", "enable", "1"}, 200, ""},
		{"DELETE", "/cluster/firewall/groups/dbserver/0", nil, 200, ""},
		{"DELETE", "/cluster/firewall/groups/dbserver", nil, 200, ""},
	}
	for _, s := range steps {
		r := e.request(s.method, s.path, adminAuth, params(s.params...))
		if r.status != s.status || s.reason != "" && r.reason != s.reason {
			t.Errorf("%s %s %v: %d %q, want %d %q", s.method, s.path, s.params, r.status, r.reason, s.status, s.reason)
		}
	}
	var groups []map[string]any
	e.get("/cluster/firewall/groups", nil).data(t, &groups)
	if len(groups) != 1 || groups[0]["group"] != "webserver" || groups[0]["comment"] != "HTTP and HTTPS" {
		t.Errorf("groups: %v", groups)
	}
	if diff := cmp.Diff([]string{"0 group dbserver", "1 in ACCEPT DNS"}, ruleSummary(t, e, "/nodes/pve1/lxc/200/firewall/rules")); diff != "" {
		t.Errorf("container rules (-want +got):\n%s", diff)
	}
}
