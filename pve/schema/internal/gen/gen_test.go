package main

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// schemaPath is apidata.json as CI lays it out: ../shared beside the repository, seen from this directory
// (pve/schema/internal/gen) five levels up.
var schemaPath = filepath.Join("..", "..", "..", "..", "..", "shared", "pve-api", "apidata.json")

func readSchema(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(schemaPath)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("schema %s is not here (CI keeps ../shared beside the repository); cannot check the table", schemaPath)
	}
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestCommittedTableIsCurrent fails when operations.bin differs from what the generator makes today:
// regenerate with `go generate ./pve/schema` after changing the generator or the schema.
func TestCommittedTableIsCurrent(t *testing.T) {
	want, err := Generate(readSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join("..", "..", "operations.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("operations.bin is stale (%d bytes committed, %d generated); run go generate ./pve/schema", len(got), len(want))
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	data := readSchema(t)
	a, err := Generate(data)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Generate(data)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("two runs over the same schema made different tables")
	}
}

func TestNumberedCount(t *testing.T) {
	tests := []struct {
		context, base, description string
		want                       int
	}{
		{"qemu", "scsi", "Use volume as SCSI hard disk or CD-ROM (n is 0 to 30).", 31},
		{"qemu", "usb", "Configure an USB device (n is 0 to 4, for machine version >= 7.1 and ostype l26 or windows > 7, n can be up to 14).", 14},
		{"qemu", "net", "Specify network devices.", 32},
		{"lxc", "mp", "Use volume as container mount point.", 256},
		{"cluster", "link", "Address and priority information of a single corosync link.", 8},
		{"node", "acmedomain", "ACME domain and validation plugin", 6},
		{"lxc", "bogus", "No count here.", 0},
	}
	for _, tt := range tests {
		if got := numberedCount(tt.context, tt.base, tt.description); got != tt.want {
			t.Errorf("numberedCount(%s, %s) = %d, want %d", tt.context, tt.base, got, tt.want)
		}
	}
}

func TestKeysFromTypeText(t *testing.T) {
	type key struct {
		Name       string
		Type       string
		Optional   bool
		DefaultKey bool
		Enum       []string
	}
	tests := []struct {
		typetext string
		want     []key
		ok       bool
	}{
		{"[[enabled=]<1|0>] [,storage=<storage ID>]", []key{
			{"enabled", "boolean", true, true, nil}, {"storage", "string", true, false, nil}}, true},
		{"[type=]<tdx-type> ,attestation=<1|0> [,vsock-cid=<integer>]", []key{
			{"attestation", "boolean", false, false, nil}, {"type", "string", false, true, nil},
			{"vsock-cid", "integer", true, false, nil}}, true},
		{"[[model=]<i6300esb|ib700>] [,action=<enum>]", []key{
			{"action", "string", true, false, nil}, {"model", "string", true, true, []string{"i6300esb", "ib700"}}}, true},
		{"[,phys-bits=<8-64|host>]", []key{{"phys-bits", "string", true, false, nil}}, true},
		{"[[order=]\\d+] [,up=\\d+] [,down=\\d+] ", []key{
			{"down", "integer", true, false, nil}, {"order", "integer", true, true, nil}, {"up", "integer", true, false, nil}}, true},
		{"[,family=<Base64 encoded string>] [,uuid=<UUID>]", []key{
			{"family", "string", true, false, nil}, {"uuid", "string", true, false, nil}}, true},
		{"[,remove-vanished=([acl];[properties];[entry])|none]", []key{{"remove-vanished", "string", true, false, nil}}, true},
		{"<volume>", nil, false},
		{"<string>", nil, false},
		{"[a=<x>] [a=<y>]", nil, false},
	}
	for _, tt := range tests {
		keys, ok := keysFromTypeText("f", tt.typetext)
		if ok != tt.ok {
			t.Errorf("%q: ok = %v, want %v", tt.typetext, ok, tt.ok)
			continue
		}
		var got []key
		for _, k := range keys {
			got = append(got, key{k.Name, k.Type, k.Optional, k.DefaultKey, k.Enum})
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.typetext, diff)
		}
	}
}

