package schema

import (
	"errors"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The oracles below are written from pve-common's and the README's rules, not from the code under test.
var oracle = map[string]*regexp.Regexp{
	"node":     regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$`),
	"vmid":     regexp.MustCompile(`^[1-9][0-9]{2,8}$`),
	"storage":  regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9._-]*[a-zA-Z0-9]$`),
	"snapname": regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_-]+$`),
	"pos":      regexp.MustCompile(`^[+-]?[0-9]+$`),
}

// FuzzMatch: whatever the path, an accepted one is rebuilt from its template alone, segment for segment,
// with each variable escaped so it stays one segment, and its variables pass the oracles.
func FuzzMatch(f *testing.F) {
	for _, s := range []string{
		"/nodes/pve1/qemu/100/firewall/rules", "/nodes/pve1/qemu/100/snapshot/before-upgrade/rollback",
		"/nodes/pve1/storage/local/content/local:iso/debian.iso", "/nodes/pve1/storage/local/content/local:iso%2F..%2Fx",
		"/nodes/pve1/qemu/100%2F..%2F101/config", "/nodes/%2e%2e/status", "/nodes/pve1/qemu/100/config?x=1",
		"/api2/json/cluster/resources", "/nodes/pve1/tasks/UPID:pve1:0:0:0:qmstart:100:root@pam:/log",
		"/nodes/pve1/lxc/101/firewall/rules/3", "/access/users/root@pam/token/mcp", "//nodes", "/nodes/pve1/../x",
	} {
		f.Add("GET", s)
		f.Add("DELETE", s)
	}
	f.Fuzz(func(t *testing.T, method, path string) {
		tg, err := Match(method, path)
		if err != nil {
			return
		}
		if strings.ContainsAny(tg.Path, "?# \t\n\r") || strings.Contains(tg.Path, "//") {
			t.Fatalf("%q -> %q holds a query, fragment, space or empty segment", path, tg.Path)
		}
		tsegs := strings.Split(tg.Op.Path, "/")
		psegs := strings.Split(tg.Path, "/")
		if len(tsegs) != len(psegs) {
			t.Fatalf("%q -> %q has %d segments, its template %s %d", path, tg.Path, len(psegs), tg.Op.Path, len(tsegs))
		}
		for i, ts := range tsegs {
			if !strings.HasPrefix(ts, "{") {
				if psegs[i] != ts {
					t.Fatalf("%q -> %q: segment %d is %q, template says %q", path, tg.Path, i, psegs[i], ts)
				}
				continue
			}
			name := ts[1 : len(ts)-1]
			v, err := url.PathUnescape(psegs[i])
			if err != nil || v != tg.Vars[name] {
				t.Fatalf("%q: variable %s escaped as %q does not read back as %q", path, name, psegs[i], tg.Vars[name])
			}
			if v == "" || v == "." || v == ".." || strings.Contains(psegs[i], "/") {
				t.Fatalf("%q: variable %s = %q", path, name, v)
			}
			if name != "volume" && strings.Contains(v, "/") {
				t.Fatalf("%q: variable %s = %q holds a slash", path, name, v)
			}
			for _, part := range strings.Split(v, "/") {
				if part == "." || part == ".." {
					t.Fatalf("%q: variable %s = %q climbs out", path, name, v)
				}
			}
			if re := oracle[name]; re != nil && !re.MatchString(v) {
				t.Fatalf("%q: variable %s = %q fails the oracle %s", path, name, v, re)
			}
			if name == "vmid" {
				if n, _ := strconv.Atoi(v); n < 100 || n > 999999999 {
					t.Fatalf("%q: vmid %s out of range", path, v)
				}
			}
		}
	})
}

// FuzzValidate: for a stop call (timeout integer >= 0, three booleans, a node name), Validate accepts a
// parameter exactly when the oracle does, and sends booleans as 0/1.
func FuzzValidate(f *testing.F) {
	for _, s := range [][2]string{
		{"timeout", "30"}, {"timeout", "-1"}, {"timeout", "+5"}, {"timeout", "1e3"}, {"timeout", " 3"},
		{"skiplock", "true"}, {"skiplock", "2"}, {"keepActive", "0"}, {"overrule-shutdown", "TRUE"},
		{"migratedfrom", "pve2"}, {"migratedfrom", "-pve"}, {"bogus", "1"}, {"node", "pve9"}, {"vmid", "100"},
	} {
		f.Add(s[0], s[1])
	}
	op := Lookup("POST", "/nodes/{node}/qemu/{vmid}/status/stop")
	vars := map[string]string{"node": "pve1", "vmid": "100"}
	booleans := map[string]bool{"skiplock": true, "keepActive": true, "overrule-shutdown": true}
	f.Fuzz(func(t *testing.T, name, value string) {
		send, err := op.Validate(vars, map[string]any{name: value})
		var want bool
		switch {
		case name == "timeout":
			n, perr := strconv.ParseInt(value, 10, 64)
			want = perr == nil && n >= 0 && regexp.MustCompile(`^[+-]?[0-9]+$`).MatchString(value)
			if perr != nil && regexp.MustCompile(`^\+?[0-9]+$`).MatchString(value) {
				want = true // larger than int64: still an integer of at least 0 to PVE
			}
		case booleans[name]:
			l := strings.ToLower(value)
			want = l == "0" || l == "1" || l == "true" || l == "false"
		case name == "migratedfrom":
			want = oracle["node"].MatchString(value)
		case name == "node" || name == "vmid":
			want = value == vars[name]
		}
		if (err == nil) != want {
			t.Fatalf("%s=%q: accepted %v, oracle says %v (%v)", name, value, err == nil, want, err)
		}
		if err != nil {
			return
		}
		if booleans[name] {
			if got := send.Get(name); got != "0" && got != "1" {
				t.Fatalf("%s=%q sent as %q", name, value, got)
			}
		}
		if name == "node" || name == "vmid" {
			if len(send) != 0 {
				t.Fatalf("path variable %s sent as a parameter too", name)
			}
		}
	})
}

// FuzzCheckFormat: no format checker panics on any text, and four agree with the README's rules.
func FuzzCheckFormat(f *testing.F) {
	for _, s := range []string{"", "100", "pve1", "a:b", "1:2:3", "10.0.0.0/24", "fe80::1%eth0", ":", "-", "\x00", "a-", "0-0"} {
		f.Add(s)
	}
	names := make([]string, 0, len(formatRegistry()))
	for name := range formatRegistry() {
		names = append(names, name, name+"-list")
	}
	f.Fuzz(func(t *testing.T, v string) {
		for _, name := range names {
			CheckFormat(name, v)
		}
		for name, re := range map[string]*regexp.Regexp{
			"pve-vmid":       oracle["vmid"],
			"pve-node":       oracle["node"],
			"pve-configid":   regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_-]+$`),
			"pve-storage-id": oracle["storage"],
		} {
			msg, _ := CheckFormat(name, v)
			if (msg == "") != re.MatchString(v) {
				t.Fatalf("%s %q: checker says %q, the oracle %v", name, v, msg, re.MatchString(v))
			}
		}
	})
}

