package tools

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mark3labs/mcp-go/mcp"
)

const provisionArgsWeb1 = `"template":9000,"name":"web1","ciuser":"ops","sshkeys":"` + testKey + `","cores":4,"memory":4096,"disk_gib":20`

func provisionResultOf(t *testing.T, res *mcp.CallToolResult) provisionResult {
	t.Helper()
	var r provisionResult
	structured(t, res, &r)
	return r
}

func stepStates(r provisionResult) []string {
	var out []string
	for _, s := range r.Steps {
		out = append(out, s.Step+":"+s.Status)
	}
	return out
}

// TestProvision: one call clones, configures, grows, starts and waits for the address, each step's write
// sent once and in order; a second call with the vmid finds every step done and sends nothing.
func TestProvision(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	res := h.call(t, "proxmox_provision_vm", `{`+provisionArgsWeb1+`,"confirm":true}`)
	got := text(res)
	if res.IsError {
		t.Fatal(got)
	}
	r := provisionResultOf(t, res)
	if r.Status != "ok" || r.VMID != 107 || len(r.IPs) != 1 || !strings.HasPrefix(r.IPs[0], "192.168.1.") {
		t.Fatalf("result %+v\n%s", r, got)
	}
	if diff := cmp.Diff([]string{"clone:ok", "configure:ok", "resize:ok", "start:ok", "agent:ok"}, stepStates(r)); diff != "" {
		t.Errorf("steps (-want +got)\n%s", diff)
	}
	if diff := cmp.Diff([]string{"POST /nodes/pve1/qemu/9000/clone", "PUT /nodes/pve1/qemu/107/config", "PUT /nodes/pve1/qemu/107/resize", "POST /nodes/pve1/qemu/107/status/start"}, h.writes()); diff != "" {
		t.Errorf("writes (-want +got)\n%s", diff)
	}
	g, _ := h.sim.Guest(107)
	want := map[string]string{"name": "web1", "ciuser": "ops", "cores": "4", "memory": "4096", "scsi0": "local-lvm:vm-107-disk-0,discard=on,size=20G",
		"sshkeys": "ssh-ed25519%20AAAAC3NzaC1lZDI1NTE5AAAAIFfa5q2XLY3OruD%2B5x7U9K%2BMINP32BTBaoI2h%2BwENaXF%20ops%40laptop%0A"}
	for k, v := range want {
		if g.Config[k] != v {
			t.Errorf("%s = %q, want %q", k, g.Config[k], v)
		}
	}
	if g.Status != "running" || g.Lock != "" || g.Template {
		t.Errorf("the new VM: %+v", g)
	}
	if !strings.Contains(got, "Provisioned VM 107 «web1» on pve1") || !strings.Contains(got, "address "+r.IPs[0]) {
		t.Errorf("text: %s", got)
	}
	// again, with the vmid: every step is found done
	h.sim.ResetLog()
	r = provisionResultOf(t, h.call(t, "proxmox_provision_vm", `{`+provisionArgsWeb1+`,"vmid":107,"confirm":true}`))
	if diff := cmp.Diff([]string{"clone:done", "configure:done", "resize:done", "start:done", "agent:ok"}, stepStates(r)); diff != "" || r.Status != "ok" {
		t.Errorf("second call %s (-want +got)\n%s", r.Status, diff)
	}
	if n := len(h.sim.Writes()); n != 0 {
		t.Errorf("the second call wrote: %v", h.writes())
	}
	if a := h.audit.String(); !strings.Contains(a, `"decision":"sent"`) || !strings.Contains(a, `"decision":"unneeded"`) ||
		!strings.Contains(a, "POST /api2/json/nodes/pve1/qemu/9000/clone; PUT /api2/json/nodes/pve1/qemu/107/config") {
		t.Errorf("audit: %s", a)
	}
}

