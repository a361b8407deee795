package tools

import (
	"reflect"
	"strings"
	"testing"

	"github.com/proxmox-mcp/proxmox-mcp/pve/schema"
)

// TestChecksAreTheSchemasFormats: every check the typed tools' arguments use is a named format of the
// official schema that its parameters use (or one of the two syntaxes of our own), so that the typed tools
// and the generic ones validate by one set of rules; and every check tag names a check.
func TestChecksAreTheSchemasFormats(t *testing.T) {
	used := map[string]bool{}
	for _, f := range schema.Formats() {
		used[strings.TrimSuffix(f.Name, "-list")] = true
	}
	for name, c := range checks {
		switch {
		case c.format == "" && name != "disk" && name != "upid" && name != "disksize": // the schema has a pattern for a size, no format
			t.Errorf("check %s has no schema format", name)
		case c.format != "" && !used[c.format]:
			t.Errorf("check %s: no parameter of the schema has format %s", name, c.format)
		}
		if _, known := schema.CheckFormat(c.format, "x"); c.format != "" && !known {
			t.Errorf("check %s: schema does not check format %s", name, c.format)
		}
	}
	for _, d := range All() {
		for _, f := range d.spec.fields {
			if _, ok := checks[f.check]; f.check != "" && !ok {
				t.Errorf("%s.%s: check %q is not one", d.Name, f.name, f.check)
			}
		}
	}
}

// TestChecksRefuseWhatTheSchemaRefuses: a value the schema's format refuses is refused by the check, whatever
// the client's own rule would say, and a good value passes both.
func TestChecksRefuseWhatTheSchemaRefuses(t *testing.T) {
	tests := map[string]struct{ good, schemaRefuses []string }{
		"node":     {[]string{"pve1", "node-01"}, []string{"-pve", "pve_1", "pve.lan"}},
		"snapshot": {[]string{"pre-upgrade", "Weekly_1"}, []string{"1snap", "s", "snap.1"}},
		"storage":  {[]string{"local", "local-lvm", "nas.backup"}, []string{"l", "1local", "local-"}},
		"pool":     {[]string{"lab", "lab/web/db"}, []string{"lab/web/db/x", "la b"}},
		"dnsname":  {[]string{"web-01.lan", "a"}, []string{"-web", "web_01", "a..b"}},
		"volume":   {[]string{"local:iso/debian.iso"}, []string{"local", "1x:iso/a", ":a"}},
		"tag":      {[]string{"prod", "a+b.c"}, []string{"+x", "a;b", "a b"}},
		"bridge":   {[]string{"vmbr0", "vmbr0.100"}, []string{"vm br0", "br/0", "br:0"}},
		"vmid":     {[]string{"100", "999999999"}, []string{"99", "1000000000", "0100"}},
	}
	for name, tc := range tests {
		c := checks[name]
		for _, v := range tc.good {
			if !c.valid(v) {
				t.Errorf("%s refuses %q", name, v)
			}
		}
		for _, v := range tc.schemaRefuses {
			if msg, _ := schema.CheckFormat(c.format, v); msg == "" {
				t.Fatalf("%s: the schema's %s accepts %q: not an example of what it refuses", name, c.format, v)
			}
			if c.valid(v) {
				t.Errorf("%s accepts %q, which the schema's %s refuses", name, v, c.format)
			}
		}
	}
}

// TestObjectArguments: an object argument keeps numbers as they were written, refuses what is not an object,
// and unexported fields are not arguments.
func TestObjectArguments(t *testing.T) {
	type args struct {
		Params  map[string]any `json:"params" desc:"Parameters"`
		derived string
	}
	spec, err := specOf(reflect.TypeFor[args]())
	if err != nil {
		t.Fatal(err)
	}
	if len(spec.fields) != 1 {
		t.Fatalf("fields %v", spec.names())
	}
	_ = args{derived: "not an argument"}
	var a args
	if err := spec.decode(object{"params": []byte(`{"vmid":100,"cpu":1.5,"list":[1,2],"flag":true}`)}, &a); err != nil {
		t.Fatal(err)
	}
	if n, ok := a.Params["vmid"].(interface{ String() string }); !ok || n.String() != "100" {
		t.Errorf("vmid decoded as %T %v", a.Params["vmid"], a.Params["vmid"])
	}
	for _, bad := range []string{`[1]`, `"x"`, `1`, `true`} {
		if err := spec.decode(object{"params": []byte(bad)}, &args{}); err == nil || !strings.Contains(err.Error(), "params: got") {
			t.Errorf("params %s: %v", bad, err)
		}
	}
}
