package tools

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve/pvesim"
)

// validWrites are valid arguments (without the gate's) for every write and destructive tool on the demo cluster.
var validWrites = map[string]string{
	"proxmox_start_resource":      `"vmid":103`,
	"proxmox_stop_resource":       `"vmid":100`,
	"proxmox_reboot_resource":     `"vmid":101`,
	"proxmox_snapshot_resource":   `"vmid":102,"name":"before-test"`,
	"proxmox_run_backup":          `"vmid":200,"storage":"nas-backup"`,
	"proxmox_create_container":    `"node":"pve1","ostemplate":"local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst","hostname":"cache"`,
	"proxmox_create_vm":           `"node":"pve2","name":"db-01","memory":2048,"disk":"local-lvm:16"`,
	"proxmox_clone_resource":      `"vmid":9000,"name":"web-01"`,
	"proxmox_destroy_resource":    `"vmid":204`,
	"proxmox_delete_snapshot":     `"vmid":102,"name":"weekly"`,
	"proxmox_rollback_snapshot":   `"vmid":203,"name":"before-migration"`,
	"proxmox_force_stop_resource": `"vmid":105`,
	"proxmox_guest_exec":          `"vmid":104,"command":["hostname"]`,
	"proxmox_update_config":       `"vmid":104,"cores":4`,
	"proxmox_resize_disk":         `"vmid":102,"disk":"scsi0","size":"+8G"`,
	"proxmox_migrate_resource":    `"vmid":202,"target":"pve3"`,
	"proxmox_provision_vm":        `"template":9000,"name":"web-02","ciuser":"ops"`,
	"proxmox_api_call":            `"method":"DELETE","path":"/nodes/pve2/qemu/102/snapshot/pre-upgrade"`,
}

// Some writes start no task (Proxmox carries them out before it answers), and a provision makes several
// writes in one call; the tests below take each as it is, and the tools' own tests check the rest.
var (
	startsNoTask = map[string]bool{"proxmox_guest_exec": true, "proxmox_update_config": true}
	multiWrite   = map[string]bool{"proxmox_provision_vm": true}
)

// execAllowed enables the exec tier for the harness, allowing what validWrites runs.
var execAllowed = gate.ExecRule{Enabled: true, Allow: []string{"hostname"}}

func TestEveryWriteToolIsCovered(t *testing.T) {
	for _, d := range All() {
		if _, ok := validWrites[d.Name]; (d.Tier != gate.Read) != ok {
			t.Errorf("%s (%s): validWrites covers it = %v", d.Name, d.Tier, ok)
		}
	}
}

// TestGateRefusesWithoutWriting tries every write and destructive tool with every missing-gate combination and
// proves from the cluster's request log that no write request was made.
func TestGateRefusesWithoutWriting(t *testing.T) {
	type combo struct {
		args    string // gate arguments
		enabled bool   // PROXMOX_ENABLE_DESTRUCTIVE
		missing []string
	}
	writeCombos := []combo{
		{``, false, []string{"confirm: true (missing)"}},
		{`,"confirm":false`, false, []string{"confirm: true (it is false)"}},
		{`,"confirm":"true"`, false, []string{`confirm: true (got "true"`}},
		{`,"confirm":1`, false, []string{"confirm: true (got 1"}},
		{`,"confirm":"1"`, false, []string{`confirm: true (got "1"`}},
		{`,"dry_run":false`, false, []string{"confirm: true (missing)"}},
	}
	var destructiveCombos []combo
	for _, confirm := range []bool{false, true} {
		for _, destructive := range []bool{false, true} {
			for _, enabled := range []bool{false, true} {
				if confirm && destructive && enabled {
					continue // the one combination that is allowed
				}
				c := combo{enabled: enabled}
				if confirm {
					c.args += `,"confirm":true`
				} else {
					c.missing = append(c.missing, "confirm: true (missing)")
				}
				if destructive {
					c.args += `,"destructive":true`
				} else {
					c.missing = append(c.missing, "destructive: true (missing)")
				}
				if !enabled {
					c.missing = append(c.missing, "PROXMOX_ENABLE_DESTRUCTIVE=1 (off)", "ask the person")
				}
				destructiveCombos = append(destructiveCombos, c)
			}
		}
	}
	destructiveCombos = append(destructiveCombos, combo{`,"confirm":true,"destructive":"true"`, true, []string{`destructive: true (got "true"`}})
	hs := map[bool]*harness{false: newHarness(t, harnessOpts{}), true: newHarness(t, harnessOpts{destructive: true})}
	cases := 0
	for _, d := range All() {
		combos := writeCombos
		switch d.Tier {
		case gate.Read:
			continue
		case gate.Destructive:
			combos = destructiveCombos
		}
		for _, c := range combos {
			h := hs[c.enabled]
			args := "{" + validWrites[d.Name] + c.args + "}"
			t.Run(fmt.Sprintf("%s%s/enabled=%v", d.Name, c.args, c.enabled), func(t *testing.T) {
				cases++
				h.sim.ResetLog()
				res := h.call(t, d.Name, args)
				got := text(res)
				if !res.IsError || !strings.Contains(got, "Refused, nothing was sent to Proxmox") {
					t.Fatalf("not refused: %s", got)
				}
				for _, m := range c.missing {
					if !strings.Contains(got, m) {
						t.Errorf("refusal does not name %q:\n%s", m, got)
					}
				}
				if n := len(h.sim.Requests()); n != 0 {
					t.Errorf("a refused call made %d requests: %v", n, h.sim.Requests())
				}
			})
		}
	}
	if cases < 12*6 {
		t.Errorf("only %d gate cases ran", cases)
	}
}

