package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve"
)

// writeArgs are the arguments every write tool takes. The gate reads confirm and dry_run from the parsed
// arguments before the handler runs; strict decoding then checks them like any other argument.
//
// A write waits for its task up to the server's PROXMOX_WAIT_SECONDS and then reports it running; waiting longer
// is proxmox_get_task_status's job, so that there is one way to wait and every write's schema stays small.
type writeArgs struct {
	Confirm bool `json:"confirm" desc:"Must be true"`
	DryRun  bool `json:"dry_run" desc:"Preview only"`
}

// destructiveArgs add the second confirmation destructive tools need.
type destructiveArgs struct {
	writeArgs
	Destructive bool `json:"destructive" desc:"Must be true"`
}

// writeResult is what every write returns.
type writeResult struct {
	Status     string       `json:"status" enum:"dry_run|running|ok|failed"`
	UPID       string       `json:"upid,omitempty"`
	ExitStatus string       `json:"exitstatus,omitempty" out:"-"`
	Target     *guestView   `json:"target,omitempty" out:"-"` // the guest written to, or created
	Request    *requestView `json:"request,omitempty" out:"-"`
	LogTail    []string     `json:"log_tail,omitempty" out:"-"`
	Note       string       `json:"note,omitempty" out:"-"`
	Seconds    float64      `json:"seconds,omitempty" out:"-"`
	// action names the write in errors: "start", "clone".
	action string
	// what is the human phrase for the action, e.g. "roll back VM 102 (docker-host) on pve2 to weekly".
	what string
	// lost is set when the task started but following it failed: "running" is then its last known state.
	lost bool
	// sent is the request line the audit records: "DELETE /api2/json/nodes/pve1/lxc/204?purge=1".
	sent string
	// consent is what became of the person's approval, and digest the plan it was about (see consent.go).
	consent, digest string
	// answer is what a write that starts no task answered (a generic call's), scrubbed, not yet cleaned.
	answer json.RawMessage
	// tasks says how to follow up on tasks with the tools this server exposes (env.taskHelp).
	tasks taskHelp
}

// requestView is the exact request a write sends (or would send, in a dry run). A parameter sent more than
// once (an array of a generic call) has the list of its values.
type requestView struct {
	Method string         `json:"method"`
	Path   string         `json:"path"`
	Params map[string]any `json:"params,omitempty"`
}

func viewRequest(r pve.Request) *requestView {
	v := &requestView{Method: r.Method(), Path: "/api2/json" + r.Path()}
	if params := r.Params(); len(params) > 0 {
		v.Params = map[string]any{}
		for k, vals := range params {
			if len(vals) == 1 {
				v.Params[k] = requestValue(vals[0])
				continue
			}
			list := make([]string, len(vals))
			for i, s := range vals {
				list[i] = requestValue(s)
			}
			v.Params[k] = list
		}
	}
	return v
}

