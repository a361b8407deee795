package gate

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// Policy holds the tier of every registered tool and the operator's switch. Its middleware must wrap every
// tool: a tool it does not know is refused.
type Policy struct {
	destructive bool
	audit       *Auditor
	mu          sync.RWMutex
	tiers       map[string]Tier
}

// NewPolicy makes a policy. destructiveEnabled is the operator's PROXMOX_ENABLE_DESTRUCTIVE; audit may be nil.
func NewPolicy(destructiveEnabled bool, audit *Auditor) *Policy {
	return &Policy{destructive: destructiveEnabled, audit: audit, tiers: map[string]Tier{}}
}

// DestructiveEnabled reports the operator's switch.
func (p *Policy) DestructiveEnabled() bool { return p.destructive }

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
		if *h.got != nil && **h.got != *h.want {
			return tool, fmt.Errorf("register %s: annotations disagree with tier %s", tool.Name, t)
		}
		*h.got = h.want
	}
	if err := CheckAnnotations(tool, t); err != nil {
		return tool, err
	}
	if t != Read {
		need := []string{ArgConfirm}
		if t == Destructive {
			need = append(need, ArgDestructive)
		}
		for _, arg := range need {
			if !declares(tool, arg) {
				return tool, fmt.Errorf("register %s: a %s tool must declare the %q argument", tool.Name, t, arg)
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

type dryRunKey struct{}

// IsDryRun reports whether the gate let this call through as a dry run: the handler must not write.
func IsDryRun(ctx context.Context) bool { v, _ := ctx.Value(dryRunKey{}).(bool); return v }

// Middleware enforces the policy before the handler runs and writes one audit record per write attempt.
func (p *Policy) Middleware(next server.ToolHandlerFunc) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		name := req.Params.Name
		t, known := p.Tier(name)
		if !known {
			// Fail closed: a tool that skipped registration gets no benefit of the doubt.
			return mcp.NewToolResultError(fmt.Sprintf("Refused, nothing was sent to Proxmox: %s has no tier registered with the gate.", name)), nil
		}
		if t == Read {
			return next(ctx, req)
		}
		start := time.Now()
		rec := &Record{Tool: name, Tier: t.String()}
		d := Decide(t, rawArguments(req), p.destructive)
		if !d.Allow {
			rec.Decision, rec.Missing = "refused", d.Missing
			p.audit.Write(rec, start)
			return mcp.NewToolResultError(Refusal(name, t, d)), nil
		}
		rec.Decision = "sent"
		if d.DryRun {
			rec.Decision = "dry_run"
			ctx = context.WithValue(ctx, dryRunKey{}, true)
		}
		ctx = context.WithValue(ctx, recordKey{}, rec)
		res, err := next(ctx, req)
		switch {
		case err != nil:
			rec.Error = err.Error()
		case res != nil && res.IsError && rec.Error == "":
			rec.Error = firstText(res)
		}
		p.audit.Write(rec, start)
		return res, err
	}
}

// rawArguments returns the call's arguments as JSON, exactly as the client sent them when available.
func rawArguments(req mcp.CallToolRequest) json.RawMessage {
	if len(req.Params.RawArguments) > 0 {
		return req.Params.RawArguments
	}
	if req.Params.Arguments == nil {
		return nil
	}
	b, err := json.Marshal(req.Params.Arguments)
	if err != nil {
		return json.RawMessage(`"unencodable"`)
	}
	return b
}

func firstText(res *mcp.CallToolResult) string {
	for _, c := range res.Content {
		if t, ok := c.(mcp.TextContent); ok {
			return t.Text
		}
	}
	return "error"
}
