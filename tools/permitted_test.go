package tools

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve"
	"github.com/proxmox-mcp/proxmox-mcp/pve/pvesim"
	"github.com/proxmox-mcp/proxmox-mcp/redact"
)

// heldBy reads a token's privileges from a simulated cluster's /access/permissions, as the server does at start.
func heldBy(t *testing.T, opts ...pvesim.Option) map[string]bool {
	t.Helper()
	sim := pvesim.Serve(pvesim.New(pvesim.Default(), opts...))
	t.Cleanup(sim.Close)
	u, _ := pve.ParseBaseURL(sim.URL)
	fp, _ := pve.ParseFingerprint(sim.Fingerprint)
	c, err := pve.New(pve.Config{BaseURL: u, TokenID: "ops@pve!lab", Secret: redact.NewSecret("ops-secret-0123456789"), Fingerprint: fp, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	perms, err := c.Permissions(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	return Held(perms)
}

func names(defs []Def, keep func(Def) bool) []string {
	var out []string
	for _, d := range defs {
		if keep(d) {
			out = append(out, d.Name)
		}
	}
	return out
}

// TestUnpermittedTools: a read-only token hides every write tool and no read; a token with VM.PowerMgmt only
// on /pool/lab keeps the power tools; a tool that one cluster's token can run stays.
func TestUnpermittedTools(t *testing.T) {
	const id, secret = "ops@pve!lab", "ops-secret-0123456789"
	reads := []string{"VM.Audit", "Sys.Audit", "Datastore.Audit", "VM.GuestAgent.Audit"} // PVE 9's PVEAuditor
	readOnly := heldBy(t, pvesim.WithToken(id, secret, reads...))
	poolPower := heldBy(t, pvesim.WithToken(id, secret, reads...), pvesim.WithGrant(id, "/pool/lab", "VM.PowerMgmt"))
	all := All()
	writes := names(all, func(d Def) bool { return d.Tier != gate.Read })
	// proxmox_api_call stays wherever the token holds any privilege that changes something.
	power := []string{"proxmox_start_resource", "proxmox_stop_resource", "proxmox_reboot_resource", "proxmox_force_stop_resource", "proxmox_api_call"}
	tests := []struct {
		name string
		held []map[string]bool
		want []string
	}{
		{"read-only token", []map[string]bool{readOnly}, writes},
		{"power on one pool", []map[string]bool{poolPower}, slices.DeleteFunc(slices.Clone(writes), func(n string) bool { return slices.Contains(power, n) })},
		{"one of two clusters can", []map[string]bool{readOnly, poolPower}, slices.DeleteFunc(slices.Clone(writes), func(n string) bool { return slices.Contains(power, n) })},
		{"an A|B choice: either will do", []map[string]bool{{"VM.Audit": true, "Sys.Audit": true, "Datastore.Audit": true, "VM.GuestAgent.Audit": true, "VM.Snapshot.Rollback": true}},
			slices.DeleteFunc(slices.Clone(writes), func(n string) bool { return n == "proxmox_rollback_snapshot" || n == "proxmox_api_call" })},
		{"nothing held: all but what sends nothing", []map[string]bool{{}}, names(all, func(d Def) bool { return len(d.Privs) > 0 })},
		{"no cluster read: nothing hidden", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := HiddenNames(Unpermitted(all, tc.held))
			if len(got) == 0 {
				got = nil
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("hidden (-want +got)\n%s", diff)
			}
		})
	}
	for _, h := range Unpermitted(all, []map[string]bool{readOnly}) {
		if h.Tool == "proxmox_run_backup" && !slices.Equal(h.Missing, []string{"VM.Backup", "Datastore.AllocateSpace"}) ||
			h.Tool == "proxmox_rollback_snapshot" && !slices.Equal(h.Missing, []string{"VM.Snapshot.Rollback or VM.Snapshot"}) {
			t.Errorf("%s lacks %v", h.Tool, h.Missing)
		}
	}
}

// TestHiddenToolsAreNotListed: a hidden tool is neither listed nor callable.
func TestHiddenToolsAreNotListed(t *testing.T) {
	f := newFleet(t, 1, fleetOpts{hidden: []string{"proxmox_start_resource", "proxmox_destroy_resource"}})
	res, err := f.mc.ListTools(t.Context(), mcpListRequest())
	if err != nil {
		t.Fatal(err)
	}
	listed := []string{}
	for _, tool := range res.Tools {
		listed = append(listed, tool.Name)
	}
	if slices.Contains(listed, "proxmox_start_resource") || slices.Contains(listed, "proxmox_destroy_resource") || len(listed) != len(DefaultSet())-2 {
		t.Errorf("listed %v", listed)
	}
	req := mcpCallRequest("proxmox_start_resource", `{"vmid":100,"confirm":true}`)
	if r, err := f.mc.CallTool(t.Context(), req); err == nil && !r.IsError {
		t.Errorf("a hidden tool ran: %s", text(r))
	}
	if n := f.requests()[0]; n != 0 {
		t.Errorf("%d requests", n)
	}
}