func TestWriteTools(t *testing.T) {
	h := newHarness(t, harnessOpts{destructive: true, exec: execAllowed})
	gateArgs := map[gate.Tier]string{gate.Write: `,"confirm":true`, gate.Destructive: `,"confirm":true,"destructive":true`, gate.Exec: `,"confirm":true`}
	checks := map[string]func(t *testing.T){
		"proxmox_start_resource": func(t *testing.T) { wantGuest(t, h, 103, "running") },
		"proxmox_stop_resource":  func(t *testing.T) { wantGuest(t, h, 100, "stopped") },
		"proxmox_api_call": func(t *testing.T) {
			if g, _ := h.sim.Guest(102); contains(g.Snapshots, "pre-upgrade") {
				t.Errorf("pre-upgrade still there: %v", g.Snapshots)
			}
		},
		"proxmox_snapshot_resource": func(t *testing.T) {
			if g, _ := h.sim.Guest(102); !contains(g.Snapshots, "before-test") {
				t.Errorf("snapshots of 102: %v", g.Snapshots)
			}
		},
		"proxmox_clone_resource": func(t *testing.T) {
			var l listResult
			structured(t, h.call(t, "proxmox_list_vms", `{"name":"web-01"}`), &l)
			if l.Total != 1 || l.Items[0].Node != "pve1" {
				t.Errorf("clone not found: %+v", l)
			}
		},
		"proxmox_destroy_resource":    func(t *testing.T) { wantNoGuest(t, h, 204) },
		"proxmox_force_stop_resource": func(t *testing.T) { wantGuest(t, h, 105, "stopped") },
		"proxmox_delete_snapshot": func(t *testing.T) {
			if g, _ := h.sim.Guest(102); contains(g.Snapshots, "weekly") {
				t.Errorf("weekly still there: %v", g.Snapshots)
			}
		},
	}
	for _, d := range All() {
		if d.Tier == gate.Read || multiWrite[d.Name] {
			continue
		}
		t.Run(d.Name, func(t *testing.T) {
			h.sim.ResetLog()
			res := h.call(t, d.Name, "{"+validWrites[d.Name]+gateArgs[d.Tier]+"}")
			got := text(res)
			if res.IsError {
				t.Fatalf("isError: %s", got)
			}
			var w writeResult
			structured(t, res, &w)
			if w.Status != "ok" || strings.HasPrefix(w.UPID, "UPID:") == startsNoTask[d.Name] {
				t.Fatalf("status %q upid %q: %s", w.Status, w.UPID, got)
			}
			if n := len(h.sim.Writes()); n != 1 {
				t.Errorf("%d write requests, want exactly 1: %v", n, h.writes())
			}
			if c := checks[d.Name]; c != nil {
				c(t)
			}
		})
	}
	audit := h.audit.String()
	for _, want := range []string{`"decision":"sent"`, `"upid":"UPID:`, `"outcome":"OK"`, `"tool":"proxmox_destroy_resource"`} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit trail lacks %s:\n%s", want, audit)
		}
	}
}