// requestValue is a parameter's value as a dry run or a result shows it: as it is when cleaning changes nothing
// in it (cut at maxValue characters), otherwise quoted with what cleaning would drop or fold spelled out
// (a NUL, a line break, a tab, a run of spaces, a bidi control), so that what is shown is what is sent.
func requestValue(s string) string {
	// A value that starts with a quote or holds a backslash is quoted too: shown as it is, "a\x00b" would read
	// like the escaped form of another value.
	if clean(s, len(s)+1) == s && !strings.HasPrefix(s, `"`) && !strings.Contains(s, `\`) {
		return clean(s, maxValue)
	}
	var b strings.Builder
	b.WriteByte('"')
	n := 0
	for _, t := range valueTokens(s) {
		if n += t.width; n > maxValue {
			b.WriteString("…")
			break
		}
		b.WriteString(t.text)
	}
	b.WriteByte('"')
	return b.String()
}

// Failed makes a task that ended in error an isError result, with its data.
func (w *writeResult) Failed() bool { return w.Status == "failed" }

// label is the write in words: "create container 107 on pve2", "start VM 103 «win11-desktop» on pve2".
func (w *writeResult) label() string {
	if w.what != "" {
		return w.what
	}
	what := w.action
	if w.Target != nil {
		what += " " + w.Target.ref()
	}
	return what
}

func (w *writeResult) Summary() string {
	var b strings.Builder
	what := w.label()
	switch w.Status {
	case "dry_run":
		fmt.Fprintf(&b, "Dry run of %s: nothing was sent. It would send %s %s", what, w.Request.Method, w.Request.Path)
		if len(w.Request.Params) > 0 {
			b.WriteString(" with ")
			b.WriteString(formatParams(w.Request.Params))
		}
		b.WriteString(".")
		if w.Target != nil && w.Target.Status != "" {
			b.WriteString("\nTarget now: ")
			b.WriteString(w.Target.line())
		}
	case "running":
		if w.lost {
			fmt.Fprintf(&b, "%s: task %s started, but its outcome is unknown. %s", capitalize(what), w.UPID, w.tasks.follow(w.UPID))
			break
		}
		fmt.Fprintf(&b, "%s is still running after %.0fs: task %s. %s", capitalize(what), w.Seconds, w.UPID, w.tasks.follow(w.UPID))
	case "ok":
		fmt.Fprintf(&b, "Done: %s (%s in %.1fs). Task %s.", what, w.ExitStatus, w.Seconds, w.UPID)
	case "failed":
		fmt.Fprintf(&b, "Failed: %s: %s. Task %s. %s", what, statusText(w.ExitStatus), w.UPID, inlineLegend)
		if len(w.LogTail) > 0 {
			b.WriteString("\n")
			fence(&b, "task log tail", w.LogTail)
		}
	}
	if w.Note != "" {
		b.WriteString("\n")
		b.WriteString(w.Note)
	}
	return strings.TrimRight(b.String(), "\n")
}

func (g guestView) ref() string {
	noun := "VM"
	if g.Type == string(pve.LXC) {
		noun = "CT"
	}
	in := ""
	if g.Cluster != "" {
		in = " in cluster " + g.Cluster // with several clusters a vmid names a guest only within one
	}
	if g.Name != "" {
		return fmt.Sprintf("%s %d %s on %s%s", noun, g.VMID, inline(g.Name, maxName), nodeText(g.Node), in)
	}
	return fmt.Sprintf("%s %d on %s%s", noun, g.VMID, nodeText(g.Node), in)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func formatParams(p map[string]any) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		switch v := p[k].(type) {
		case []string:
			for _, s := range v {
				parts = append(parts, k+"="+s)
			}
		default:
			parts = append(parts, fmt.Sprintf("%s=%v", k, v))
		}
	}
	return strings.Join(parts, " ")
}

// send is the one path every write takes: stop at the request in a dry run, otherwise send it once and wait for
// its task within the caller's bound. What happened is in the result (or in a *sendError), for the audit.
func (e *env) send(ctx context.Context, c *call, res *writeResult, req pve.Request) (*writeResult, error) {
	res.Request, res.sent, res.tasks = viewRequest(req), req.String(), e.tasks
	if name := c.targets[0].Name; e.clusters.declared {
		// With several clusters a vmid or a path names something only within one: say which, where the
		// target is named.
		switch {
		case res.Target != nil && res.Target.Cluster == "":
			plain := res.Target.ref()
			res.Target.Cluster = name
			if named := res.Target.ref(); strings.Contains(res.what, plain) {
				res.what = strings.Replace(res.what, plain, named, 1)
			} else if res.what != "" {
				res.what += " in cluster " + name
			}
		case res.Target == nil && res.what != "":
			res.what += " in cluster " + name
		}
	}
	if c.dryRun() {
		res.Status = "dry_run"
		res.Note = gate.DryRunNote(c.tool, c.permit.Tier, c.permit) + e.consentDryRunNote(ctx, c, req)
		return res, nil
	}
	// The last word before anything is sent is the person's, where consent asks for it.
	if err := e.approve(ctx, c, res, req); err != nil {
		return nil, err
	}
	if !req.ReturnsTask() {
		return e.sendPlain(ctx, c, res, req)
	}
	upid, err := c.pve.Submit(ctx, req)
	if err != nil {
		return nil, sendFailure(res, req, err)
	}
	res.UPID = upid.String()
	tr, err := c.pve.WaitTask(ctx, upid, pve.WaitOptions{Bound: e.defaultWait, Progress: c.progressOf(res.action)})
	res.Seconds = tr.Duration.Round(100 * time.Millisecond).Seconds()
	switch {
	case err != nil:
		// The task exists; only following it failed.
		res.Status, res.lost = "running", true
		res.Note = fmt.Sprintf("Lost track of the task on node %s: %s", upid.Node, explain(err))
	case tr.Running:
		res.Status = "running"
	case tr.OK():
		res.Status, res.ExitStatus = "ok", clean(tr.ExitStatus, maxValue)
	default:
		res.Status, res.ExitStatus, res.LogTail = "failed", clean(tr.ExitStatus, maxValue), cleanTail(tr.Tail)
	}
	return res, nil
}

// sendPlain sends a write that answers with data instead of a task id (a generic call's), exactly once: it is
// done when Proxmox answers, and what it answered is kept for the result.
func (e *env) sendPlain(ctx context.Context, c *call, res *writeResult, req pve.Request) (*writeResult, error) {
	start := time.Now()
	data, err := c.pve.Write(ctx, req)
	if err != nil {
		return nil, sendFailure(res, req, err)
	}
	res.Status, res.answer = "ok", data
	res.Seconds = time.Since(start).Round(100 * time.Millisecond).Seconds()
	return res, nil
}

// sendFailure is the error of a write that failed: sent (or perhaps sent) and not carried out as asked.
func sendFailure(res *writeResult, req pve.Request, err error) *sendError {
	se := &sendError{target: res.targetText(), request: req.String(), consent: res.consent, digest: res.digest,
		err: fmt.Errorf("%s: %w", res.label(), err)}
	if !notCarriedOut(err) {
		// No answer from Proxmox itself: the request may or may not have reached it. It is not retried.
		se.err = fmt.Errorf("%s: %w. The request may have reached Proxmox; it was not retried: %s before trying again", res.label(), err, res.tasks.recent())
	}
	return se
}

// sendError is a write that was sent (or may have been) and did not start a task.
type sendError struct {
	target, request string
	consent, digest string
	err             error
}

func (e *sendError) Error() string { return e.err.Error() }
func (e *sendError) Unwrap() error { return e.err }

// targetText names what a write is aimed at, for the audit trail.
func (w *writeResult) targetText() string {
	if w.Target != nil {
		return w.Target.ref()
	}
	return ""
}

// outcome is the audit record's account of the write.
func (w *writeResult) outcome() gate.Outcome {
	o := gate.Outcome{Decision: gate.Sent, Target: w.targetText(), Request: w.sent, UPID: w.UPID, Result: w.Status,
		Consent: w.consent, Digest: w.digest}
	switch w.Status {
	case "dry_run":
		o.Decision = gate.DryRun
		o.Result = ""
	case "ok", "failed":
		o.Result = w.ExitStatus
	}
	return o
}

// notCarriedOut reports whether a failed write is known not to have been carried out: Proxmox answered it with
// an error, or it was never sent. A 502, 504 or 596 is not such an answer: a proxy (or pveproxy on behalf of
// another node) gave it after it may have passed the request on.
func notCarriedOut(err error) bool {
	var apiErr *pve.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.Status {
		case 502, 504, 596:
			return false
		}
		return true
	}
	return errors.Is(err, pve.ErrInvalidRequest) || errors.Is(err, pve.ErrReadOnly)
}

func cleanTail(lines []string) []string {
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		out = append(out, clean(l, maxValue))
	}
	return out
}

// progressSink reports task polls as notifications/progress, best effort: a client may see them after the
// result, or not at all. Every message is cleaned and redacted like a result: it leaves the process too.
func (e *env) progressSink(ctx context.Context, req mcp.CallToolRequest) func(label string, p pve.Progress) {
	if req.Params.Meta == nil || req.Params.Meta.ProgressToken == nil {
		return nil
	}
	srv := server.ServerFromContext(ctx)
	if srv == nil {
		return nil
	}
	token := req.Params.Meta.ProgressToken
	return func(label string, p pve.Progress) {
		msg := fmt.Sprintf("%s: %s (%s, %.0fs)", label, known(p.Status, taskStates), clean(p.UPID.Type, 32), p.Elapsed.Seconds())
		_ = srv.SendNotificationToClient(ctx, "notifications/progress", map[string]any{
			"progressToken": token,
			"progress":      p.Polls,
			"message":       e.redactor.String(msg),
		})
	}
}

// progressOf labels the call's progress reports with what is being waited for.
func (c *call) progressOf(label string) func(pve.Progress) {
	if c.progress == nil {
		return nil
	}
	return func(p pve.Progress) { c.progress(label, p) }
}
