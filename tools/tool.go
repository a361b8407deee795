package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve"
)

// Def is one tool, and the one home of its facts: name, tier, what it does, the privileges its requests need,
// its arguments and its result. The MCP definition, the README table and role, `proxmox-mcp tools`, doctor's
// privilege checks and the gate's registration all derive from it.
type Def struct {
	Name  string
	Tier  gate.Tier
	Brief string // one line for the README table and `proxmox-mcp tools`
	Desc  string // what the model reads: what the tool does and when to use it
	// Privs are the Proxmox privileges its requests need (from the endpoints' permissions); "A|B" means either.
	Privs []string
	// Toolset is the toolset it belongs to (toolsets.go).
	Toolset string
	spec    *argSpec
	out     reflect.Type
	run     func(ctx context.Context, e *env, c *call, args object) (result, error)
	spread  bool // takes cluster "*" (clusters.go)
	// bind, for a tool whose gate decision depends on its arguments (the generic API tools), decodes and
	// validates a call's arguments before the gate decides, and returns the operation they reach and the
	// handler bound to them.
	bind func(args object) (*gate.Operation, func(ctx context.Context, e *env, c *call) (result, error), error)
}

// call is what one tool call carries besides its arguments: the gate's permit and where progress goes.
type call struct {
	tool     string
	permit   gate.Permit
	progress func(label string, p pve.Progress)
	// pve is the client of the cluster this call acts on.
	pve *pve.Client
	// input is what a client sends back with the answer to a question the call asked (consent).
	input mcp.MultiRoundTripParams
	// targets are the clusters it acts on: one, or with cluster "*" every one (targets[0] is pve's).
	targets []*Target
}

// dryRun reports whether the gate allowed this call only as a dry run.
func (c *call) dryRun() bool { return c.permit.DryRun }

// result is what every handler returns.
type result interface {
	// Summary is the short text that goes in the result's content.
	Summary() string
}

// failer is a result that reports failure (a task that ended in error) while still carrying data.
type failer interface{ Failed() bool }

// reporter is a result that says what a write attempt did, for the audit trail.
type reporter interface{ outcome() gate.Outcome }

// define builds a Def from a handler over argument struct A and result R.
func define[A any, R result](name string, tier gate.Tier, brief, desc string, privs []string, h func(ctx context.Context, e *env, c *call, a *A) (R, error)) Def {
	spec, err := specOf(reflect.TypeFor[A]())
	if err != nil {
		panic(fmt.Sprintf("tool %s: %v", name, err)) // a programming error, caught by every test run
	}
	return Def{
		Name: name, Tier: tier, Brief: brief, Desc: desc, Privs: privs, spec: spec, out: reflect.TypeFor[R](),
		run: func(ctx context.Context, e *env, c *call, m object) (result, error) {
			a := new(A)
			if err := spec.decode(m, a); err != nil {
				return nil, err
			}
			return h(ctx, e, c, a)
		},
	}
}

// defineBound is define for a tool whose gate decision depends on its arguments: bind validates the decoded
// arguments (keeping what it derives in unexported fields of A) and names the operation they reach, all before
// the gate decides and before any request; h then runs with the same arguments.
func defineBound[A any, R result](name string, tier gate.Tier, brief, desc string, privs []string, bind func(a *A) (*gate.Operation, error), h func(ctx context.Context, e *env, c *call, a *A) (R, error)) Def {
	d := define(name, tier, brief, desc, privs, h)
	d.bind = func(m object) (*gate.Operation, func(ctx context.Context, e *env, c *call) (result, error), error) {
		a := new(A)
		decodeErr := d.spec.decode(m, a)
		if decodeErr != nil {
			// When only the gate's own arguments are wrong ("confirm": "true"), the gate says best what they
			// need; should it let the call through anyway, the handler refuses it with this error, unsent.
			a = new(A)
			if d.spec.decode(withoutGateArgs(m), a) != nil {
				return nil, nil, decodeErr
			}
		}
		op, err := bind(a)
		if err != nil {
			return nil, nil, err
		}
		return op, func(ctx context.Context, e *env, c *call) (result, error) {
			if decodeErr != nil {
				return nil, decodeErr
			}
			return h(ctx, e, c, a)
		}, nil
	}
	return d
}

// withoutGateArgs is a call's arguments without the ones the gate reads.
func withoutGateArgs(m object) object {
	out := make(object, len(m))
	for k, v := range m {
		if k != gate.ArgConfirm && k != gate.ArgDestructive && k != gate.ArgDryRun {
			out[k] = v
		}
	}
	return out
}

func privs(p ...string) []string { return p }

// PerOperation reports whether the gate judges each call of the tool by the operation it reaches (the generic
// API tools): Tier is then the worst case, which its annotations state.
func (d Def) PerOperation() bool { return d.bind != nil }

// Tool is the MCP definition clients see: description, input and output schemas. Annotations come from the
// tier when the gate registers it.
func (d Def) Tool() mcp.Tool { return d.tool(nil) }

