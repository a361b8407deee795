package tools

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestTaskHelp(t *testing.T) {
	const upid = "UPID:pve2:0000A1B2:00C3D4E5:65F0A1B2:qmstart:103:root@pam:"
	tests := []struct {
		name           string
		tools          []string
		follow, recent string
	}{
		{"task tools", []string{"proxmox_get_task_status", "proxmox_recent_tasks", "proxmox_api_get"},
			"Follow it with proxmox_get_task_status.", "check proxmox_recent_tasks"},
		{"generic read only", []string{"proxmox_api_get"},
			"Follow it with proxmox_api_get of /nodes/pve2/tasks/" + upid + "/status.", "check the cluster's tasks (proxmox_api_get of /cluster/tasks)"},
		{"none of them", []string{"proxmox_start_resource"},
			"Its end shows in the cluster's task list.", "check the cluster's task list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var defs []Def
			for _, n := range tt.tools {
				defs = append(defs, Def{Name: n})
			}
			h := newTaskHelp(defs)
			got := []string{h.follow(upid), h.recent()}
			if diff := cmp.Diff([]string{tt.follow, tt.recent}, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestRunningWriteNamesOnlyExposedTools: with the task tools left out (PROXMOX_TOOLS), a write whose task
// outlasts the wait does not send the model to a tool it does not have.
func TestRunningWriteNamesOnlyExposedTools(t *testing.T) {
	h := newHarness(t, harnessOpts{only: []string{"proxmox_start_resource", "proxmox_list_vms"}, wait: 300 * time.Millisecond})
	h.sim.SetTaskDuration("qmstart", -1)
	res := h.call(t, "proxmox_start_resource", `{"vmid":103,"confirm":true}`)
	var w writeResult
	structured(t, res, &w)
	if res.IsError || w.Status != "running" {
		t.Fatalf("want a running task: %s", text(res))
	}
	if err := h.sim.StopTask(w.UPID); err != nil {
		t.Fatal(err)
	}
	if txt := text(res); strings.Contains(txt, "proxmox_get_task_status") || !strings.Contains(txt, "Its end shows in the cluster's task list.") {
		t.Errorf("result names a tool the server does not expose, or no way to follow the task: %s", txt)
	}
}
