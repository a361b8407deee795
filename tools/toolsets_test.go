package tools

import (
	"slices"
	"strings"
	"testing"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
)

// TestEveryToolIsInAToolset: every tool belongs to a known toolset and every toolset holds a tool; core holds
// the reads and lifecycle the writes of the typed tools.
func TestEveryToolIsInAToolset(t *testing.T) {
	for _, ts := range Toolsets() {
		if len(OfToolset(All(), ts.Name)) == 0 {
			t.Errorf("toolset %s holds no tool", ts.Name)
		}
	}
	for _, d := range All() {
		if !slices.Contains(toolsetNames(), d.Toolset) {
			t.Errorf("%s is in toolset %q, which is not one", d.Name, d.Toolset)
		}
		if (d.Toolset == ToolsetCore) != (d.Tier == gate.Read) && (d.Toolset == ToolsetCore || d.Toolset == ToolsetLifecycle) {
			t.Errorf("%s (%s) is in %s", d.Name, d.Tier, d.Toolset)
		}
	}
}

func TestSelectToolsets(t *testing.T) {
	count := func(f func(Def) bool) int { return len(names(All(), f)) }
	inSet := func(ts string) func(Def) bool { return func(d Def) bool { return d.Toolset == ts } }
	reads, writes := count(inSet(ToolsetCore)), count(inSet(ToolsetLifecycle))
	allReads := count(func(d Def) bool { return d.Tier == gate.Read })
	good := []struct {
		name string
		sel  Selection
		want int
		has  string
	}{
		{"the default toolsets", Selection{}, len(DefaultSet()), "proxmox_destroy_resource"},
		{"core", Selection{Toolsets: []string{"core"}}, reads, "proxmox_status"},
		{"lifecycle and one tool besides", Selection{Toolsets: []string{"lifecycle"}, Tools: []string{"proxmox_status"}}, writes + 1, "proxmox_status"},
		{"single tools alone", Selection{Tools: []string{"proxmox_status", "proxmox_start_resource"}}, 2, "proxmox_start_resource"},
		{"all", Selection{Toolsets: []string{"all"}}, len(All()), "proxmox_list_vms"},
		{"read-only keeps the reads of the default", Selection{ReadOnly: true}, reads, "proxmox_list_backups"},
		{"read-only all keeps every read", Selection{ReadOnly: true, Toolsets: []string{"all"}}, allReads, "proxmox_api_get"},
		{"read-only core", Selection{ReadOnly: true, Toolsets: []string{"core", " "}}, reads, "proxmox_get_task_log"},
	}
	for _, tc := range good {
		defs, err := Select(tc.sel)
		if err != nil || len(defs) != tc.want || !slices.ContainsFunc(defs, func(d Def) bool { return d.Name == tc.has }) {
			t.Errorf("%s: %d tools, %v; want %d with %s", tc.name, len(defs), err, tc.want, tc.has)
		}
	}
	bad := []struct {
		name string
		sel  Selection
		want string
	}{
		{"unknown toolset", Selection{Toolsets: []string{"guests"}}, `PROXMOX_TOOLSETS names "guests", which is not a toolset (core, lifecycle, api, guest, or all)`},
		{"writes under read-only", Selection{ReadOnly: true, Toolsets: []string{"lifecycle"}}, "lifecycle, whose tools all write, but PROXMOX_READ_ONLY=1"},
		{"a write tool under read-only", Selection{ReadOnly: true, Tools: []string{"proxmox_stop_resource"}}, "PROXMOX_READ_ONLY=1 registers no write tools"},
		{"an exec tool under read-only", Selection{ReadOnly: true, Tools: []string{"proxmox_guest_exec"}}, "PROXMOX_TOOLS names proxmox_guest_exec, an exec tool, but PROXMOX_READ_ONLY=1"},
	}
	for _, tc := range bad {
		if _, err := Select(tc.sel); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}
