package schema

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// apidataPath is the official schema as CI lays it out: ../shared beside the repository.
var apidataPath = filepath.Join("..", "..", "..", "shared", "pve-api", "apidata.json")

// rawOp is an operation of apidata.json read with encoding/json alone, the oracle the decoded table is
// compared with.
type rawOp struct {
	method, path string
	info         map[string]any
}

func readAPIData(t testing.TB) []rawOp {
	t.Helper()
	data, err := os.ReadFile(apidataPath)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("%s is not here (CI keeps ../shared beside the repository)", apidataPath)
	}
	if err != nil {
		t.Fatal(err)
	}
	var tree []map[string]any
	if err := json.Unmarshal(data, &tree); err != nil {
		t.Fatal(err)
	}
	var out []rawOp
	var walk func([]any)
	walk = func(nodes []any) {
		for _, n := range nodes {
			m := n.(map[string]any)
			if info, ok := m["info"].(map[string]any); ok {
				for method, mi := range info {
					out = append(out, rawOp{method, m["path"].(string), mi.(map[string]any)})
				}
			}
			if c, ok := m["children"].([]any); ok {
				walk(c)
			}
		}
	}
	for _, n := range tree {
		walk([]any{n})
	}
	return out
}

func flag(v any) bool {
	switch x := v.(type) {
	case float64:
		return x != 0
	case bool:
		return x
	case string:
		return x == "1"
	}
	return false
}

func TestTableDecodes(t *testing.T) {
	tab, err := decodeAll(tableData)
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.heads) != 649 {
		t.Errorf("%d operations, want 649 (PVE 9.1.3)", len(tab.heads))
	}
	for _, bad := range []string{"", "pveschema1\n", tableData[:len(tableData)/2], "nope" + tableData[4:]} {
		if _, err := decodeAll(bad); err == nil {
			t.Errorf("decode of %d corrupt bytes succeeded", len(bad))
		}
	}
}

// TestTableMatchesAPIData compares every operation with apidata.json read independently: methods, paths,
// parameter names (numbered ones as name[n]), types, optionality, formats, enums, permissions and flags.
func TestTableMatchesAPIData(t *testing.T) {
	raw := readAPIData(t)
	if len(raw) != len(Operations()) {
		t.Fatalf("apidata has %d operations, the table %d", len(raw), len(Operations()))
	}
	for _, r := range raw {
		o := Lookup(r.method, r.path)
		if o == nil {
			t.Errorf("%s %s is missing", r.method, r.path)
			continue
		}
		props, _ := r.info["parameters"].(map[string]any)["properties"].(map[string]any)
		type p struct {
			Name, Type, Format string
			Optional           bool
			Enum               []string
		}
		var want, got []p
		for name, v := range props {
			m := v.(map[string]any)
			q := p{Name: name, Optional: flag(m["optional"])}
			q.Type, _ = m["type"].(string)
			q.Format, _ = m["format"].(string)
			enum, _ := m["enum"].([]any)
			for _, e := range enum {
				b, _ := json.Marshal(e)
				q.Enum = append(q.Enum, strings.Trim(string(b), `"`))
			}
			want = append(want, q)
		}
		for _, pp := range o.Params {
			got = append(got, p{Name: pp.DisplayName(), Type: pp.Type, Format: pp.Format, Optional: pp.Optional, Enum: pp.Enum})
		}
		byName := func(s []p) { sort.Slice(s, func(i, j int) bool { return s[i].Name < s[j].Name }) }
		byName(want)
		byName(got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s %s parameters (-apidata +table):\n%s", r.method, r.path, diff)
		}
		perm, hasPerm := r.info["permissions"].(map[string]any)
		if o.Permission.Defined != hasPerm {
			t.Errorf("%s %s: permissions defined = %v, apidata %v", r.method, r.path, o.Permission.Defined, hasPerm)
		}
		if hasPerm {
			if user, _ := perm["user"].(string); user != o.Permission.User {
				t.Errorf("%s %s: permission user %q, apidata %q", r.method, r.path, o.Permission.User, user)
			}
			wantCheck, _ := json.Marshal(perm["check"])
			if perm["check"] == nil {
				wantCheck = []byte("null")
			}
			if got := checkJSON(o.Permission.Check); got != string(wantCheck) {
				t.Errorf("%s %s: check %s, apidata %s", r.method, r.path, got, wantCheck)
			}
		}
		if flag(r.info["protected"]) != o.Protected || flag(r.info["allowtoken"]) != o.AllowToken {
			t.Errorf("%s %s: protected/allowtoken %v/%v differ from apidata", r.method, r.path, o.Protected, o.AllowToken)
		}
		if px, _ := r.info["proxyto"].(string); px != o.ProxyTo {
			t.Errorf("%s %s: proxyto %q, apidata %q", r.method, r.path, o.ProxyTo, px)
		}
		ret, _ := r.info["returns"].(map[string]any)
		if rt, _ := ret["type"].(string); rt != o.Returns.Type {
			t.Errorf("%s %s: returns type %q, apidata %q", r.method, r.path, o.Returns.Type, rt)
		}
		if rp, ok := ret["properties"].(map[string]any); ok && len(rp) != len(o.Returns.Properties) {
			t.Errorf("%s %s: returns %d properties, apidata %d", r.method, r.path, len(o.Returns.Properties), len(rp))
		}
		if o.Summary == "" || strings.Contains(o.Summary, "\n") {
			t.Errorf("%s %s: summary %q is not one line", r.method, r.path, o.Summary)
		}
	}
}