func wantGuest(t *testing.T, h *harness, vmid int, status string) {
	t.Helper()
	g, ok := h.sim.Guest(vmid)
	if !ok {
		t.Fatalf("guest %d does not exist", vmid)
	}
	if status != "" && g.Status != status {
		t.Errorf("guest %d is %s, want %s", vmid, g.Status, status)
	}
}

func wantNoGuest(t *testing.T, h *harness, vmid int) {
	t.Helper()
	if _, ok := h.sim.Guest(vmid); ok {
		t.Errorf("guest %d still exists", vmid)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestDryRunSendsNothing(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	for _, d := range All() {
		if d.Tier == gate.Read || multiWrite[d.Name] {
			continue
		}
		t.Run(d.Name, func(t *testing.T) {
			h.sim.ResetLog()
			res := h.call(t, d.Name, "{"+validWrites[d.Name]+`,"dry_run":true}`)
			got := text(res)
			if res.IsError {
				t.Fatalf("isError: %s", got)
			}
			var w writeResult
			structured(t, res, &w)
			if w.Status != "dry_run" || w.Request == nil || !strings.HasPrefix(w.Request.Path, "/api2/json/nodes/") || w.UPID != "" {
				t.Errorf("dry run result %+v", w)
			}
			if !strings.Contains(got, "nothing was sent. It would send "+w.Request.Method+" "+w.Request.Path) {
				t.Errorf("text: %s", got)
			}
			if n := len(h.sim.Writes()); n != 0 {
				t.Errorf("a dry run wrote: %v", h.writes())
			}
			// It says whether the real call would go through: here (no confirm, no destructive switch) it
			// would not, and it says why.
			want := []string{"would be refused", "confirm: true (missing)"}
			if d.Tier == gate.Destructive {
				want = append(want, "destructive: true (missing)", "PROXMOX_ENABLE_DESTRUCTIVE=1 (off)", "operator's decision")
			}
			for _, w := range want {
				if !strings.Contains(got, w) {
					t.Errorf("dry run does not say %q: %s", w, got)
				}
			}
		})
	}
	// With every confirmation given, a dry run says the real call would be allowed.
	hd := newHarness(t, harnessOpts{destructive: true})
	res := hd.call(t, "proxmox_destroy_resource", `{"vmid":204,"confirm":true,"destructive":true,"dry_run":true}`)
	if !strings.Contains(text(res), "The real call would be allowed") || len(hd.sim.Writes()) != 0 {
		t.Errorf("confirmed dry run: %s; writes %v", text(res), hd.writes())
	}
	if !strings.Contains(h.audit.String(), `"decision":"dry_run"`) {
		t.Errorf("audit lacks dry runs:\n%s", h.audit.String())
	}
}

// TestWriteWaiting: a write waits for its task up to the server's bound; a task still running then comes back
// as running, with its UPID and how to follow it, not as an error.
func TestWriteWaiting(t *testing.T) {
	h := newHarness(t, harnessOpts{wait: time.Second})
	h.sim.SetTaskDuration("qmreboot", -1)
	var w writeResult
	res := h.call(t, "proxmox_reboot_resource", `{"vmid":101,"confirm":true}`)
	structured(t, res, &w)
	if res.IsError || w.Status != "running" || w.UPID == "" || w.Seconds < 1 {
		t.Errorf("never-ending task, waited %vs of the 1s bound: %s", w.Seconds, text(res))
	}
	if !strings.Contains(text(res), "proxmox_get_task_status") {
		t.Errorf("running result should say how to follow the task: %s", text(res))
	}
	if n := len(h.sim.Writes()); n != 1 {
		t.Errorf("%d writes, want 1", n)
	}
}

func TestProxmoxErrors(t *testing.T) {
	tests := []struct {
		name, tool, args string
		setup            func(*harness)
		opts             harnessOpts
		want             []string
		writes           int
	}{
		{name: "unknown vmid", tool: "proxmox_get_resource", args: `{"vmid":999}`, want: []string{"no VM or container with vmid 999"}},
		{name: "node mismatch", tool: "proxmox_get_resource", args: `{"vmid":103,"node":"pve1"}`, want: []string{"vmid 103 on node pve1: the cluster lists it on node pve2"}},
		{name: "running CT", tool: "proxmox_start_resource", args: `{"vmid":200,"confirm":true}`, want: []string{"CT 200 already running"}, writes: 1},
		{name: "running VM fails in its task", tool: "proxmox_start_resource", args: `{"vmid":100,"confirm":true}`, want: []string{"Failed: start VM 100", "VM 100 already running", "task log tail"}, writes: 1},
		{name: "reboot stopped VM", tool: "proxmox_reboot_resource", args: `{"vmid":103,"confirm":true}`, want: []string{"VM 103 not running"}, writes: 1},
		{name: "template", tool: "proxmox_start_resource", args: `{"vmid":9000,"confirm":true}`, want: []string{"template"}, writes: 1},
		{name: "locked", tool: "proxmox_start_resource", args: `{"vmid":106,"confirm":true}`, want: []string{"locked (backup)"}, writes: 1},
		{name: "snapshot name taken", tool: "proxmox_snapshot_resource", args: `{"vmid":102,"name":"weekly","confirm":true}`, want: []string{"already used"}, writes: 1},
		{name: "node offline", tool: "proxmox_get_resource", args: `{"vmid":104}`, setup: func(h *harness) { h.sim.SetNodeOnline("pve3", false) },
			want: []string{"595", "could not reach that node"}},
		{name: "read-only token", tool: "proxmox_start_resource", args: `{"vmid":103,"confirm":true}`, want: []string{"permission denied", "VM.PowerMgmt"}, writes: 1,
			opts: harnessOpts{sim: []pvesim.Option{pvesim.WithToken(pvesim.DefaultTokenID, pvesim.DefaultTokenSecret, "VM.Audit", "Sys.Audit", "Datastore.Audit")}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.opts)
			if tc.setup != nil {
				tc.setup(h)
			}
			res := h.call(t, tc.tool, tc.args)
			got := text(res)
			if !res.IsError {
				t.Fatalf("not an error: %s", got)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("error does not say %q:\n%s", w, got)
				}
			}
			if n := len(h.sim.Writes()); n != tc.writes {
				t.Errorf("%d write requests, want %d: %v", n, tc.writes, h.writes())
			}
		})
	}
}

