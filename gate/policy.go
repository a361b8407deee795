package gate

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
)

// Policy holds the tier of every registered tool and the operator's switch. Every tool call passes through its
// Check: a tool it does not know is refused, and a write or destructive call runs only with a Permit.
type Policy struct {
	destructive bool
	exec        ExecRule
	audit       *Auditor
	mu          sync.RWMutex
	tiers       map[string]Tier
	apiAllow    map[string]bool // PROXMOX_API_ALLOW: operator-only operations the generic tools may call
}

// NewPolicy makes a policy. destructiveEnabled is the operator's PROXMOX_ENABLE_DESTRUCTIVE; audit may be nil.
func NewPolicy(destructiveEnabled bool, audit *Auditor, opts ...PolicyOption) *Policy {
	p := &Policy{destructive: destructiveEnabled, audit: audit, tiers: map[string]Tier{}, apiAllow: map[string]bool{}}
	for _, o := range opts {
		o(p)
	}
	return p
}

// DestructiveEnabled reports the operator's switch.
func (p *Policy) DestructiveEnabled() bool { return p.destructive }

// Exec returns the operator's exec rule.
func (p *Policy) Exec() ExecRule { return p.exec }

// Register records a tool's tier, sets its annotations from the tier, and fails when the tool already carries
// annotations that disagree, or when a write tool's schema does not show the confirmations its tier needs.
func (p *Policy) Register(tool mcp.Tool, t Tier) (mcp.Tool, error) {
	if !t.Valid() {
		return tool, fmt.Errorf("register %s: invalid tier %v", tool.Name, t)
	}
	want := Annotations(t)
	a := &tool.Annotations
	for _, h := range []struct {
		got  **bool
		want *bool
	}{{&a.ReadOnlyHint, want.ReadOnlyHint}, {&a.DestructiveHint, want.DestructiveHint}, {&a.IdempotentHint, want.IdempotentHint}, {&a.OpenWorldHint, want.OpenWorldHint}} {
		if *h.got != nil && (h.want == nil || **h.got != *h.want) {
			return tool, fmt.Errorf("register %s: annotations disagree with tier %s", tool.Name, t)
		}
		*h.got = h.want
	}
	if err := CheckAnnotations(tool, t); err != nil {
		return tool, err
	}
	if t != Read {
		need := []string{ArgConfirm, ArgDryRun}
		if t == Destructive {
			need = append(need, ArgDestructive)
		}
		if t == Exec {
			need = append(need, ArgCommand)
		}
		for _, arg := range need {
			if !declares(tool, arg) {
				return tool, fmt.Errorf("register %s: %s must declare the %q argument", tool.Name, t.ToolPhrase(), arg)
			}
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, dup := p.tiers[tool.Name]; dup {
		return tool, fmt.Errorf("register %s: registered twice", tool.Name)
	}
	p.tiers[tool.Name] = t
	return tool, nil
}

// declares reports whether the tool's input schema has a property named arg.
func declares(tool mcp.Tool, arg string) bool {
	if tool.RawInputSchema != nil {
		var s struct {
			Properties map[string]json.RawMessage `json:"properties"`
		}
		if json.Unmarshal(tool.RawInputSchema, &s) != nil {
			return false
		}
		_, ok := s.Properties[arg]
		return ok
	}
	_, ok := tool.InputSchema.Properties[arg]
	return ok
}

// Tier returns a registered tool's tier.
func (p *Policy) Tier(name string) (Tier, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	t, ok := p.tiers[name]
	return t, ok
}

// Call is one tool call as the gate sees it: the tool and its arguments, parsed once by the caller, the
// operation a generic call reaches, and the cluster it acts on.
type Call struct {
	Tool string
	Args map[string]json.RawMessage
	// Op is, for a generic API call, the operation its arguments reach: the call is judged at its tier.
	Op *Operation
	// Cluster is the cluster the call acts on (nil: none named, and only the server's switch applies).
	Cluster *Cluster
}

// Permit is the gate's leave to run a call. A handler that gets DryRun must not write.
type Permit struct {
	Tier   Tier
	DryRun bool
	// Unmet lists, for a dry run, the conditions the real call would still miss: a dry run needs no confirmation,
	// but it must not let a person think the real call would go through.
	Unmet []string
	// NeedsOperator is set when the operator's switch is among Unmet.
	NeedsOperator bool
	// Op is the generic call's operation (Call.Op); Tier is then its tier.
	Op *Operation
	// ClusterSettings are the targets file's settings among Unmet.
	ClusterSettings []string
}

// The decisions an audit record can carry: what really happened to a write attempt.
const (
	Refused = "refused" // the gate refused it: nothing was sent
	Invalid = "invalid" // its arguments or target were refused before any write was sent
	DryRun  = "dry_run" // the request was built and shown, not sent
	Sent    = "sent"    // the write was sent and Proxmox took it (its task may still fail: see Result)
	Failed  = "failed"  // it could not be carried out: Proxmox refused the write, no answer came, or a read it needed failed
	Pending = "pending" // nothing was sent: the call asked a person, whose answer comes back as a new call
	// Unneeded: nothing had to be sent, the target was already as asked (a provision resumed after its last
	// write).
	Unneeded = "unneeded"
)

// Outcome is what a write attempt did, as its handler reports it; the audit record is made of it.
type Outcome struct {
	Decision string // Invalid, DryRun, Sent, Failed, Pending, or Refused (by consent)
	Target   string // e.g. "VM 100 (web) on pve1"
	Request  string // the request line, when one was built
	UPID     string
	Result   string // the task's exit status, "running" or "started"
	Error    string
	Consent  string // the consent outcome (ConsentAccepted, ...), when a person was to be asked
	Digest   string // the digest of the plan consent was about
}

// Handler runs a call the gate let through and reports what it did.
type Handler func(ctx context.Context, p Permit) (*mcp.CallToolResult, Outcome)

// Check applies the policy to a call before next runs, and writes one audit record per write attempt, from
// what next reports. A refusal returns here, before any request is built.
func (p *Policy) Check(ctx context.Context, c Call, next Handler) *mcp.CallToolResult {
	t, known := p.Tier(c.Tool)
	if !known {
		// Fail closed: a tool that skipped registration gets no benefit of the doubt.
		return mcp.NewToolResultError(fmt.Sprintf("Refused, nothing was sent to Proxmox: %s has no tier registered with the gate.", c.Tool))
	}
	j := p.judge(c.Tool, t, c.Op)
	t = j.tier
	if t == Read && j.never == "" && len(j.unmet) == 0 {
		res, _ := next(ctx, Permit{Tier: Read, Op: c.Op})
		return res
	}
	start := time.Now()
	d := j.apply(DecideFor(t, c.Args, p.destructive, c.Cluster))
	d = p.exec.narrow(t, c.Args, d)
	if j.never != "" {
		d = Decision{Missing: []string{j.never}}
	}
	cluster := ""
	if c.Cluster != nil {
		cluster = c.Cluster.Name
	}
	if d.Invalid != "" && j.never == "" {
		p.audit.Write(&Record{Tool: c.Tool, Tier: t.String(), Decision: Invalid, Cluster: cluster, Error: d.Invalid, Operation: j.key()}, start)
		return mcp.NewToolResultError(InvalidRefusal(d))
	}
	if !d.Allow || t == Read {
		if t != Read {
			p.audit.Write(&Record{Tool: c.Tool, Tier: t.String(), Decision: Refused, Cluster: cluster, Missing: d.Missing, Operation: j.key(), Escalated: j.escalated()}, start)
		}
		if j.never != "" {
			return mcp.NewToolResultError("Refused, nothing was sent to Proxmox: " + j.never + ".")
		}
		return mcp.NewToolResultError(j.refusal(c.Tool, d))
	}
	res, out := next(ctx, Permit{Tier: t, DryRun: d.DryRun, Unmet: d.Unmet, NeedsOperator: d.NeedsOperator, Op: c.Op, ClusterSettings: d.ClusterSettings})
	rec := &Record{Tool: c.Tool, Tier: t.String(), Decision: out.Decision, Cluster: cluster, Target: out.Target, Request: out.Request,
		UPID: out.UPID, Outcome: out.Result, Error: out.Error, Operation: j.key(), Escalated: j.escalated(), Consent: out.Consent, Digest: out.Digest}
	if rec.Decision == "" {
		// A handler that reports nothing did nothing a record could vouch for; say so rather than guess "sent".
		rec.Decision = Failed
		if rec.Error == "" {
			rec.Error = "the tool reported no outcome"
		}
	}
	if d.DryRun {
		rec.Missing = d.Unmet
	}
	p.audit.Write(rec, start)
	return res
}