// checkJSON writes a check back in apidata's array form.
func checkJSON(c *Check) string {
	var enc func(c *Check) []any
	enc = func(c *Check) []any {
		out := []any{c.Kind}
		switch c.Kind {
		case "perm":
			out = append(out, c.Path, c.Privs)
			if c.Any {
				out = append(out, "any", 1)
			}
			if c.RequireParam != "" {
				out = append(out, "require_param", c.RequireParam)
			}
		case "and", "or":
			for _, sc := range c.Checks {
				out = append(out, enc(sc))
			}
		case "userid-group":
			out = append(out, c.Privs)
			if c.GroupsParam != "" {
				out = append(out, "groups_param", c.GroupsParam)
			}
		case "userid-param":
			out = append(out, c.Sub)
		case "perm-modify":
			out = append(out, c.Path)
		}
		return out
	}
	if c == nil {
		return "null"
	}
	b, _ := json.Marshal(enc(c))
	return string(b)
}

func TestPropertyStringKeys(t *testing.T) {
	net := Lookup("POST", "/nodes/{node}/qemu").Param("net0")
	if net == nil || net.Count != 32 {
		t.Fatalf("net[n] of qemu create: %+v", net)
	}
	model := net.key("model")
	if model == nil || !model.DefaultKey || model.Optional {
		t.Errorf("net0's model key: %+v; want the required default key", model)
	}
	virtio := net.key("virtio")
	if virtio == nil || virtio.Alias != "macaddr" || virtio.KeyAlias != "model" {
		t.Errorf("net0's virtio key: %+v; want an alias of macaddr keyed as model", virtio)
	}
	cpu := Lookup("POST", "/nodes/{node}/qemu").Param("cpu")
	if cpu == nil || !cpu.KeysFromTypeText || cpu.key("cputype") == nil || !cpu.key("cputype").DefaultKey {
		t.Errorf("cpu (format pve-vm-cpu-conf): keys from its typetext expected, got %+v", cpu)
	}
	if o := Lookup("GET", "/nodes/{node}/qemu/{vmid}/config"); o.Param("vmid") == nil || !o.PathVariable("vmid") || o.PathVariable("current") {
		t.Error("vmid of GET …/config is a path variable, current is not")
	}
}

func TestLookupAndPathParams(t *testing.T) {
	o := Lookup("GET", "/nodes/{node}/qemu/{vmid}/firewall/rules/{pos}")
	if o == nil {
		t.Fatal("missing")
	}
	var names []string
	for _, p := range o.PathParams() {
		names = append(names, p.Name)
	}
	if diff := cmp.Diff([]string{"node", "vmid", "pos"}, names); diff != "" {
		t.Errorf("path params (-want +got):\n%s", diff)
	}
	if Lookup("GET", "/nodes/{node}/nothing") != nil || Lookup("PATCH", "/version") != nil {
		t.Error("Lookup found something that is not in the schema")
	}
}

// TestConcurrentDecoding: operations decoded on demand from many goroutines at once come out whole and
// the same (run with -race).
func TestConcurrentDecoding(t *testing.T) {
	tab, err := index(tableData)
	if err != nil {
		t.Fatal(err)
	}
	got := make([][]*Operation, 4)
	done := make(chan int)
	for g := range got {
		go func() {
			for i := range tab.heads {
				got[g] = append(got[g], tab.get(&tab.heads[(i*7+g)%len(tab.heads)]))
			}
			done <- g
		}()
	}
	for range got {
		<-done
	}
	for i := range tab.heads {
		o := tab.get(&tab.heads[i])
		if o.Class == 0 || o.Returns == nil || o.Key() != tab.heads[i].method+" "+tab.heads[i].path {
			t.Fatalf("operation %d decoded wrong: %+v", i, o)
		}
	}
	for g := range got {
		for i, o := range got[g] {
			if o != tab.get(&tab.heads[(i*7+g)%len(tab.heads)]) {
				t.Fatalf("goroutine %d got a second copy of an operation", g)
			}
		}
	}
}
