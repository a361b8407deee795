package main

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mcp/proxmox-mcp/tools"
)

// TestToolHelpListsEveryArgument: `proxmox-mcp tools NAME` shows each argument the tool's input schema declares,
// in the schema's order, marking the required ones; the oracle decodes the schema into a map.
func TestToolHelpListsEveryArgument(t *testing.T) {
	for _, d := range tools.All() {
		var out, errb bytes.Buffer
		if code := run(context.Background(), []string{"--demo", "tools", d.Name}, strings.NewReader(""), &out, &errb, noEnv); code != 0 {
			t.Fatalf("tools %s: exit %d: %s", d.Name, code, errb.String())
		}
		var schema struct {
			Properties map[string]json.RawMessage `json:"properties"`
			Required   []string                   `json:"required"`
		}
		if err := json.Unmarshal(d.Tool().RawInputSchema, &schema); err != nil {
			t.Fatal(err)
		}
		var listed []string
		for _, l := range strings.Split(out.String(), "\n") {
			if f := strings.Fields(l); len(f) > 1 && strings.HasPrefix(l, "  ") && strings.HasPrefix(f[1], "(") {
				name := f[0]
				if req := strings.HasPrefix(name, "*"); req != slices.Contains(schema.Required, strings.TrimPrefix(name, "*")) {
					t.Errorf("%s: %s marked required=%v", d.Name, name, req)
				}
				listed = append(listed, strings.TrimPrefix(name, "*"))
			}
		}
		var want []string
		for k := range schema.Properties {
			want = append(want, k)
		}
		slices.Sort(want)
		sorted := slices.Sorted(slices.Values(listed))
		if diff := cmp.Diff(want, sorted); diff != "" {
			t.Errorf("%s: arguments shown (-schema +help):\n%s\n%s", d.Name, diff, out.String())
		}
		if req := strings.Contains(out.String(), "Arguments (* required;"); req != (len(schema.Required) > 0) {
			t.Errorf("%s: the header says * marks required arguments: %v; the schema requires %v", d.Name, req, schema.Required)
		}
		if !strings.HasPrefix(out.String(), d.Name+": "+d.Brief+"\n") || !strings.Contains(out.String(), d.Desc) {
			t.Errorf("%s: help does not start with the name and brief, or lacks the description:\n%s", d.Name, out.String())
		}
	}
}

// TestToolHelpForms: `call TOOL --help` is the tool's help, not the program's; a mistyped name gets the nearest.
func TestToolHelpForms(t *testing.T) {
	help := func(args ...string) (string, int) {
		var out, errb bytes.Buffer
		code := run(context.Background(), args, strings.NewReader(""), &out, &errb, noEnv)
		return out.String() + errb.String(), code
	}
	want, _ := help("--demo", "tools", "proxmox_start_resource")
	for _, args := range [][]string{
		{"--demo", "call", "proxmox_start_resource", "--help"},
		{"call", "--demo", "proxmox_start_resource", "-h"},
	} {
		if got, code := help(args...); code != 0 || got != want {
			t.Errorf("%v: exit %d\n%s\nwant\n%s", args, code, got, want)
		}
	}
	if !strings.Contains(want, "*vmid (integer") || !strings.Contains(want, "tier write; proxmox-mcp --help (SAFETY)") {
		t.Errorf("start_resource's help:\n%s", want)
	}
	if got, code := help("--demo", "tools", "proxmox_stat"); code != 1 || !strings.Contains(got, "did you mean proxmox_status") {
		t.Errorf("a mistyped tool: exit %d: %s", code, got)
	}
	if got, code := help("--demo", "tools", "a", "b"); code != 2 || !strings.Contains(got, "name one tool") {
		t.Errorf("two names: exit %d: %s", code, got)
	}
	if got, _ := help("--demo", "call", "--help"); !strings.Contains(got, "USAGE") {
		t.Errorf("call --help without a tool is the program's help: %s", got)
	}
}

// noEnv is an empty environment.
func noEnv(string) string { return "" }

// TestToolHelpWithTargets: with a targets file every tool takes cluster, and its help shows it as tools/list
// declares it: the names (and * where a tool takes every cluster at once), required without a default target.
func TestToolHelpWithTargets(t *testing.T) {
	file := func(extra string) string {
		return writeFile(t, t.TempDir(), "targets.toml", extra+`
[[target]]
name = "home"
url = "https://pve.home.lan:8006"
token_id = "mcp@pve!mcp"
token_secret_env = "HOME_SECRET"
tls_fingerprint = "`+strings.Repeat("AA:", 31)+`AA"

[[target]]
name = "prod"
url = "https://pve1.prod.example.com:8006"
token_id = "mcp@pve!mcp"
token_secret_env = "PROD_SECRET"
tls_fingerprint = "`+strings.Repeat("BB:", 31)+`BB"
`, 0o600)
	}
	withDefault, withoutDefault := file(`default_target = "home"`), file("")
	for _, tc := range []struct {
		name, targets string
		args          []string
		want          string
	}{
		{"list, a default", withDefault, []string{"tools", "proxmox_list_vms"}, "cluster (string) Target cluster, * for all; one of: home, prod, *"},
		{"get, a default", withDefault, []string{"call", "proxmox_get_resource", "--help"}, "cluster (string) Target cluster; one of: home, prod"},
		{"get, no default", withoutDefault, []string{"tools", "proxmox_get_resource"}, "*cluster (string) Target cluster; one of: home, prod"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{envTargets: tc.targets, "HOME_SECRET": "5f0c2a0e-3d7b-4b8e-9a51-6c1f0b2d9e47",
				"PROD_SECRET": "6f0c2a0e-3d7b-4b8e-9a51-6c1f0b2d9e47"}
			var out, errb bytes.Buffer
			if code := run(context.Background(), tc.args, strings.NewReader(""), &out, &errb, func(k string) string { return env[k] }); code != 0 {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			var got string
			for _, l := range strings.Split(out.String(), "\n") {
				if strings.Contains(l, "cluster (") {
					got = strings.Join(strings.Fields(l), " ") // the column's width is another test's
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("the cluster line (-want +got):\n%s\n%s", diff, out.String())
			}
		})
	}
	// A targets file that does not load (a secret not set) is said before any line of help, not after half.
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"tools", "proxmox_status"}, strings.NewReader(""), &out, &errb,
		func(k string) string { return map[string]string{envTargets: withDefault}[k] })
	if code != 1 || out.Len() != 0 || !strings.Contains(errb.String(), `token_secret_env names "HOME_SECRET", which is not set`) {
		t.Errorf("a targets file that does not load: exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
}

// TestToolsCountsTools: `proxmox-mcp tools` says how many tools it exposes in words that agree with the number.
func TestToolsCountsTools(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{envTools: "proxmox_list_vms"}, "exposed: 1 tool"},
		{map[string]string{envTools: "proxmox_list_vms,proxmox_status"}, "exposed: 2 tools"},
		{nil, "exposed: 33 tools"},
	} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), []string{"--demo", "tools"}, strings.NewReader(""), &out, &errb, func(k string) string { return tc.env[k] }); code != 0 {
			t.Fatalf("%v: exit %d: %s", tc.env, code, errb.String())
		}
		var got string
		for _, l := range strings.Split(out.String(), "\n") {
			if f := strings.Fields(l); len(f) > 0 && f[0] == "exposed:" {
				got = strings.Join(f[:min(len(f), len(strings.Fields(tc.want)))], " ")
			}
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%v (-want +got):\n%s\n%s", tc.env, diff, out.String())
		}
	}
}
