package tools

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
)

// apiAttempt is what one generic call did: refused or not, what reached the simulated cluster, and how the
// audit trail judged it.
type apiAttempt struct {
	Refused   bool
	Writes    []string
	Tier      string
	Escalated string
}

// TestAPICallEscalatesByParameters: parameters that lose data make proxmox_api_call destructive: without
// destructive: true and PROXMOX_ENABLE_DESTRUCTIVE=1 they are refused with nothing sent, the refusal says why,
// and the audit records the raised tier; with both, the one request is sent. Their harmless neighbours stay
// writes, sent with confirm alone.
func TestAPICallEscalatesByParameters(t *testing.T) {
	const disk = "delete names a disk or an unused volume"
	backup := "nas-backup:backup/vzdump-qemu-100-2026_11_30-02_22_26.vma.zst"
	tests := []struct {
		name   string
		method string
		path   string
		params map[string]any
		when   string // the escalation's words; "" for a plain write
	}{
		{"a disk deleted with force", "PUT", "/nodes/pve3/qemu/104/config", map[string]any{"delete": "scsi0", "force": 1}, disk},
		{"an unused volume, async", "POST", "/nodes/pve3/qemu/104/config", map[string]any{"delete": "tags,unused0"}, disk},
		{"a container's mount point", "PUT", "/nodes/pve1/lxc/200/config", map[string]any{"delete": "mp0"}, "delete names a mount point or an unused volume"},
		{"a restore over VM 102", "POST", "/nodes/pve1/qemu", map[string]any{"vmid": 102, "archive": backup, "force": 1}, "force is true (a restore over an existing VM)"},
		{"a shutdown that forces a stop", "POST", "/nodes/pve3/qemu/104/status/shutdown", map[string]any{"forceStop": 1, "timeout": 0}, "forceStop is true"},
		{"a start that skips the lock", "POST", "/nodes/pve2/qemu/103/status/start", map[string]any{"skiplock": true}, "skiplock is true"},
		{"settings deleted", "PUT", "/nodes/pve3/qemu/104/config", map[string]any{"delete": "tags"}, ""},
		{"a shutdown", "POST", "/nodes/pve3/qemu/104/status/shutdown", map[string]any{"timeout": 30}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := tt.method + " " + tt.path
			args := map[string]any{"method": tt.method, "path": tt.path, "params": tt.params, "confirm": true}
			tier := "write"
			if tt.when != "" {
				tier = "destructive"
			}

			// confirm alone, on a server without PROXMOX_ENABLE_DESTRUCTIVE
			h := newHarness(t, harnessOpts{})
			res := h.call(t, "proxmox_api_call", mustJSONArgs(t, args))
			got := attempt(t, h, res)
			want := apiAttempt{Refused: tt.when != "", Tier: tier, Escalated: tt.when}
			if tt.when == "" {
				want.Writes = []string{key}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("confirm only (-want +got):\n%s\n%s", diff, text(res))
			}
			if tt.when != "" {
				for _, w := range []string{"is a destructive operation when " + tt.when + ", as here", "destructive: true (missing)",
					"PROXMOX_ENABLE_DESTRUCTIVE=1 (off)"} {
					if !strings.Contains(text(res), w) {
						t.Errorf("the refusal does not say %q: %s", w, text(res))
					}
				}
			}
			if tt.when == "" {
				return
			}

			// every condition a destructive call needs: sent, once
			h = newHarness(t, harnessOpts{destructive: true})
			args["destructive"] = true
			res = h.call(t, "proxmox_api_call", mustJSONArgs(t, args))
			want = apiAttempt{Writes: []string{key}, Tier: "destructive", Escalated: tt.when}
			got = attempt(t, h, res)
			got.Refused = false // pvesim does not simulate every one of these (a 500 says so): what counts is what was sent
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("destructive (-want +got):\n%s\n%s", diff, text(res))
			}
		})
	}
}