// TestAuditSaysWhatHappened: each write attempt's audit record says what really happened to it: refused by the
// gate, invalid before anything was sent, a dry run, sent (with its task), or failed (with the request when
// one was sent).
func TestAuditSaysWhatHappened(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	type rec struct{ Decision, Request, Outcome string }
	tests := []struct {
		name, tool, args string
		want             rec
		upid             bool
	}{
		{"gate refuses", "proxmox_start_resource", `{"vmid":103}`, rec{Decision: "refused"}, false},
		{"bad argument", "proxmox_start_resource", `{"vmid":103,"confirm":true,"bogus":1}`, rec{Decision: "invalid"}, false},
		{"unknown vmid", "proxmox_start_resource", `{"vmid":999,"confirm":true}`, rec{Decision: "invalid"}, false},
		{"bad snapshot name", "proxmox_snapshot_resource", `{"vmid":102,"name":"a","confirm":true}`, rec{Decision: "invalid"}, false},
		{"dry run", "proxmox_start_resource", `{"vmid":103,"dry_run":true}`, rec{Decision: "dry_run", Request: "POST /api2/json/nodes/pve2/qemu/103/status/start"}, false},
		{"proxmox refuses", "proxmox_start_resource", `{"vmid":200,"confirm":true}`, rec{Decision: "failed", Request: "POST /api2/json/nodes/pve1/lxc/200/status/start"}, false},
		{"task fails", "proxmox_start_resource", `{"vmid":100,"confirm":true}`, rec{Decision: "sent", Request: "POST /api2/json/nodes/pve1/qemu/100/status/start", Outcome: "VM 100 already running"}, true},
		{"task succeeds", "proxmox_start_resource", `{"vmid":103,"confirm":true}`, rec{Decision: "sent", Request: "POST /api2/json/nodes/pve2/qemu/103/status/start", Outcome: "OK"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h.mu.Lock()
			h.audit.Reset()
			h.mu.Unlock()
			h.call(t, tc.tool, tc.args)
			h.mu.Lock()
			line := strings.TrimSpace(h.audit.String())
			h.mu.Unlock()
			var got struct {
				rec
				UPID string
			}
			if err := json.Unmarshal([]byte(line), &got); err != nil {
				t.Fatalf("audit %q: %v", line, err)
			}
			if diff := cmp.Diff(tc.want, got.rec); diff != "" {
				t.Errorf("audit (-want +got)\n%s\n%s", diff, line)
			}
			if (got.UPID != "") != tc.upid {
				t.Errorf("upid %q: %s", got.UPID, line)
			}
		})
	}
}

