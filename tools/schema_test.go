package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/server"
	"github.com/rs/zerolog"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve"
	"github.com/proxmox-mcp/proxmox-mcp/redact"
)

var update = flag.Bool("update", false, "rewrite the tool schema snapshots and the README tool table")

// listTools runs tools/list through the server's JSON-RPC handler and returns each tool exactly as the wire
// carries it.
func listTools(t *testing.T, readOnly bool, only []string) []json.RawMessage {
	t.Helper()
	srv := newListServer(t, readOnly, only)
	ctx := context.Background()
	srv.HandleMessage(ctx, []byte(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`))
	resp := srv.HandleMessage(ctx, []byte(`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`))
	b, err := json.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Result struct {
			Tools []json.RawMessage `json:"tools"`
		} `json:"result"`
	}
	if err := json.Unmarshal(b, &out); err != nil || len(out.Result.Tools) == 0 {
		t.Fatalf("tools/list answered %s (%v)", b, err)
	}
	return out.Result.Tools
}

func newListServer(t *testing.T, readOnly bool, only []string) *server.MCPServer {
	t.Helper()
	u, _ := pve.ParseBaseURL("https://127.0.0.1:1")
	c, err := pve.New(pve.Config{BaseURL: u, TokenID: "root@pam!mcp", Secret: redact.NewSecret("s3cret-value-for-tests")})
	if err != nil {
		t.Fatal(err)
	}
	// Every toolset unless single tools are named: the snapshots and the token budgets cover every tool, on by
	// default or not.
	var sets []string
	if len(only) == 0 {
		sets = []string{allToolsets}
	}
	srv, err := NewServer(Options{Client: c, Policy: gate.NewPolicy(false, nil), Log: zerolog.Nop(), ReadOnly: readOnly, Only: only,
		Toolsets: sets, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// TestToolSchemaSnapshots keeps every tool's definition, exactly as tools/list sends it, in testdata/tools:
// a change to what the model sees shows up in review. Run with -update to accept a change.
func TestToolSchemaSnapshots(t *testing.T) {
	tools := listTools(t, false, nil)
	if len(tools) != len(All()) {
		t.Fatalf("tools/list has %d tools, All() has %d", len(tools), len(All()))
	}
	dir := filepath.Join("testdata", "tools")
	seen := map[string]bool{}
	total := map[string]int{}
	for _, raw := range tools {
		var head struct{ Name string }
		_ = json.Unmarshal(raw, &head)
		seen[head.Name+".json"] = true
		total[toolGroup(head.Name)] += len(raw)
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, raw, "", "  "); err != nil {
			t.Fatal(err)
		}
		pretty.WriteByte('\n')
		path := filepath.Join(dir, head.Name+".json")
		if *update {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%s: no snapshot (run go test ./tools -run TestToolSchemaSnapshots -update): %v", head.Name, err)
			continue
		}
		if !bytes.Equal(want, pretty.Bytes()) {
			t.Errorf("%s: the definition the model sees changed; review it and run with -update to accept:\n--- snapshot\n%s\n--- now\n%s", head.Name, want, pretty.Bytes())
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	for _, f := range files {
		if !seen[filepath.Base(f)] {
			t.Errorf("snapshot %s belongs to no tool: delete it", f)
		}
	}
	t.Logf("tools/list: %d tools, bytes of tool definitions by group: %v", len(tools), total)
	// The token budgets (the 23 core tools 3,600 o200k tokens, the four generic API tools 800, the six guest
	// tools 1,400) are checked with a real tokenizer in .ci/tokens.mjs; JSON schema text runs at about 4.26
	// bytes a token here (15,222 bytes measured 3,573 tokens), so these byte bounds catch a blow-up before the
	// tokenizer does.
	for group, budget := range map[string]int{"core": 15400, "api": 3400, "guest": 6000} {
		if total[group] > budget {
			t.Errorf("tools/list's %s tools take %d bytes: over the budget of %d bytes", group, total[group], budget)
		}
	}
}

// toolGroup is the group a tool's tokens are counted in: the generic API tools (toolset api), the guest tools
// (toolset guest), or the 23 core ones (the core and lifecycle toolsets).
func toolGroup(name string) string {
	for _, d := range All() {
		if d.Name == name && (d.Toolset == ToolsetAPI || d.Toolset == ToolsetGuest) {
			return d.Toolset
		}
	}
	return "core"
}

func TestToolsListForTokenizer(t *testing.T) {
	out := os.Getenv("TOOLS_LIST_OUT")
	if out == "" {
		t.Skip("set TOOLS_LIST_OUT=file to write the tools/list payload for the tokenizer")
	}
	// The whole list goes to out, and each group's alone beside it (tools-list.core.json, tools-list.api.json,
	// tools-list.guest.json), so that CI can hold each group to its own budget.
	tools := listTools(t, false, nil)
	groups := map[string][]json.RawMessage{"": tools}
	for _, tool := range tools {
		var head struct{ Name string }
		_ = json.Unmarshal(tool, &head)
		g := toolGroup(head.Name)
		groups[g] = append(groups[g], tool)
	}
	for g, list := range groups {
		var b bytes.Buffer
		b.WriteString(`{"tools":[`)
		for i, tool := range list {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(tool)
		}
		b.WriteString(`]}`)
		path := out
		if g != "" {
			path = strings.TrimSuffix(out, ".json") + "." + g + ".json"
		}
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if whole, _ := os.ReadFile(out); !bytes.Equal(whole, ListPayload(sortedByName(All()), nil, "")) {
		t.Error("ListPayload (what proxmox-mcp tools and the README count) differs from tools/list on the wire")
	}
	// Beside it, every toolset, the default set and all of them on their own, without a targets file and
	// with two and eight clusters, each with the estimate Go prints, for .ci/toolset-tokens.mjs to count.
	dir := filepath.Dir(out)
	type payload struct {
		Name     string `json:"name"`
		File     string `json:"file"`
		Bytes    int    `json:"bytes"`
		Estimate int    `json:"estimate"`
		Budget   bool   `json:"budget"` // the default set: at most 4,500 o200k tokens
	}
	var index []payload
	add := func(name string, defs []Def, clusters []string, budget bool) {
		p := ListPayload(defs, clusters, "")
		file := "toolset-" + name + ".json"
		if err := os.WriteFile(filepath.Join(dir, file), p, 0o644); err != nil {
			t.Fatal(err)
		}
		index = append(index, payload{name, file, len(p), EstimateTokens(len(p)), budget})
	}
	for _, ts := range Toolsets() {
		add(ts.Name, OfToolset(All(), ts.Name), nil, false)
	}
	two := []string{"home", "prod"}
	eight := []string{"home", "lab", "prod", "staging", "edge-1", "edge-2", "dr", "backup"}
	add("default", DefaultSet(), nil, true)
	add("default-2-clusters", DefaultSet(), two, true)
	add("default-8-clusters", DefaultSet(), eight, false)
	add("all", All(), nil, false)
	add("all-2-clusters", All(), two, false)
	raw, _ := json.MarshalIndent(index, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "toolsets.json"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
}

// sortedByName orders defs as mcp-go's tools/list does.
func sortedByName(defs []Def) []Def {
	out := slices.Clone(defs)
	slices.SortFunc(out, func(a, b Def) int { return strings.Compare(a.Name, b.Name) })
	return out
}