// FuzzPropertyString: qemu's memory is the property string [current=]<integer> with current at least 16;
// the oracle parses it the way parse_property_string is documented to (comma-separated, empty parts
// skipped, one bare value for the default key, key=value otherwise), without the code under test.
func FuzzPropertyString(f *testing.F) {
	for _, s := range []string{"", "512", "current=512", "8", "current=8", "512,current=1024", "current=", "=1", "size=1", "512,", " ,512", "+16", "1e3", "current=0x10"} {
		f.Add(s)
	}
	op := Lookup("POST", "/nodes/{node}/qemu")
	vars := map[string]string{"node": "pve1"}
	integer := regexp.MustCompile(`^[+-]?[0-9]+$`)
	f.Fuzz(func(t *testing.T, v string) {
		_, err := op.Validate(vars, map[string]any{"vmid": 100, "memory": v})
		want := func() bool {
			value, seen := "", false
			for _, part := range strings.Split(v, ",") {
				if strings.TrimSpace(part) == "" {
					continue
				}
				if seen {
					return false // a second value: a duplicate key or an unknown one
				}
				seen = true
				if k, val, ok := strings.Cut(part, "="); ok {
					if k != "current" || val == "" {
						return false
					}
					value = val
				} else {
					value = part
				}
			}
			if !seen {
				return false // current has no optional flag: it must be there
			}
			if !integer.MatchString(value) {
				return false
			}
			n, err := strconv.ParseFloat(value, 64) // beyond float64: +Inf, which Perl compares the same way
			return (err == nil || errors.Is(err, strconv.ErrRange)) && n >= 16
		}()
		if (err == nil) != want {
			t.Fatalf("memory=%q: accepted %v, oracle says %v (%v)", v, err == nil, want, err)
		}
	})
}
