package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve"
)

// Def is one tool: its name, tier, what it does, and a handler over typed arguments. Handlers are plain Go:
// they get validated arguments and return a result value, whose Summary is the text the model reads and whose
// JSON is the structured content.
type Def struct {
	Name  string
	Tier  gate.Tier
	Brief string // one line for the README table and `proxmox-mcp tools`
	Desc  string // what the model reads
	tool  mcp.Tool
	spec  *argSpec
	call  func(ctx context.Context, e *env, raw json.RawMessage) (result, error)
}

// result is what every handler returns.
type result interface {
	// Summary is the short text that goes in the result's content.
	Summary() string
}

// failer is a result that reports failure (a task that ended in error) while still carrying data.
type failer interface{ Failed() bool }

// define builds a Def from a handler over argument struct A and result R.
func define[A any, R result](name string, tier gate.Tier, brief, desc string, h func(ctx context.Context, e *env, a *A) (R, error)) Def {
	spec, err := specOf(reflect.TypeFor[A]())
	if err != nil {
		panic(fmt.Sprintf("tool %s: %v", name, err)) // a programming error, caught by every test run
	}
	return Def{
		Name: name, Tier: tier, Brief: brief, Desc: desc, spec: spec,
		tool: mcp.Tool{
			Name:            name,
			Description:     desc,
			RawInputSchema:  spec.schema(),
			RawOutputSchema: outputSchema(reflect.TypeFor[R]()),
		},
		call: func(ctx context.Context, e *env, raw json.RawMessage) (result, error) {
			a := new(A)
			if err := spec.decode(raw, a); err != nil {
				return nil, err
			}
			return h(ctx, e, a)
		},
	}
}

// handler adapts a Def to mcp-go: strict decoding, a read-only client context where the tier or a dry run
// forbids writing, and errors as isError results.
func (d Def) handler(e *env) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		if d.Tier == gate.Read || gate.IsDryRun(ctx) {
			// Whatever a read tool or a dry run does, the client refuses to send a write with this context.
			ctx = pve.ReadOnly(ctx)
		}
		ctx = withProgress(ctx, req)
		res, err := d.call(ctx, e, rawArgs(req))
		if err != nil {
			return errorResult(err), nil
		}
		out := &mcp.CallToolResult{
			Content:           []mcp.Content{mcp.NewTextContent(res.Summary())},
			StructuredContent: res,
		}
		if f, ok := res.(failer); ok && f.Failed() {
			out.IsError = true
		}
		return out, nil
	}
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
