package tools

import (
	"context"
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

// writeArgs are the arguments every write tool takes. The gate reads confirm and dry_run from the raw
// arguments before the handler runs; they are declared here so that strict decoding accepts them. confirm is
// in every write tool's schema; dry_run, wait and wait_seconds are explained once, in the instructions.
type writeArgs struct {
	Confirm     bool  `json:"confirm"`
	DryRun      bool  `json:"dry_run" schema:"-"`
	Wait        *bool `json:"wait" schema:"-"`
	WaitSeconds int   `json:"wait_seconds" min:"1" max:"600" schema:"-"`
}

// destructiveArgs add the second confirmation destructive tools need.
type destructiveArgs struct {
	writeArgs
	Destructive bool `json:"destructive"`
}

// writeResult is what every write returns.
type writeResult struct {
	Action     string       `json:"action" out:"-"`
	Target     *guestView   `json:"target,omitempty" out:"-"`
	Node       string       `json:"node,omitempty" out:"-"`
	DryRun     bool         `json:"dry_run,omitempty" out:"-"`
	Request    *requestView `json:"request,omitempty" out:"-"`
	UPID       string       `json:"upid,omitempty" out:"-"`
	Status     string       `json:"status" out:"-"` // dry_run, started, running, ok, failed
	ExitStatus string       `json:"exitstatus,omitempty" out:"-"`
	Seconds    float64      `json:"seconds,omitempty" out:"-"`
	LogTail    []string     `json:"log_tail,omitempty" out:"-"`
	Note       string       `json:"note,omitempty" out:"-"`
	// what is the human phrase for the action, e.g. "roll back VM 102 (docker-host) on pve2 to weekly".
	what string
	// lost is set when the task started but following it failed: "running" is then its last known state.
	lost bool
}

// requestView is the exact request a write sends (or would send, in a dry run).
type requestView struct {
	Method string            `json:"method"`
	Path   string            `json:"path"`
	Params map[string]string `json:"params,omitempty"`
}

func viewRequest(r pve.Request) *requestView {
	v := &requestView{Method: r.Method(), Path: "/api2/json" + r.Path()}
	if params := r.Params(); len(params) > 0 {
		v.Params = map[string]string{}
		for k := range params {
			v.Params[k] = clean(params.Get(k), maxValue)
		}
	}
	return v
}

// Failed makes a task that ended in error an isError result, with its data.
func (w *writeResult) Failed() bool { return w.Status == "failed" }

func (w *writeResult) Summary() string {
	var b strings.Builder
	what := w.what
	if what == "" {
		what = w.Action
		if w.Target != nil {
			what += " " + w.Target.ref()
		} else if w.Node != "" {
			what += " on " + w.Node
		}
	}
	switch w.Status {
	case "dry_run":
		fmt.Fprintf(&b, "Dry run of %s: nothing was sent. It would send %s %s", what, w.Request.Method, w.Request.Path)
		if len(w.Request.Params) > 0 {
			b.WriteString(" with ")
			b.WriteString(formatParams(w.Request.Params))
		}
		b.WriteString(".")
		if w.Target != nil {
			b.WriteString("\nTarget now: ")
			b.WriteString(w.Target.line())
		}
	case "started":
		fmt.Fprintf(&b, "Started %s: task %s (not waited for; follow it with proxmox_get_task_status).", what, w.UPID)
	case "running":
		if w.lost {
			fmt.Fprintf(&b, "%s: task %s started, but its outcome is unknown. Follow it with proxmox_get_task_status.", capitalize(what), w.UPID)
			break
		}
		fmt.Fprintf(&b, "%s is still running after %.0fs: task %s. Follow it with proxmox_get_task_status.", capitalize(what), w.Seconds, w.UPID)
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
	if g.Name != "" {
		return fmt.Sprintf("%s %d (%s) on %s", noun, g.VMID, g.Name, g.Node)
	}
	return fmt.Sprintf("%s %d on %s", noun, g.VMID, g.Node)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func formatParams(p map[string]string) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + p[k]
	}
	return strings.Join(parts, " ")
}

// send is the one path every write takes: note the attempt for the audit, stop at the request in a dry run,
// otherwise send it once and wait for its task within the caller's bound.
func (e *env) send(ctx context.Context, a writeArgs, res *writeResult, req pve.Request) (*writeResult, error) {
	note := gate.Note(ctx)
	if res.Target != nil {
		note.Target = res.Target.ref()
	} else if res.Node != "" {
		note.Target = "node " + res.Node
	}
	note.Request = req.Method() + " /api2/json" + req.Path()
	if gate.IsDryRun(ctx) {
		res.DryRun, res.Status, res.Request = true, "dry_run", viewRequest(req)
		return res, nil
	}
	upid, err := e.client.Submit(ctx, req)
	if err != nil {
		if notCarriedOut(err) {
			return nil, fmt.Errorf("%s: %w", res.Action, err)
		}
		// No answer from Proxmox itself: the request may or may not have reached it. It is not retried.
		return nil, fmt.Errorf("%s: %w. The request may have reached Proxmox; it was not retried: check proxmox_recent_tasks before trying again", res.Action, err)
	}
	res.UPID = upid.String()
	note.UPID = res.UPID
	if a.Wait != nil && !*a.Wait {
		res.Status = "started"
		note.Outcome = "started"
		return res, nil
	}
	bound := e.defaultWait
	if a.WaitSeconds > 0 {
		bound = time.Duration(a.WaitSeconds) * time.Second
	}
	tr, err := e.client.WaitTask(ctx, upid, pve.WaitOptions{Bound: bound, Progress: progressFrom(ctx, res.Action)})
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
	note.Outcome = res.Status
	if res.ExitStatus != "" {
		note.Outcome = res.ExitStatus
	}
	return res, nil
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

type progressKey struct{}

type progressSink struct {
	srv   *server.MCPServer
	token mcp.ProgressToken
}

// withProgress remembers the caller's progress token, if it sent one.
func withProgress(ctx context.Context, req mcp.CallToolRequest) context.Context {
	if req.Params.Meta == nil || req.Params.Meta.ProgressToken == nil {
		return ctx
	}
	srv := server.ServerFromContext(ctx)
	if srv == nil {
		return ctx
	}
	return context.WithValue(ctx, progressKey{}, progressSink{srv: srv, token: req.Params.Meta.ProgressToken})
}

// progressFrom reports task polls as notifications/progress, best effort: a client may see them after the
// result, or not at all.
func progressFrom(ctx context.Context, action string) func(pve.Progress) {
	sink, ok := ctx.Value(progressKey{}).(progressSink)
	if !ok {
		return nil
	}
	return func(p pve.Progress) {
		_ = sink.srv.SendNotificationToClient(ctx, "notifications/progress", map[string]any{
			"progressToken": sink.token,
			"progress":      p.Polls,
			"message":       fmt.Sprintf("%s: %s (%s, %.0fs)", action, p.Status, p.UPID.Type, p.Elapsed.Seconds()),
		})
	}
}