// attempt reads what a call did from the harness: the writes the simulator logged and the one audit record.
func attempt(t *testing.T, h *harness, res *mcp.CallToolResult) apiAttempt {
	t.Helper()
	a := apiAttempt{Refused: res.IsError && strings.Contains(text(res), "nothing was sent"), Writes: h.writes()}
	lines := strings.Split(strings.TrimSpace(h.audit.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("%d audit records: %s", len(lines), h.audit.String())
	}
	var r gate.Record
	if err := json.Unmarshal([]byte(lines[0]), &r); err != nil {
		t.Fatal(err)
	}
	a.Tier, a.Escalated = r.Tier, r.Escalated
	return a
}

// TestAPIDryRunNamesTheEscalation: a dry run of an escalated call says what the real call would need, and why.
func TestAPIDryRunNamesTheEscalation(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	res := h.call(t, "proxmox_api_call", `{"method":"PUT","path":"/nodes/pve3/qemu/104/config","params":{"delete":"scsi0","force":1},"dry_run":true}`)
	var v callView
	structured(t, res, &v)
	want := "The real call would be refused as it stands: PUT /nodes/{node}/qemu/{vmid}/config is a destructive operation when delete names a disk or an unused volume, as here, and needs confirm: true (missing), destructive: true (missing) and the server setting PROXMOX_ENABLE_DESTRUCTIVE=1 (off)."
	if v.Status != "dry_run" || v.Class != "destructive" || !strings.Contains(text(res), want) ||
		!strings.Contains(text(res), "PUT /nodes/pve3/qemu/104/config (destructive: delete names a disk or an unused volume)") {
		t.Errorf("dry run: %+v\n%s", v, text(res))
	}
	if w := h.writes(); len(w) != 0 {
		t.Errorf("a dry run wrote %v", w)
	}
}

// TestAPIConsentAsksForAnEscalatedCall: with consent for destructive calls, a call its parameters made
// destructive asks the person, as a typed destructive tool does; the same operation without them does not.
func TestAPIConsentAsksForAnEscalatedCall(t *testing.T) {
	clock := newStepClock()
	p := &person{answer: answer{think: 3 * time.Second, action: "decline"}, clock: clock}
	k, err := gate.NewConsent(gate.ConsentConfig{Now: clock.now, MinAnswer: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, harnessOpts{destructive: true, protocol: "2025-11-25", consent: k, elicit: p})
	res := h.call(t, "proxmox_api_call", `{"method":"PUT","path":"/nodes/pve3/qemu/104/config","params":{"delete":"tags"},"confirm":true}`)
	if res.IsError || len(p.questions()) != 0 {
		t.Fatalf("a plain write asked %d questions: %s", len(p.questions()), text(res))
	}
	h.sim.ResetLog()
	res = h.call(t, "proxmox_api_call", `{"method":"PUT","path":"/nodes/pve3/qemu/104/config","params":{"delete":"scsi0","force":1},"confirm":true,"destructive":true}`)
	qs := p.questions()
	if len(qs) != 1 || !strings.Contains(qs[0].Message, "(destructive: delete names a disk or an unused volume)") ||
		!strings.Contains(qs[0].Message, "a destructive tool") {
		t.Fatalf("questions %+v", qs)
	}
	if !res.IsError || len(h.writes()) != 0 {
		t.Errorf("declined, yet: %v %s", h.writes(), text(res))
	}
}

// TestAPICallInitCommandIsOperatorOnly: a container's entrypoint runs as root in the guest at its next start,
// code the exec tools' allowlist never sees: a generic call that sets it is refused, with nothing sent, even
// with every destructive condition, until the operator names the operation in PROXMOX_API_ALLOW; then it is
// sent once, as a destructive call. Resetting it (delete) stays a write.
func TestAPICallInitCommandIsOperatorOnly(t *testing.T) {
	const key = "PUT /nodes/pve1/lxc/200/config"
	all := `{"method":"PUT","path":"/nodes/pve1/lxc/200/config","params":{"entrypoint":"/bin/sh -c 'id > /root/x'"},"confirm":true,"destructive":true}`
	tests := []struct {
		name  string
		allow []string
		args  string
		want  apiAttempt
		says  string
	}{
		{"not allowed by the operator", nil, all,
			apiAttempt{Refused: true, Tier: "destructive", Escalated: "entrypoint is given"}, "PROXMOX_API_ALLOW"},
		{"allowed by the operator", []string{"PUT /nodes/{node}/lxc/{vmid}/config"}, all,
			apiAttempt{Writes: []string{key}, Tier: "destructive", Escalated: "entrypoint is given"}, ""},
		{"the init command reset", nil, `{"method":"PUT","path":"/nodes/pve1/lxc/200/config","params":{"delete":"entrypoint"},"confirm":true}`,
			apiAttempt{Writes: []string{key}, Tier: "write"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, harnessOpts{destructive: true, apiAllow: tt.allow})
			res := h.call(t, "proxmox_api_call", tt.args)
			got := attempt(t, h, res)
			if !tt.want.Refused {
				got.Refused = false // what counts is what was sent
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s\n%s", diff, text(res))
			}
			if tt.says != "" && !strings.Contains(text(res), tt.says) {
				t.Errorf("the refusal does not name %s: %s", tt.says, text(res))
			}
		})
	}
}
