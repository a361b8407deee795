package tools

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
)

// Toolset is a named group of tools that an operator turns on with PROXMOX_TOOLSETS: every tool is in exactly
// one, and what a client sees (and pays for in every conversation) is the toolsets chosen.
type Toolset struct {
	Name    string
	Brief   string // what it holds: the README, `proxmox-mcp tools` and the instructions say it
	Default bool   // on when PROXMOX_TOOLSETS is not set
}

// Names of the toolsets.
const (
	ToolsetCore      = "core"
	ToolsetLifecycle = "lifecycle"
	ToolsetAPI       = "api"
	ToolsetGuest     = "guest"
)

// toolsets are all toolsets, in the order they are shown. A new one is one line here, and its tools name it in
// their Def's Toolset; a tool that names none falls into core (reads) or lifecycle (writes) by its tier.
var toolsets = []Toolset{
	{ToolsetCore, "reads: cluster status, guests, snapshots, tasks and logs, backups, usage, templates", true},
	{ToolsetLifecycle, "writes: start, stop, reboot, snapshots and rollback, backups, create, clone, destroy", true},
	// Not on by default: with it the default tools/list of two clusters would pass 4,500 o200k tokens, and the
	// typed tools cover what operators do most. --demo turns every toolset on.
	{ToolsetAPI, "the whole Proxmox API: find, describe, read and call any operation, each judged by its class", false},
	// Not on by default either (1,365 tokens); exec needs the operator's PROXMOX_ENABLE_EXEC=1 besides.
	{ToolsetGuest, "inside the guest and provisioning: agent info, exec, config, disk resize, migration, provision", false},
}

// allToolsets is the PROXMOX_TOOLSETS value that turns every toolset on.
const allToolsets = "all"

// Toolsets returns every toolset, in the order they are shown.
func Toolsets() []Toolset { return slices.Clone(toolsets) }

// defaultToolset is the toolset of a tool that names none: core for reads, lifecycle for writes.
func defaultToolset(t gate.Tier) string {
	if t == gate.Read {
		return ToolsetCore
	}
	return ToolsetLifecycle
}

// Selection is what the operator chose to expose.
type Selection struct {
	// ReadOnly leaves out every write or destructive tool (PROXMOX_READ_ONLY=1).
	ReadOnly bool
	// Toolsets turns these toolsets on (PROXMOX_TOOLSETS); none: the default toolsets, unless Tools is set.
	Toolsets []string
	// Tools picks single tools (PROXMOX_TOOLS): alone, only these; with Toolsets, these besides.
	Tools []string
}

// Select applies a selection and fails on a contradiction: an unknown tool or toolset, a write tool named while
// read-only, a toolset that holds nothing a read-only server keeps, or nothing left at all.
func Select(sel Selection) ([]Def, error) {
	all := All()
	byName := map[string]Def{}
	for _, d := range all {
		byName[d.Name] = d
	}
	var problems []string
	sets := map[string]bool{}
	for _, n := range sel.Toolsets {
		n = strings.TrimSpace(n)
		switch {
		case n == "":
		case n == allToolsets:
			for _, ts := range toolsets {
				sets[ts.Name] = true
			}
		case !slices.ContainsFunc(toolsets, func(ts Toolset) bool { return ts.Name == n }):
			problems = append(problems, fmt.Sprintf("PROXMOX_TOOLSETS names %q, which is not a toolset (%s, or %s)", n, strings.Join(toolsetNames(), ", "), allToolsets))
		case sel.ReadOnly && !slices.ContainsFunc(all, func(d Def) bool { return d.Toolset == n && d.Tier == gate.Read }):
			problems = append(problems, fmt.Sprintf("PROXMOX_TOOLSETS names %s, whose tools all write, but PROXMOX_READ_ONLY=1 registers no write tools", n))
		default:
			sets[n] = true
		}
	}
	want := map[string]bool{}
	for _, n := range sel.Tools {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		d, ok := byName[n]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("PROXMOX_TOOLS names %q, which is not a tool", n))
		case sel.ReadOnly && d.Tier != gate.Read:
			problems = append(problems, fmt.Sprintf("PROXMOX_TOOLS names %s, %s, but PROXMOX_READ_ONLY=1 registers no write tools", n, d.Tier.ToolPhrase()))
		}
		want[n] = true
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	if len(sets) == 0 && len(want) == 0 {
		for _, ts := range toolsets {
			sets[ts.Name] = ts.Default
		}
	}
	var out []Def
	for _, d := range all {
		if sel.ReadOnly && d.Tier != gate.Read || !sets[d.Toolset] && !want[d.Name] {
			continue
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		return nil, errors.New("the configuration exposes no tool at all")
	}
	return out, nil
}

func toolsetNames() []string {
	out := make([]string, len(toolsets))
	for i, ts := range toolsets {
		out[i] = ts.Name
	}
	return out
}

// DefaultSet is what a server exposes when the operator chooses nothing: the default toolsets.
func DefaultSet() []Def {
	defs, err := Select(Selection{})
	if err != nil {
		panic(err) // the default toolsets hold tools; every test run checks it
	}
	return defs
}

// OfToolset keeps the definitions of one toolset.
func OfToolset(defs []Def, name string) []Def {
	var out []Def
	for _, d := range defs {
		if d.Toolset == name {
			out = append(out, d)
		}
	}
	return out
}
