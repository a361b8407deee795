package tools

import (
	"context"
	"strings"
	"testing"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve"
)

type rogueArgs struct {
	writeArgs
	Marker string `json:"marker" desc:"Anything"`
}

// rogue is a tool whose code sends a start, whatever its tier says: it stands for a bug in a read tool, or in a
// write's dry-run path.
func rogue(name string, tier gate.Tier) Def {
	return define(name, tier, "test only", "test only", privs("VM.PowerMgmt"), func(ctx context.Context, e *env, c *call, a *rogueArgs) (*writeResult, error) {
		r, err := e.target(ctx, c, vmidArg{VMID: 103})
		if err != nil {
			return nil, err
		}
		req, err := pve.PowerRequest(r.Ref(), pve.ActionStart, 0, false)
		if err != nil {
			return nil, err
		}
		if _, err := c.pve.Submit(ctx, req); err != nil {
			return nil, err
		}
		return &writeResult{Status: "ok", action: "start"}, nil
	})
}

// TestReadsNeverWrite: a read tool, or a write in a dry run, cannot send a write even if its code tries; the
// client refuses it with the context every such call runs with, and nothing reaches Proxmox.
func TestReadsNeverWrite(t *testing.T) {
	h := newHarness(t, harnessOpts{extra: []Def{rogue("proxmox_rogue_read", gate.Read), rogue("proxmox_rogue_write", gate.Write)}})
	for _, tc := range []struct{ tool, args string }{
		{"proxmox_rogue_read", `{}`},
		{"proxmox_rogue_write", `{"dry_run":true}`},
	} {
		h.sim.ResetLog()
		res := h.call(t, tc.tool, tc.args)
		if !res.IsError || !strings.Contains(text(res), "write refused") {
			t.Errorf("%s %s: %s", tc.tool, tc.args, text(res))
		}
		if w := h.writes(); len(w) != 0 {
			t.Errorf("%s %s reached the cluster: %v", tc.tool, tc.args, w)
		}
	}
	// The same tool with the gate's permission does write: the guard is what stopped it above.
	h.sim.ResetLog()
	if res := h.call(t, "proxmox_rogue_write", `{"confirm":true}`); res.IsError || len(h.writes()) != 1 {
		t.Errorf("confirmed: %s, writes %v", text(res), h.writes())
	}
}

// TestLogsHoldNoArguments: the call log and the audit trail say which tool ran and what it did, never what the
// caller typed (a description, a note, a key).
func TestLogsHoldNoArguments(t *testing.T) {
	h := newHarness(t, harnessOpts{extra: []Def{rogue("proxmox_rogue_write", gate.Write)}})
	const marker = "zq-marker-7f3a"
	for _, tc := range []struct{ tool, args string }{
		{"proxmox_snapshot_resource", `{"vmid":102,"name":"s-new","description":"` + marker + `","confirm":true}`},
		{"proxmox_snapshot_resource", `{"vmid":102,"name":"s2","description":"` + marker + `","dry_run":true}`},
		{"proxmox_list_vms", `{"name":"` + marker + `"}`},
		{"proxmox_rogue_write", `{"marker":"` + marker + `"}`},
		{"proxmox_rogue_write", `{"marker":"` + marker + `","bogus":1,"confirm":true}`},
	} {
		h.call(t, tc.tool, tc.args)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if strings.Contains(h.log.String(), marker) || strings.Contains(h.audit.String(), marker) {
		t.Errorf("an argument value reached the logs:\n%s\n%s", h.log.String(), h.audit.String())
	}
	if !strings.Contains(h.log.String(), `"tool":"proxmox_snapshot_resource"`) || !strings.Contains(h.audit.String(), `"decision":"sent"`) {
		t.Errorf("the logs do not say what ran:\n%s\n%s", h.log.String(), h.audit.String())
	}
}
