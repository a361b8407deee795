package tools

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
)

// TestBadInput: every malformed argument is refused with what was wrong and what is allowed, before any request.
func TestBadInput(t *testing.T) {
	h := newHarness(t, harnessOpts{destructive: true})
	tests := []struct {
		tool, args string
		want       []string
	}{
		{"proxmox_get_resource", `{"vmid":100.7}`, []string{"vmid: got the number 100.7; expected an integer 100…999999999"}},
		{"proxmox_get_resource", `{"vmid":"100"}`, []string{`vmid: got the string "100"`}},
		{"proxmox_get_resource", `{"vmid":1e2}`, []string{"vmid: got the number 1e2"}},
		{"proxmox_get_resource", `{"vmid":99}`, []string{"vmid: got 99; expected an integer 100…999999999"}},
		{"proxmox_get_resource", `{"vmid":-100}`, []string{"vmid: got -100"}},
		{"proxmox_get_resource", `{"vmid":1000000000}`, []string{"vmid: got 1000000000"}},
		{"proxmox_get_resource", `{"vmid":99999999999999999999999}`, []string{"out of range"}},
		{"proxmox_get_resource", `{"vmid":true}`, []string{"vmid: got the boolean true"}},
		{"proxmox_get_resource", `{}`, []string{"vmid is required (an integer 100…999999999)"}},
		{"proxmox_get_resource", ``, []string{"vmid is required"}},
		{"proxmox_get_resource", `[100]`, []string{"arguments must be a JSON object"}},
		{"proxmox_get_resource", `{"vmid":100,"VMID":100,"force":true}`, []string{`unknown argument "VMID", "force"`, "Valid arguments: vmid, node."}},
		{"proxmox_get_resource", `{"vmid":100,"node":"../access"}`, []string{`node: got "../access"; expected a node name`}},
		{"proxmox_get_resource", `{"vmid":100,"node":"pve1/../../cluster"}`, []string{"expected a node name"}},
		{"proxmox_get_resource", `{"vmid":100,"node":"pve\u0000"}`, []string{"node:"}},
		{"proxmox_list_vms", `{"status":"on"}`, []string{`status: got "on"; expected one of running, stopped, paused, unknown`}},
		{"proxmox_list_vms", `{"templates":"yes"}`, []string{`templates: got the string "yes"; expected true or false`}},
		{"proxmox_list_vms", `{"limit":0}`, []string{"limit: got 0; expected an integer 1…500"}},
		{"proxmox_list_vms", `{"cursor":"abc"}`, []string{`cursor: got the string "abc"; expected an integer from 0`}},
		{"proxmox_list_vms", `{"cursor":-1}`, []string{"cursor: got -1"}},
		{"proxmox_list_vms", `{"cursor":1e3}`, []string{"cursor: got the number 1e3"}},
		{"proxmox_list_vms", `{"cursor":"-1"}`, []string{`cursor: got the string "-1"`}},
		{"proxmox_list_vms", `{"tag":"a;b"}`, []string{"tag"}},
		{"proxmox_list_snapshots", `{"vmid":100,"name":"x"}`, []string{`unknown argument "name"`}},
		{"proxmox_snapshot_resource", `{"vmid":102,"name":"a","confirm":true}`, []string{`name: got "a"; expected a snapshot name`}},
		{"proxmox_snapshot_resource", `{"vmid":102,"name":"current","confirm":true}`, []string{`got "current"`, "not current or pending"}},
		{"proxmox_snapshot_resource", `{"vmid":102,"name":"../../x","confirm":true}`, []string{"expected a snapshot name"}},
		{"proxmox_delete_snapshot", `{"vmid":102,"name":"weekly%2f..","confirm":true,"destructive":true}`, []string{"got a string of 11 characters; expected a snapshot name"}},
		{"proxmox_get_task_status", `{"upid":"UPID:pve1:../../x"}`, []string{`upid: got "UPID:pve1:../../x"; expected a task id`}},
		{"proxmox_get_task_log", `{"upid":"garbage","tail":0}`, []string{"upid:", "tail: got 0"}},
		{"proxmox_resource_usage", `{"vmid":100,"timeframe":"decade"}`, []string{"timeframe: got \"decade\"; expected one of hour, day, week, month, year"}},
		{"proxmox_resource_usage", `{}`, []string{"give vmid (a guest) or node (a node)"}},
		{"proxmox_list_backups", `{"storage":"../etc"}`, []string{"storage:"}},
		{"proxmox_create_vm", `{"node":"pve1","disk":"local-lvm:32,cache=unsafe","confirm":true}`, []string{"disk: got a string of 25 characters; expected STORAGE:GiB"}},
		{"proxmox_create_vm", `{"node":"pve1","memory":4,"confirm":true}`, []string{"memory: got 4; expected an integer 16…4194304"}},
		{"proxmox_create_container", `{"node":"pve1","ostemplate":"debian","confirm":true}`, []string{`ostemplate: got "debian"; expected a volume id`}},
		{"proxmox_create_container", `{"node":"pve1","confirm":true}`, []string{"ostemplate is required"}},
		{"proxmox_clone_resource", `{"vmid":9000,"newid":9000,"confirm":true}`, []string{"newid: got 9000, the source's own vmid"}},
		{"proxmox_create_vm", `{"node":"pve1","disk":"local-lvm","confirm":true}`, []string{"disk: got \"local-lvm\"; expected STORAGE:GiB"}},
		{"proxmox_create_container", `{"node":"pve1","ostemplate":"local:vztmpl/x.tar.zst","disk":"x:0","confirm":true}`, []string{"disk: got \"x:0\""}},
		{"proxmox_stop_resource", `{"vmid":100,"wait_seconds":5,"confirm":true}`, []string{`unknown argument "wait_seconds"`}},
		{"proxmox_start_resource", `{"vmid":100,"node":"pve1","confirm":true}`, []string{`unknown argument "node"`, "Valid arguments: vmid, confirm, dry_run."}},
		{"proxmox_get_task_status", `{"upid":"UPID:pve1:00001234:00005678:6740F00D:qmstart:100:root@pam:","wait_seconds":601}`, []string{"wait_seconds: got 601; expected an integer 0…600"}},
		{"proxmox_stop_resource", `{"vmid":100,"timeout":-1,"confirm":true}`, []string{"timeout: got -1"}},
	}
	for _, tc := range tests {
		t.Run(tc.tool+tc.args, func(t *testing.T) {
			got := refusedBeforeSending(t, h, tc.tool, tc.args)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("error does not say %q:\n%s", w, got)
				}
			}
		})
	}
}

