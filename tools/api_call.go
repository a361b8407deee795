package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve"
	"github.com/proxmox-mcp/proxmox-mcp/pve/schema"
)

// apiCallArgs: the gate reads confirm, destructive and dry_run; which of them a call needs is its
// operation's class (proxmox_api_describe says).
type apiCallArgs struct {
	Method      string         `json:"method" arg:"required" enum:"POST|PUT|DELETE" desc:"HTTP method"`
	Path        string         `json:"path" arg:"required" maxlen:"1024" desc:"Concrete path"`
	Params      map[string]any `json:"params" desc:"Body or query parameters"`
	Confirm     bool           `json:"confirm" desc:"Must be true"`
	DryRun      bool           `json:"dry_run" desc:"Preview only"`
	Destructive bool           `json:"destructive" desc:"True for destructive ones"`
	// req is the request the schema matched and validated (bindCall).
	req *schema.Request
}

// apiCallResult is a write's result, with the operation's class and, for a write that starts no task, what
// Proxmox answered.
type apiCallResult struct {
	*writeResult
	Operation string `json:"operation"` // METHOD /path/template
	Class     string `json:"class"`
	Data      any    `json:"data,omitempty" out:"-"`
	cut       bool
}

func (r *apiCallResult) Summary() string {
	if r.Status != "ok" || r.UPID != "" {
		return r.writeResult.Summary()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Done: %s in %.1fs; Proxmox answered %s.", r.what, r.Seconds, kindOf(r.Data))
	if r.Data != nil {
		b.WriteString("\n")
		fence(&b, "answer of "+r.Operation, answerLines(r.Data))
	}
	if r.cut {
		b.WriteString("Long values or members of the answer were left out.\n")
	}
	if r.Note != "" {
		b.WriteString("\n" + r.Note)
	}
	return strings.TrimRight(b.String(), "\n")
}

// bindCall matches the path to the operation of the method and validates its parameters before the gate
// decides: the gate then asks what that operation's class needs.
func bindCall(a *apiCallArgs) (*gate.Operation, error) {
	r, err := schema.Prepare(a.Method, a.Path, a.Params)
	if err != nil {
		return nil, apiError(a.Params, err)
	}
	a.req = r
	return gateOperation(r), nil
}

// apiCall sends the write once (or shows it, in a dry run) through the path every write takes, and waits for
// its task when it starts one.
func apiCall(ctx context.Context, e *env, c *call, a *apiCallArgs) (*apiCallResult, error) {
	op := a.req.Op
	req, err := pve.NewAPIRequest(a.req)
	if err != nil {
		return nil, err
	}
	path := clean(a.req.Path, maxValue)
	res := &writeResult{action: op.Method + " " + path, what: fmt.Sprintf("%s %s (%s)", op.Method, path, classText(a.req))}
	out := &apiCallResult{writeResult: res, Operation: op.Key(), Class: a.req.Class.String()}
	if _, err := e.send(ctx, c, res, req); err != nil {
		return nil, err
	}
	if res.answer != nil {
		if v, err := decodeAnswer(res.answer); err == nil && v != nil {
			s := shrink(v, maxAnswerBytes)
			out.Data, out.cut = s.v, s.cut
		}
	}
	return out, nil
}
