package tools

import (
	"strings"
	"testing"
)

// TestInstructions: the instructions name the clusters of a targets file and their limits, and the toolsets
// exposed and not; with the one cluster of the environment they speak of one cluster.
func TestInstructions(t *testing.T) {
	cs := &clusters{declared: true}
	for _, n := range []string{"home", "lab", "prod"} {
		cs.all = append(cs.all, &Target{Name: n, ReadOnly: n == "prod", Destructive: n == "home"})
	}
	core, _ := Select(Selection{Toolsets: []string{"core"}})
	readOnlyAll, _ := Select(Selection{Toolsets: []string{"all"}, ReadOnly: true})
	startOnly, _ := Select(Selection{Tools: []string{"proxmox_start_resource", "proxmox_list_vms"}})
	tests := []struct {
		name     string
		facts    InstructionFacts
		want     []string
		dontWant []string
	}{
		{"one cluster", InstructionFacts{Tools: DefaultSet()}, []string{"Tools for one Proxmox VE cluster.",
			"Toolsets here: core (reads: ", "; lifecycle (writes: ", "Not enabled: api"}, []string{"cluster argument", "proxmox_api_"}},
		{"every toolset", InstructionFacts{Tools: All()}, []string{"Writes change the cluster", "For what no other tool covers, proxmox_api_find and " +
			"proxmox_api_describe show the whole Proxmox API; proxmox_api_get reads any path; proxmox_api_call sends any write"}, nil},
		{"reads only", InstructionFacts{Tools: core}, []string{"None of the tools here changes the cluster.\n"}, []string{"Writes change", "dry_run", "proxmox_api_"}},
		{"read-only with api", InstructionFacts{ReadOnly: true, Tools: readOnlyAll}, []string{"This server is read-only",
			"proxmox_api_find and proxmox_api_describe show the whole Proxmox API; proxmox_api_get reads any path.\n"}, []string{"proxmox_api_call"}},
		{"writes without the task tool", InstructionFacts{Tools: startOnly}, []string{"returns status ok, failed or running with the task's upid.\n"}, []string{"proxmox_get_task_status"}},
		{"writes with the task tool", InstructionFacts{Tools: DefaultSet()}, []string{"follow a running one with proxmox_get_task_status and wait_seconds.\n"}, nil},
		{"three clusters, no default", InstructionFacts{Tools: core, clusters: cs}, []string{"Tools for 3 Proxmox VE clusters: home, lab, prod.",
			"Every call names its cluster in the cluster argument", `cluster "*" on lists, status and recent tasks`,
			"Read-only (the operator's setting): prod.", "Destructive tools can act only on: home.", "Not enabled: lifecycle"}, []string{"default home"}},
	}
	for _, tc := range tests {
		got := Instructions(tc.facts)
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: instructions do not say %q:\n%s", tc.name, w, got)
			}
		}
		for _, w := range tc.dontWant {
			if strings.Contains(got, w) {
				t.Errorf("%s: instructions say %q:\n%s", tc.name, w, got)
			}
		}
	}
	cs.fallback = cs.all[0]
	if got := Instructions(InstructionFacts{Tools: core, clusters: cs}); !strings.Contains(got, "The cluster argument chooses one (default home)") {
		t.Errorf("with a default: %s", got)
	}
}