// tool is the definition with the cluster argument, when a targets file names the clusters.
func (d Def) tool(cs *clusters) mcp.Tool {
	in := d.spec.inputSchema()
	cs.schema(d, in)
	return mcp.Tool{
		Name:            d.Name,
		Description:     d.Desc,
		RawInputSchema:  mustJSON(in),
		RawOutputSchema: mustJSON(outputSchema(d.out)),
	}
}

// handler adapts a Def to mcp-go. Arguments are parsed once; the gate decides on them; the tool decodes and
// validates them into its struct and runs; what it did flows back out as the result and the audit outcome.
func (d Def) handler(e *env) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		args, err := parseObject(rawArgs(req))
		if err != nil {
			return errorResult(err), nil
		}
		// The cluster is chosen (and its argument taken out of args) first: before a bound tool decodes its own
		// arguments, and before the gate decides, which applies that cluster's settings. A call that names none
		// that exists still passes the gate (a write attempt is audited) and is refused below.
		targets, clusterErr := e.clusters.choose(d, args)
		gc := gate.Call{Tool: d.Name, Args: args, Cluster: gateCluster(targets)}
		run := func(ctx context.Context, c *call) (result, error) { return d.run(ctx, e, c, args) }
		if d.bind != nil {
			// Refused here, before the gate, like arguments that are not JSON: no operation was named.
			op, bound, err := d.bind(args)
			if err != nil {
				return errorResult(err), nil
			}
			gc.Op, run = op, func(ctx context.Context, c *call) (result, error) { return bound(ctx, e, c) }
		}
		ran := false
		res := e.policy.Check(ctx, gc, func(ctx context.Context, p gate.Permit) (*mcp.CallToolResult, gate.Outcome) {
			ran = true
			if clusterErr != nil {
				return errorResult(clusterErr), failure(clusterErr, false)
			}
			if d.Tier == gate.Read || p.DryRun {
				// Whatever a read tool or a dry run does, the client refuses to send a write with this context.
				ctx = pve.ReadOnly(ctx)
			}
			c := &call{tool: d.Name, permit: p, progress: e.progressSink(ctx, req), pve: targets[0].Client, targets: targets,
				input: req.Params.MultiRoundTripParams}
			r, err := run(ctx, c)
			if res, o, ok := consentResult(err); ok {
				return res, o
			}
			if err != nil {
				var ae *ArgError
				if errors.As(err, &ae) && e.clusters.declared && ae.Valid != "" && !strings.HasPrefix(ae.Valid, ArgCluster+", ") {
					ae.Valid = ArgCluster + ", " + ae.Valid // taken out of the arguments before they were decoded
				}
				return mcp.NewToolResultError(explainIn(err, e.clusters.declared)), failure(err, e.clusters.declared)
			}
			out := &mcp.CallToolResult{
				Content:           []mcp.Content{mcp.NewTextContent(r.Summary())},
				StructuredContent: r,
			}
			if f, ok := r.(failer); ok && f.Failed() {
				out.IsError = true
			}
			var o gate.Outcome
			if rep, ok := r.(reporter); ok {
				o = rep.outcome()
			}
			return out, o
		})
		if !ran && res != nil && res.IsError {
			// The gate refused before the arguments were decoded: a misspelt one ("confrm") would go unsaid.
			if unknown := d.spec.unknown(args); len(unknown) > 0 {
				takes := d.spec.names()
				if e.clusters.declared {
					takes = ArgCluster + ", " + takes
				}
				res.Content = append(res.Content, mcp.NewTextContent("Also: unknown argument "+strings.Join(unknown, ", ")+"; this tool takes "+takes+"."))
			}
		}
		return res, nil
	}
}

// failure is the audit outcome of a call that ended in an error: invalid when it was refused before anything
// was sent, failed otherwise, with the request when one was sent.
func failure(err error, file bool) gate.Outcome {
	var se *sendError
	if errors.As(err, &se) {
		o := gate.Outcome{Decision: gate.Failed, Target: se.target, Request: se.request, Error: explainIn(err, file), Consent: se.consent, Digest: se.digest}
		if errors.Is(err, pve.ErrInvalidRequest) {
			o.Decision = gate.Invalid // the client refused to send it
		}
		return o
	}
	var argErr *ArgError
	if errors.As(err, &argErr) || errors.Is(err, pve.ErrInvalidRequest) || errors.Is(err, pve.ErrNotFound) {
		return gate.Outcome{Decision: gate.Invalid, Error: explainIn(err, file)}
	}
	return gate.Outcome{Decision: gate.Failed, Error: explainIn(err, file)}
}

// rawArgs returns the arguments exactly as sent, so that 100.7, "100" and 1e2 can be told from 100.
func rawArgs(req mcp.CallToolRequest) json.RawMessage {
	if len(req.Params.RawArguments) > 0 {
		return req.Params.RawArguments
	}
	if req.Params.Arguments == nil {
		return nil
	}
	b, err := json.Marshal(req.Params.Arguments)
	if err != nil {
		return json.RawMessage(`[]`)
	}
	return b
}

// errorResult is the one way an error becomes a result. The text is redacted by the outermost middleware.
func errorResult(err error) *mcp.CallToolResult {
	return mcp.NewToolResultError(explain(err))
}