// TestProvisionResumes: a clone that outlasts wait_seconds stops the call at the clone; the next call with
// the vmid waits for that clone instead of starting another, and carries on.
func TestProvisionResumes(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.sim.SetTaskDuration("qmclone", 1500*time.Millisecond)
	res := h.call(t, "proxmox_provision_vm", `{`+provisionArgsWeb1+`,"wait_seconds":1,"confirm":true}`)
	r := provisionResultOf(t, res)
	got := text(res)
	if res.IsError || r.Status != "running" || !strings.Contains(got, "call proxmox_provision_vm again with the same arguments and vmid=107") {
		t.Fatalf("first call: %s", got)
	}
	if diff := cmp.Diff([]string{"clone:running", "configure:not_reached", "resize:not_reached", "start:not_reached", "agent:not_reached"}, stepStates(r)); diff != "" {
		t.Errorf("first call's steps (-want +got)\n%s", diff)
	}
	h.sim.ResetLog()
	r = provisionResultOf(t, h.call(t, "proxmox_provision_vm", `{`+provisionArgsWeb1+`,"vmid":107,"wait_seconds":30,"confirm":true}`))
	if diff := cmp.Diff([]string{"clone:done", "configure:ok", "resize:ok", "start:ok", "agent:ok"}, stepStates(r)); diff != "" || r.Status != "ok" {
		t.Errorf("second call %s (-want +got)\n%s", r.Status, diff)
	}
	for _, w := range h.writes() {
		if strings.HasSuffix(w, "/clone") {
			t.Errorf("the second call cloned again: %v", h.writes())
		}
	}
}

// TestProvisionFailures: a failed step stops the provision, says what exists and how to remove it, and
// destroys nothing; bad input stops it before any request.
func TestProvisionFailures(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(*harness)
		args   string
		isErr  bool
		steps  []string
		text   []string
		exists bool // VM 107 exists afterwards
	}{
		{name: "start fails", setup: func(h *harness) { h.sim.SetTaskFailure("qmstart", "start failed: QEMU exited with code 1") },
			args: provisionArgsWeb1, isErr: true, exists: true,
			steps: []string{"clone:ok", "configure:ok", "resize:ok", "start:failed", "agent:not_reached"},
			text:  []string{"What exists: VM 107 «web1» on pve1", "Nothing was destroyed", "vmid=107", "proxmox_destroy_resource vmid=107"}},
		{name: "clone fails", setup: func(h *harness) { h.sim.SetTaskFailure("qmclone", "clone failed: out of space") },
			args: provisionArgsWeb1, isErr: true, steps: []string{"clone:failed", "configure:not_reached", "resize:not_reached", "start:not_reached", "agent:not_reached"},
			text: []string{"Nothing exists: no VM 107 was made", "«clone failed: out of space»"}},
		{name: "template without an agent", setup: func(h *harness) { _ = h.sim.SetGuestConfig(9000, "agent", "") },
			args: `"template":9000,"name":"web1"`, exists: true, steps: []string{"clone:ok", "configure:skipped", "resize:skipped", "start:ok", "agent:skipped"},
			text: []string{"no address reported", "does not enable the guest agent"}},
		{name: "not a template", args: `"template":100,"name":"web1"`, isErr: true, text: []string{"template: 100 is not a VM template"}},
		{name: "a container template is not a VM template", args: `"template":204,"name":"web1"`, isErr: true, text: []string{"not a VM template"}},
		{name: "vmid of another guest", args: `"template":9000,"name":"web1","vmid":104`, isErr: true, text: []string{"vmid: 104 exists and is not the VM web1"}},
		{name: "vmid of the template", args: `"template":9000,"name":"web1","vmid":9000`, isErr: true, text: []string{"vmid: it is the template's own"}},
		{name: "bad keys", args: `"template":9000,"name":"web1","sshkeys":"my key"`, isErr: true, text: []string{`sshkeys: line 1 starts with "my", not a key type OpenSSH accepts`}},
		{name: "bad ipconfig", args: `"template":9000,"name":"web1","ipconfig0":"ip=10.0.0.5"`, isErr: true, text: []string{"nothing was sent to Proxmox: ipconfig0: "}},
		{name: "bad keys: empty", args: `"template":9000,"name":"web1","sshkeys":"  "`, isErr: true,
			text: []string{"sshkeys: empty; give the public keys (what a .pub file holds), or leave sshkeys out"}},
		{name: "bad name", args: `"template":9000,"name":"web 1"`, isErr: true, text: []string{"name: got"}},
		{name: "no name", args: `"template":9000`, isErr: true, text: []string{"name is required"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, harnessOpts{})
			if tc.setup != nil {
				tc.setup(h)
			}
			h.sim.ResetLog()
			res := h.call(t, "proxmox_provision_vm", `{`+tc.args+`,"confirm":true}`)
			got := text(res)
			if res.IsError != tc.isErr {
				t.Fatalf("isError %v: %s", res.IsError, got)
			}
			for _, w := range tc.text {
				if !strings.Contains(got, w) {
					t.Errorf("text does not say %q:\n%s", w, got)
				}
			}
			if _, ok := h.sim.Guest(107); ok != tc.exists {
				t.Errorf("VM 107 exists: %v", ok)
			}
			if tc.steps == nil {
				if strings.HasPrefix(tc.name, "bad") || strings.HasPrefix(tc.name, "no name") {
					if n := len(h.sim.Requests()); n != 0 {
						t.Errorf("bad input made %d requests", n)
					}
				}
				if n := len(h.sim.Writes()); n != 0 {
					t.Errorf("refused input wrote: %v", h.writes())
				}
				return
			}
			if diff := cmp.Diff(tc.steps, stepStates(provisionResultOf(t, res))); diff != "" {
				t.Errorf("steps (-want +got)\n%s", diff)
			}
			for _, w := range h.writes() {
				if strings.HasPrefix(w, "DELETE") {
					t.Errorf("a provision destroyed something: %v", h.writes())
				}
			}
		})
	}
}

