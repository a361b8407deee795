// Package tools is the product: the MCP tools over the Proxmox client, behind the write gate. It is the only
// package that knows both MCP and Proxmox.
package tools

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/server"
	"github.com/rs/zerolog"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve"
	"github.com/proxmox-mcp/proxmox-mcp/redact"
)

// Options configure a server.
type Options struct {
	Client   *pve.Client
	Policy   *gate.Policy
	Redactor *redact.Redactor
	Log      zerolog.Logger
	Version  string
	// ReadOnly registers no write or destructive tool at all (PROXMOX_READ_ONLY=1).
	ReadOnly bool
	// Only, when set, exposes only these tools (PROXMOX_TOOLS).
	Only []string
	// DefaultWait bounds a write's wait for its task (PROXMOX_WAIT_SECONDS, default 30s).
	DefaultWait time.Duration
	// Consent is when and how a person approves a write (PROXMOX_CONSENT...); nil is the default policy.
	Consent *gate.Consent

	// extra are tools only tests register: a misbehaving tool proves the guards around every tool.
	extra []Def
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

// All returns every tool definition, in the order tools/list shows them.
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
	return defs
}

// Select applies the read-only switch and a PROXMOX_TOOLS list, and fails on a contradiction: an unknown name,
// or a write tool named while read-only.
func Select(readOnly bool, only []string) ([]Def, error) {
	all := All()
	byName := map[string]Def{}
	for _, d := range all {
		byName[d.Name] = d
	}
	var problems []string
	want := map[string]bool{}
	for _, n := range only {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		d, ok := byName[n]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("PROXMOX_TOOLS names %q, which is not a tool", n))
		case readOnly && d.Tier != gate.Read:
			problems = append(problems, fmt.Sprintf("PROXMOX_TOOLS names %s, a %s tool, but PROXMOX_READ_ONLY=1 registers no write tools", n, d.Tier))
		}
		want[n] = true
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	var out []Def
	for _, d := range all {
		if readOnly && d.Tier != gate.Read || len(want) > 0 && !want[d.Name] {
			continue
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		return nil, errors.New("the configuration exposes no tool at all")
	}
	return out, nil
}

// NewServer builds the MCP server: the selected tools, each registered with the gate, behind the middleware
// chain recover+redact -> log -> handler, where every handler passes its call through the gate's Check.
func NewServer(o Options) (*server.MCPServer, error) {
	if o.Client == nil || o.Policy == nil {
		return nil, errors.New("tools: a client and a policy are required")
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
	defs, err := Select(o.ReadOnly, o.Only)
	if err != nil {
		return nil, err
	}
	s := server.NewMCPServer("proxmox-mcp", o.Version,
		server.WithToolCapabilities(false),
		server.WithInstructions(Instructions(o.Policy.DestructiveEnabled(), o.ReadOnly)),
	)
	s.Use(guard(o.Redactor, o.Log), logCalls(o.Log))
	e := &env{client: o.Client, policy: o.Policy, redactor: o.Redactor, log: o.Log, defaultWait: o.DefaultWait, consent: o.Consent}
	for _, d := range append(defs, o.extra...) {
		tool, err := o.Policy.Register(d.Tool(), d.Tier)
		if err != nil {
			return nil, err
		}
		s.AddTool(tool, d.handler(e))
	}
	return s, nil
}

// env is what handlers share.
type env struct {
	client      *pve.Client
	policy      *gate.Policy
	redactor    *redact.Redactor
	log         zerolog.Logger
	defaultWait time.Duration
	consent     *gate.Consent
}