// TestNamedFormatKeys: the key formats written by hand reach the keys of the formats they name, and each key
// they name is one the typetext has (a schema update that renames one fails here rather than going unchecked).
func TestNamedFormatKeys(t *testing.T) {
	keys, ok := keysFromTypeText("pve-qm-ipconfig", "[gw=<GatewayIPv4>] [,gw6=<GatewayIPv6>] [,ip=<IPv4Format/CIDR>] [,ip6=<IPv6Format/CIDR>]")
	if !ok {
		t.Fatal("the ipconfig typetext was not read")
	}
	type key struct{ Name, Format, Requires string }
	var got []key
	for _, k := range keys {
		got = append(got, key{k.Name, k.Format, k.Requires})
	}
	want := []key{{"gw", "ipv4", "ip"}, {"gw6", "ipv6", "ip6"}, {"ip", "pve-ipv4-config", ""}, {"ip6", "pve-ipv6-config", ""}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ipconfig keys (-want +got):\n%s", diff)
	}
	ops, err := buildOps(readSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]map[string]bool{}
	for _, o := range ops {
		for _, p := range o.Params {
			if _, named := namedFormatKeys[p.Format]; named && p.KeysFromTypeText {
				found[p.Format] = map[string]bool{}
				for _, k := range p.Keys {
					found[p.Format][k.Name] = true
				}
			}
		}
	}
	for format, ks := range namedFormatKeys {
		for name := range ks {
			if !found[format][name] {
				t.Errorf("%s has no key %s in the schema's typetext", format, name)
			}
		}
	}
}

func TestBuildCheck(t *testing.T) {
	tests := []struct {
		raw  string
		want *check
	}{
		{`["perm","/vms/{vmid}",["VM.Audit"]]`, &check{Kind: "perm", Path: "/vms/{vmid}", Privs: []string{"VM.Audit"}}},
		{`["perm","/",["Sys.Audit","Datastore.Audit"],"any",1]`, &check{Kind: "perm", Path: "/", Privs: []string{"Sys.Audit", "Datastore.Audit"}, Any: true}},
		{`["or",["perm","/vms/{newid}",["VM.Allocate"]],["perm","/pool/{pool}",["VM.Allocate"],"require_param","pool"]]`,
			&check{Kind: "or", Checks: []*check{
				{Kind: "perm", Path: "/vms/{newid}", Privs: []string{"VM.Allocate"}},
				{Kind: "perm", Path: "/pool/{pool}", Privs: []string{"VM.Allocate"}, RequireParam: "pool"}}}},
		{`["userid-group",["User.Modify"],"groups_param","update"]`, &check{Kind: "userid-group", Privs: []string{"User.Modify"}, GroupsParam: "update"}},
		{`["userid-param","self"]`, &check{Kind: "userid-param", Sub: "self"}},
		{`["perm-modify","{path}"]`, &check{Kind: "perm-modify", Path: "{path}"}},
	}
	for _, tt := range tests {
		got, err := buildCheck([]byte(tt.raw))
		if err != nil {
			t.Errorf("%s: %v", tt.raw, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.raw, diff)
		}
	}
	for _, bad := range []string{`[]`, `["nope"]`, `["perm","/"]`, `["perm","/",["A"],"any"]`, `{"perm":1}`} {
		if _, err := buildCheck([]byte(bad)); err == nil {
			t.Errorf("buildCheck(%s) accepted it", bad)
		}
	}
}

func TestSummarize(t *testing.T) {
	tests := map[string]string{
		"Start virtual machine.":              "Start virtual machine",
		"Get status. With more details here.": "Get status",
		"":                                    "Directory index",
		"First line\nsecond line":             "First line",
		"Destroy the VM and  all used/owned volumes. x": "Destroy the VM and all used/owned volumes",
	}
	for in, want := range tests {
		if got := summarize(in); got != want {
			t.Errorf("summarize(%q) = %q, want %q", in, got, want)
		}
	}
	long := "Word " + string(bytes.Repeat([]byte("longer words here "), 10))
	if got := summarize(long); len(got) > 104 || got[len(got)-len("…"):] != "…" {
		t.Errorf("summarize(long) = %q: want at most ~100 characters ending in …", got)
	}
}

func TestGenerateRejectsMixedChildren(t *testing.T) {
	_, err := Generate([]byte(`[{"path":"/a","info":{},"children":[{"path":"/a/{x}","info":{}},{"path":"/a/b","info":{}}]}]`))
	if err == nil {
		t.Error("a tree with variable and fixed children under one path was accepted")
	}
}