// TestProvisionDryRun lists every request in order and sends none.
func TestProvisionDryRun(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	res := h.call(t, "proxmox_provision_vm", `{`+provisionArgsWeb1+`,"dry_run":true}`)
	got := text(res)
	r := provisionResultOf(t, res)
	if res.IsError || r.Status != "dry_run" {
		t.Fatal(got)
	}
	var reqs []string
	for _, s := range r.Steps {
		reqs = append(reqs, s.Step+" "+s.Status+" "+s.Request)
	}
	want := []string{
		"clone dry_run POST /api2/json/nodes/pve1/qemu/9000/clone with name=web1 newid=107",
		"configure dry_run PUT /api2/json/nodes/pve1/qemu/107/config",
		"resize dry_run PUT /api2/json/nodes/pve1/qemu/107/resize with disk=scsi0 size=20G",
		"start dry_run POST /api2/json/nodes/pve1/qemu/107/status/start",
		"agent dry_run GET /api2/json/nodes/pve1/qemu/107/agent/network-get-interfaces",
	}
	if diff := cmp.Diff(want, reqs); diff != "" {
		t.Errorf("dry run steps (-want +got)\n%s", diff)
	}
	if !strings.Contains(got, "Sets ciuser, cores, memory, sshkeys") || !strings.Contains(got, "would be refused as it stands") {
		t.Errorf("text: %s", got)
	}
	if n := len(h.sim.Writes()); n != 0 {
		t.Errorf("a dry run wrote: %v", h.writes())
	}
	if _, ok := h.sim.Guest(107); ok {
		t.Error("a dry run made the VM")
	}
}

// TestProvisionProgress: progress reports count up across the steps' tasks, as MCP wants them to.
func TestProvisionProgress(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	var mu sync.Mutex
	var seen []float64
	var messages []string
	h.mc.OnNotification(func(n mcp.JSONRPCNotification) {
		if n.Method != "notifications/progress" {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if p, ok := n.Params.AdditionalFields["progress"].(float64); ok {
			seen = append(seen, p)
		}
		if m, ok := n.Params.AdditionalFields["message"].(string); ok {
			messages = append(messages, m)
		}
	})
	req := mcp.CallToolRequest{}
	req.Params.Name = "proxmox_provision_vm"
	req.Params.Arguments = map[string]any{"template": 9000, "name": "web1", "disk_gib": 10, "confirm": true}
	req.Params.Meta = &mcp.Meta{ProgressToken: "prov"}
	res, err := h.mc.CallTool(context.Background(), req)
	if err != nil || res.IsError {
		t.Fatalf("%v %s", err, text(res))
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		all := strings.Join(messages, "\n")
		mu.Unlock()
		if strings.Contains(all, "provision start") || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	for i := 1; i < len(seen); i++ {
		if seen[i] <= seen[i-1] {
			t.Errorf("progress went from %v to %v: %v", seen[i-1], seen[i], seen)
		}
	}
	joined := strings.Join(messages, "\n")
	for _, step := range []string{"provision clone", "provision resize", "provision start"} {
		if !strings.Contains(joined, step) {
			t.Errorf("no progress for %s:\n%s", step, joined)
		}
	}
}
