package tools

import (
	"strings"
	"testing"
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
		{"proxmox_get_resource", `{"vmid":100,"node":"../access"}`, []string{`node: node "../access" is not a valid node name`}},
		{"proxmox_get_resource", `{"vmid":100,"node":"pve1/../../cluster"}`, []string{"not a valid node name"}},
		{"proxmox_get_resource", `{"vmid":100,"node":"pve\u0000"}`, []string{"node:"}},
		{"proxmox_list_vms", `{"status":"on"}`, []string{`status: got "on"; expected one of running, stopped, paused, unknown`}},
		{"proxmox_list_vms", `{"templates":"yes"}`, []string{`templates: got the string "yes"; expected true or false`}},
		{"proxmox_list_vms", `{"limit":0}`, []string{"limit: got 0; expected an integer 1…500"}},
		{"proxmox_list_vms", `{"cursor":"abc"}`, []string{"cursor: got \"abc\""}},
		{"proxmox_list_vms", `{"tag":"a;b"}`, []string{"tag"}},
		{"proxmox_list_snapshots", `{"vmid":100,"name":"x"}`, []string{`unknown argument "name"`}},
		{"proxmox_snapshot_resource", `{"vmid":102,"name":"a","confirm":true}`, []string{"name: snapshot name \"a\" is not valid"}},
		{"proxmox_snapshot_resource", `{"vmid":102,"name":"current","confirm":true}`, []string{"reserved"}},
		{"proxmox_snapshot_resource", `{"vmid":102,"name":"../../x","confirm":true}`, []string{"is not valid"}},
		{"proxmox_delete_snapshot", `{"vmid":102,"name":"weekly%2f..","confirm":true,"destructive":true}`, []string{"is not valid"}},
		{"proxmox_get_task_status", `{"upid":"UPID:pve1:../../x"}`, []string{"upid: task id", "is not a UPID"}},
		{"proxmox_get_task_log", `{"upid":"garbage","tail":0}`, []string{"upid:", "tail: got 0"}},
		{"proxmox_resource_usage", `{"vmid":100,"timeframe":"decade"}`, []string{"timeframe: got \"decade\"; expected one of hour, day, week, month, year"}},
		{"proxmox_resource_usage", `{}`, []string{"give vmid (a guest) or node (a node)"}},
		{"proxmox_list_backups", `{"storage":"../etc"}`, []string{"storage:"}},
		{"proxmox_create_vm", `{"node":"pve1","disk":"local-lvm:32,cache=unsafe","confirm":true}`, []string{"disk size"}},
		{"proxmox_create_vm", `{"node":"pve1","memory":4,"confirm":true}`, []string{"memory: got 4; expected an integer 16…4194304"}},
		{"proxmox_create_container", `{"node":"pve1","ostemplate":"debian","confirm":true}`, []string{"ostemplate: volume \"debian\" is not a valid volume id"}},
		{"proxmox_create_container", `{"node":"pve1","confirm":true}`, []string{"ostemplate is required"}},
		{"proxmox_clone_resource", `{"vmid":9000,"newid":9000,"confirm":true}`, []string{"newid must differ"}},
		{"proxmox_stop_resource", `{"vmid":100,"wait_seconds":0,"confirm":true}`, []string{"wait_seconds: got 0; expected an integer 1…600"}},
		{"proxmox_stop_resource", `{"vmid":100,"wait":"false","confirm":true}`, []string{"wait: got the string \"false\""}},
		{"proxmox_stop_resource", `{"vmid":100,"timeout":-1,"confirm":true}`, []string{"timeout: got -1"}},
	}
	for _, tc := range tests {
		t.Run(tc.tool+tc.args, func(t *testing.T) {
			h.sim.ResetLog()
			res := h.call(t, tc.tool, tc.args)
			got := text(res)
			if !res.IsError {
				t.Fatalf("accepted: %s", got)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("error does not say %q:\n%s", w, got)
				}
			}
			if w := h.writes(); len(w) != 0 {
				t.Errorf("bad input reached the cluster: %v", w)
			}
			// Validation comes before the lookup, except for arguments only Proxmox data can judge.
			if n := len(h.sim.Requests()); n > 1 {
				t.Errorf("bad input made %d requests", n)
			}
		})
	}
}
