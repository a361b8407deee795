package tools

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve/pvesim"
)

// TestDefaultPageStaysSmall: on a 16-node, 5,000-guest cluster the default page of a list is one HTTP request
// and a small result: at most 40 KB in all and well under 5,000 tokens of text.
func TestDefaultPageStaysSmall(t *testing.T) {
	h := newHarness(t, harnessOpts{cluster: pvesim.Generate(pvesim.GenSpec{Nodes: 16, Guests: 5000, Seed: 1})})
	for _, tool := range []string{"proxmox_list_vms", "proxmox_list_containers"} {
		h.sim.ResetLog()
		res := h.call(t, tool, `{}`)
		if res.IsError {
			t.Fatal(text(res))
		}
		if n := len(h.sim.Requests()); n != 1 {
			t.Errorf("%s: %d HTTP requests, want 1", tool, n)
		}
		whole, _ := json.Marshal(res)
		txt := text(res)
		// o200k averages more than 3 bytes a token on this text; 15,000 bytes stays under 5,000 tokens.
		if len(whole) > 40<<10 || len(txt) > 15000 {
			t.Errorf("%s: result %d bytes (text %d): over 40 KB or the text budget", tool, len(whole), len(txt))
		}
		var l listResult
		structured(t, res, &l)
		if l.Total < 1000 || len(l.Items) != defaultPage || l.NextCursor != defaultPage {
			t.Errorf("%s: total %d, %d items, cursor %d", tool, l.Total, len(l.Items), l.NextCursor)
		}
		t.Logf("%s default page: %d guests of %d, %d bytes in all, %d bytes of text", tool, len(l.Items), l.Total, len(whole), len(txt))
		if out := os.Getenv("RESULT_OUT"); out != "" {
			_ = os.WriteFile(filepath.Join(out, tool+".txt"), []byte(txt), 0o644)
		}
	}
}

// TestAnnotationsFollowTier checks, over tools/list, that every tool carries the annotations of its tier:
// readOnlyHint and openWorldHint always, destructiveHint on every tool that writes.
func TestAnnotationsFollowTier(t *testing.T) {
	tiers := map[string]gate.Tier{}
	for _, d := range All() {
		tiers[d.Name] = d.Tier
	}
	for _, raw := range listTools(t, false, nil) {
		var tool mcp.Tool
		if err := json.Unmarshal(raw, &tool); err != nil {
			t.Fatal(err)
		}
		var a struct{ Annotations map[string]*bool }
		_ = json.Unmarshal(raw, &a)
		need := []string{"readOnlyHint", "openWorldHint"}
		if tiers[tool.Name] != gate.Read {
			need = append(need, "destructiveHint")
		}
		for _, k := range need {
			if a.Annotations[k] == nil {
				t.Errorf("%s: %s not set on the wire", tool.Name, k)
			}
		}
		if err := gate.CheckAnnotations(tool, tiers[tool.Name]); err != nil {
			t.Error(err)
		}
	}
}

func TestReadOnlyAndToolSelection(t *testing.T) {
	ro := listTools(t, true, nil)
	for _, raw := range ro {
		var tool mcp.Tool
		_ = json.Unmarshal(raw, &tool)
		if !*tool.Annotations.ReadOnlyHint {
			t.Errorf("read-only server registered %s", tool.Name)
		}
	}
	if len(ro) != 15 {
		t.Errorf("read-only server has %d tools, want 15 (11 typed, 1 guest, 3 generic)", len(ro))
	}
	only := listTools(t, false, []string{"proxmox_status", "proxmox_start_resource"})
	if len(only) != 2 {
		t.Errorf("PROXMOX_TOOLS with 2 names gave %d tools", len(only))
	}
	for _, bad := range []struct {
		readOnly bool
		only     []string
		want     string
	}{
		{false, []string{"proxmox_nope"}, "not a tool"},
		{true, []string{"proxmox_destroy_resource"}, "PROXMOX_READ_ONLY=1 registers no write tools"},
	} {
		if _, err := Select(Selection{ReadOnly: bad.readOnly, Tools: bad.only}); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("Select(%v, %v) = %v, want %q", bad.readOnly, bad.only, err, bad.want)
		}
	}
}

