package tools

import (
	"context"
	"fmt"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve"
)

// apply is send's sibling, the one path of every write Proxmox carries out before it answers, without a task:
// a configuration change, the start of a command in a guest (exec). A dry run stops at the request; otherwise
// the request is sent once and its answer decoded into out. Together send and apply are every write a tool
// makes, so a check that must see each write before it leaves (human consent) belongs at the top of both.
// What happened is in w (or in a *sendError), for the audit trail; w.Status is "dry_run" or "ok".
func (e *env) apply(ctx context.Context, c *call, w *writeResult, req pve.Request, out any) error {
	w.Request, w.sent = viewRequest(req), req.String()
	if c.dryRun() {
		w.Status = "dry_run"
		w.Note = gate.DryRunNote(c.tool, c.permit.Tier, c.permit)
		return nil
	}
	if err := c.pve.Apply(ctx, req, out); err != nil {
		se := &sendError{target: w.targetText(), request: req.String(), err: fmt.Errorf("%s: %w", w.action, err)}
		if !notCarriedOut(err) {
			se.err = fmt.Errorf("%s: %w. The request may have reached Proxmox; it was not retried: read the guest before trying again", w.action, err)
		}
		return se
	}
	w.Status, w.ExitStatus = "ok", "OK"
	return nil
}

// withWait is the env for a call whose writes wait for their tasks at most d (a provision spends one budget
// across its steps), instead of PROXMOX_WAIT_SECONDS.
func (e *env) withWait(d time.Duration) *env {
	cp := *e
	cp.defaultWait = max(d, time.Millisecond)
	return &cp
}