// TestArgumentErrorsEchoNoSecret: an argument error shows a value only when it is a short plain near miss. A
// secret pasted into the wrong argument, or as an argument's name, must not come back even in part.
func TestArgumentErrorsEchoNoSecret(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	const pasted = "5f0c2a0e-3d7b-4b8e-9a51-6c1f0b2d9e47"
	for _, args := range []string{
		`{"vmid":100,"node":"` + pasted + `"}`,
		`{"vmid":100,"` + pasted + `":1}`,
		`{"vmid":"` + pasted + `"}`,
		`{"vmid":100,"node":"pve1 ` + pasted + `"}`,
	} {
		res := h.call(t, "proxmox_get_resource", args)
		got := text(res)
		if !res.IsError {
			t.Fatalf("%s accepted: %s", args, got)
		}
		for n := 8; n <= len(pasted); n++ {
			if strings.Contains(got, pasted[:n]) || strings.Contains(got, pasted[len(pasted)-n:]) {
				t.Errorf("%s: the error echoes %d characters of the value: %s", args, n, got)
				break
			}
		}
	}
}

// TestArrayArgumentErrors: an array argument given a string says it takes an array and shows the form, with
// the string as its element when it is one that may be shown; a value the echo rule hides is described in
// words that read ("got a string of 7 characters"), and a bad element is named by its index.
func TestArrayArgumentErrors(t *testing.T) {
	h := newHarness(t, harnessOpts{exec: gate.ExecRule{Enabled: true, Allow: []string{"df"}}})
	const tagRule = "a tag of letters, digits, '_', '-', '+', '.'"
	tests := []struct {
		tool, args, want string
	}{
		{"proxmox_update_config", `{"vmid":104,"tags":"k8s","confirm":true}`,
			`tags: got the string "k8s"; expected an array of strings (each ` + tagRule + `), e.g. ["k8s"]`},
		{"proxmox_update_config", `{"vmid":104,"tags":"k8s,lab","confirm":true}`,
			`tags: got a string of 7 characters; expected an array of strings (each ` + tagRule + `), e.g. ["k8s","lab"]`},
		{"proxmox_update_config", `{"vmid":104,"ipconfig":"ip=dhcp","confirm":true}`,
			`ipconfig: got a string of 7 characters; expected an array of strings, e.g. ["ip=dhcp"]`},
		{"proxmox_update_config", `{"vmid":104,"tags":["ok","a;b"],"confirm":true}`,
			`tags[1]: got a string of 3 characters; expected ` + tagRule},
		{"proxmox_update_config", `{"vmid":104,"tags":{"a":1},"confirm":true}`,
			`tags: got an object; expected an array of strings (each ` + tagRule + `), e.g. ["k8s","lab"]`},
		{"proxmox_update_config", `{"vmid":104,"name":"a_b","confirm":true}`,
			`name: got "a_b"; expected a DNS name such as web-01`},
		{"proxmox_update_config", `{"vmid":104,"name":"web%01","confirm":true}`,
			`name: got a string of 6 characters; expected a DNS name such as web-01`},
		{"proxmox_get_resource", `{"vmid":"10%"}`,
			`vmid: got a string of 3 characters; expected an integer 100…999999999`},
		{"proxmox_guest_exec", `{"vmid":104,"dry_run":true}`,
			`command is required (an array of strings, e.g. ["df","-h"])`},
	}
	for _, tc := range tests {
		t.Run(tc.tool+tc.args, func(t *testing.T) {
			got := refusedBeforeSending(t, h, tc.tool, tc.args)
			// the problem is the text between the fixed opening and the list of valid names
			got = strings.TrimPrefix(got, "Invalid arguments, nothing was sent to Proxmox: ")
			if i := strings.Index(got, ". Valid arguments: "); i >= 0 {
				got = got[:i]
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

// refusedBeforeSending calls a tool with bad input and returns its error text; the call must be refused, and
// refused before any request: every argument is validated first, reads included.
func refusedBeforeSending(t *testing.T, h *harness, tool, args string) string {
	t.Helper()
	h.sim.ResetLog()
	res := h.call(t, tool, args)
	got := text(res)
	if !res.IsError {
		t.Fatalf("accepted: %s", got)
	}
	if n := len(h.sim.Requests()); n != 0 {
		t.Errorf("bad input made %d requests: %v", n, h.sim.Requests())
	}
	return got
}