// TestREADMEBlocks fails when a generated part of the README (the tool table, the token set-up) no longer
// matches the definitions.
func TestREADMEBlocks(t *testing.T) {
	path := filepath.Join("..", "README.md")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, blk := range readmeBlocks {
		begin, end := blk.markers()
		i, j := strings.Index(readme, begin), strings.Index(readme, end)
		if i < 0 || j < i {
			t.Fatalf("README.md lacks the markers %q and %q", begin, end)
		}
		want := begin + "\n" + blk.text(All()) + end
		if got := readme[i : j+len(end)]; got != want {
			if *update {
				readme = readme[:i] + want + readme[j+len(end):]
				continue
			}
			t.Errorf("README.md's %s block is stale; run go test ./tools -run TestREADMEBlocks -update\n--- README\n%s\n--- definitions\n%s", blk.name, got, want)
		}
	}
	if *update {
		if err := os.WriteFile(path, []byte(readme), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// pvePrivileges are the privileges the official API schema names (apidata.json, PVE 9.1.3).
var pvePrivileges = strings.Fields(`Datastore.Allocate Datastore.AllocateSpace Datastore.AllocateTemplate Datastore.Audit
	Group.Allocate Mapping.Audit Mapping.Modify Mapping.Use Permissions.Modify Pool.Allocate Pool.Audit Realm.Allocate
	Realm.AllocateUser SDN.Allocate SDN.Audit SDN.Use Sys.AccessNetwork Sys.Audit Sys.Console Sys.Incoming Sys.Modify
	Sys.PowerMgmt Sys.Syslog User.Modify VM.Allocate VM.Audit VM.Backup VM.Clone VM.Config.CDROM VM.Config.CPU
	VM.Config.Cloudinit VM.Config.Disk VM.Config.HWType VM.Config.Memory VM.Config.Network VM.Config.Options
	VM.Console VM.GuestAgent.Audit VM.GuestAgent.FileRead VM.GuestAgent.FileSystemMgmt VM.GuestAgent.FileWrite
	VM.GuestAgent.Unrestricted VM.Migrate VM.PowerMgmt VM.Replicate VM.Snapshot VM.Snapshot.Rollback`)

// TestEveryToolNamesItsPrivileges: a tool without privileges would vanish from doctor's checks and the role;
// a privilege Proxmox does not have makes pveum role add fail on a real node. Only the tools that send nothing
// to Proxmox (proxmox_api_find, proxmox_api_describe) name none.
func TestEveryToolNamesItsPrivileges(t *testing.T) {
	sendsNothing := map[string]bool{"proxmox_api_find": true, "proxmox_api_describe": true}
	for _, d := range All() {
		if len(d.Privs) == 0 && !sendsNothing[d.Name] {
			t.Errorf("%s names no privilege", d.Name)
		}
		if len(d.Privs) > 0 && sendsNothing[d.Name] {
			t.Errorf("%s names privileges, but sends nothing to Proxmox", d.Name)
		}
		for _, req := range d.Privs {
			for _, p := range strings.Split(req, "|") {
				if !slices.Contains(pvePrivileges, p) {
					t.Errorf("%s needs %q, which Proxmox VE does not have", d.Name, p)
				}
			}
		}
	}
}

func BenchmarkListVMs5000(b *testing.B) {
	h := newHarness(b, harnessOpts{cluster: pvesim.Generate(pvesim.GenSpec{Nodes: 16, Guests: 5000, Seed: 1})})
	req := mcp.CallToolRequest{}
	req.Params.Name = "proxmox_list_vms"
	req.Params.Arguments = json.RawMessage(`{}`)
	ctx := context.Background()
	var size int
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := h.mc.CallTool(ctx, req)
		if err != nil || res.IsError {
			b.Fatal(err, text(res))
		}
		if i == 0 {
			whole, _ := json.Marshal(res)
			size = len(whole)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(size), "result-bytes")
	b.ReportMetric(float64(len(h.sim.Requests()))/float64(b.N), "http-requests/op")
}

func TestToolOrder(t *testing.T) {
	var names []string
	for _, d := range All() {
		names = append(names, d.Name)
	}
	if diff := cmp.Diff(order, names); diff != "" {
		t.Errorf("every tool must be listed once in order (-order +All)\n%s", diff)
	}
}