// TestNoUnmeasuredUsage: a write's target comes from the guest index, which keeps no usage: it carries no cpu,
// mem, maxmem or uptime (not zeros it never read), for every write tool, dry run or not; the reads that do
// measure usage report it, and a guest whose node is offline (Proxmox has no usage of it) reports none.
func TestNoUnmeasuredUsage(t *testing.T) {
	usage := []string{"cpu", "mem", "maxmem", "uptime"}
	usageOf := func(obj map[string]any) map[string]any {
		out := map[string]any{}
		for _, k := range usage {
			if v, ok := obj[k]; ok {
				out[k] = v
			}
		}
		return out
	}
	for tool, args := range validWrites {
		for _, mode := range []string{`"dry_run":true`, `"confirm":true,"destructive":true`} {
			t.Run(tool+"/"+mode, func(t *testing.T) {
				h := newHarness(t, harnessOpts{destructive: true, exec: execAllowed})
				res := h.call(t, tool, "{"+args+","+mode+"}")
				if strings.Contains(mode, "confirm") && strings.Contains(tool, "_api_") {
					return // a generic call has no target
				}
				var out struct {
					Target map[string]any `json:"target"`
				}
				structured(t, res, &out)
				if out.Target == nil {
					return // a provision names its VM by vmid, node and name
				}
				if diff := cmp.Diff(map[string]any{}, usageOf(out.Target)); diff != "" {
					t.Errorf("the target reports usage it did not read (-want +got)\n%s", diff)
				}
			})
		}
	}
	// reads that measure it
	h := newHarness(t, harnessOpts{})
	var list struct {
		Items []map[string]any `json:"items"`
	}
	structured(t, h.call(t, "proxmox_list_vms", `{"node":"pve3"}`), &list)
	var read struct {
		Guest map[string]any `json:"guest"`
	}
	structured(t, h.call(t, "proxmox_get_resource", `{"vmid":104}`), &read)
	h.sim.SetNodeOnline("pve3", false)
	var offline struct {
		Items []map[string]any `json:"items"`
	}
	structured(t, h.call(t, "proxmox_list_vms", `{"node":"pve3"}`), &offline)
	if len(list.Items) == 0 || len(offline.Items) == 0 {
		t.Fatalf("no VMs on pve3: %v %v", list.Items, offline.Items)
	}
	got := map[string][]string{}
	for name, obj := range map[string]map[string]any{"listed": list.Items[0], "read": read.Guest, "node offline": offline.Items[0]} {
		for _, k := range usage {
			if v, ok := obj[k]; ok && v != nil {
				got[name] = append(got[name], k)
			}
		}
	}
	want := map[string][]string{"listed": usage, "read": usage}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("usage keys (-want +got)\n%s", diff)
	}
	if m, _ := list.Items[0]["maxmem"].(float64); m != 4<<30 {
		t.Errorf("listed maxmem %v, want 4 GiB", list.Items[0]["maxmem"])
	}
}
