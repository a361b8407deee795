// Package tools is the product: the MCP tools over the Proxmox client, behind the write gate. It is the only
// package that knows both MCP and Proxmox.
package tools

import (
	"errors"
	"slices"
	"time"

	"github.com/mark3labs/mcp-go/server"
	"github.com/rs/zerolog"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve"
	"github.com/proxmox-mcp/proxmox-mcp/redact"
)

// Options configure a server.
type Options struct {
	// Client is the one cluster configured from the environment, named "default"; or give Targets.
	Client *pve.Client
	// Targets are the clusters of a targets file (PROXMOX_TARGETS): every tool then takes the cluster argument.
	Targets []Target
	// DefaultTarget is the cluster of a call that names none (default_target); with one target, that one.
	DefaultTarget string
	Policy        *gate.Policy
	Redactor      *redact.Redactor
	Log           zerolog.Logger
	Version       string
	// ReadOnly registers no write or destructive tool at all (PROXMOX_READ_ONLY=1).
	ReadOnly bool
	// Toolsets, when set, exposes these toolsets (PROXMOX_TOOLSETS); else the default ones.
	Toolsets []string
	// Only, when set, exposes these tools: alone, only these; with Toolsets, these besides (PROXMOX_TOOLS).
	Only []string
	// Hidden are tools left out because no cluster's token holds the privileges they need (Unpermitted).
	Hidden []string
	// DefaultWait bounds a write's wait for its task (PROXMOX_WAIT_SECONDS, default 30s).
	DefaultWait time.Duration
	// Consent is when and how a person approves a write (PROXMOX_CONSENT...); nil is the default policy.
	Consent *gate.Consent

	// extra are tools only tests register: a misbehaving tool proves the guards around every tool.
	extra []Def
}

// Selection is what o chooses to expose.
func (o Options) Selection() Selection {
	return Selection{ReadOnly: o.ReadOnly, Toolsets: o.Toolsets, Tools: o.Only}
}

// order is the order tools/list shows: reads, writes, destructive, as the product's tool table lists them, then
// the generic API tools.
var order = []string{
	"proxmox_status", "proxmox_list_vms", "proxmox_list_containers", "proxmox_get_resource", "proxmox_list_snapshots",
	"proxmox_recent_tasks", "proxmox_get_task_status", "proxmox_get_task_log", "proxmox_list_backups",
	"proxmox_resource_usage", "proxmox_list_templates",
	"proxmox_start_resource", "proxmox_stop_resource", "proxmox_reboot_resource", "proxmox_snapshot_resource",
	"proxmox_run_backup", "proxmox_create_container", "proxmox_create_vm", "proxmox_clone_resource",
	"proxmox_destroy_resource", "proxmox_delete_snapshot", "proxmox_rollback_snapshot", "proxmox_force_stop_resource",
	"proxmox_guest_info", "proxmox_guest_exec", "proxmox_update_config", "proxmox_resize_disk", "proxmox_migrate_resource",
	"proxmox_provision_vm",
	// The generic API tools, after the typed ones.
	"proxmox_api_find", "proxmox_api_describe", "proxmox_api_get", "proxmox_api_call",
}

// All returns every tool definition, in the order tools/list shows them, each in its toolset.
func All() []Def {
	defs := slices.Concat(statusTools(), guestTools(), snapshotTools(), taskTools(), backupTools(), usageTools(),
		templateTools(), powerTools(), createTools(), destroyTools(), insideTools(), apiTools())
	rank := func(d Def) int {
		if i := slices.Index(order, d.Name); i >= 0 {
			return i
		}
		return len(order) // unlisted tools go last; TestToolOrder fails on them
	}
	slices.SortStableFunc(defs, func(a, b Def) int { return rank(a) - rank(b) })
	for i := range defs {
		if defs[i].Toolset == "" {
			defs[i].Toolset = defaultToolset(defs[i].Tier)
		}
	}
	return defs
}

// NewServer builds the MCP server: the selected tools, each registered with the gate, behind the middleware
// chain recover+redact -> log -> handler, where every handler passes its call through the gate's Check.
func NewServer(o Options) (*server.MCPServer, error) {
	if o.Policy == nil {
		return nil, errors.New("tools: a policy is required")
	}
	cs, err := newClusters(o)
	if err != nil {
		return nil, err
	}
	if o.Redactor == nil {
		o.Redactor = redact.New()
	}
	if o.DefaultWait <= 0 {
		o.DefaultWait = 30 * time.Second
	}
	if o.Consent == nil {
		c, err := gate.NewConsent(gate.ConsentConfig{})
		if err != nil {
			return nil, err
		}
		o.Consent = c
	}
	defs, err := Select(o.Selection())
	if err != nil {
		return nil, err
	}
	defs = slices.DeleteFunc(defs, func(d Def) bool { return slices.Contains(o.Hidden, d.Name) })
	if len(defs) == 0 {
		return nil, errors.New("no tool is left: the tokens hold none of the privileges the chosen tools need")
	}
	s := server.NewMCPServer("proxmox-mcp", o.Version,
		server.WithToolCapabilities(false),
		server.WithInstructions(Instructions(InstructionFacts{
			Destructive: o.Policy.DestructiveEnabled(), ReadOnly: o.ReadOnly, Tools: defs, clusters: cs})),
	)
	s.Use(guard(o.Redactor, o.Log), logCalls(o.Log))
	e := &env{clusters: cs, policy: o.Policy, redactor: o.Redactor, log: o.Log, defaultWait: o.DefaultWait, consent: o.Consent,
		tasks: newTaskHelp(defs)}
	for _, d := range append(defs, o.extra...) {
		tool, err := o.Policy.Register(d.tool(cs), d.Tier)
		if err != nil {
			return nil, err
		}
		s.AddTool(tool, d.handler(e))
	}
	return s, nil
}

// env is what handlers share.
type env struct {
	clusters    *clusters
	policy      *gate.Policy
	redactor    *redact.Redactor
	log         zerolog.Logger
	defaultWait time.Duration
	consent     *gate.Consent
	tasks       taskHelp
}
