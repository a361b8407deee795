package tools

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRefusalNamesUnknownArguments: when the gate refuses a call before its arguments are decoded, a misspelt
// argument is still named (confrm=true reads as a missing confirm); the list of what the tool takes has the
// cluster argument when a targets file declares it, in refusals and in argument errors alike.
func TestRefusalNamesUnknownArguments(t *testing.T) {
	one := newHarness(t, harnessOpts{})
	two := newFleet(t, 2, fleetOpts{defaultTarget: "home"})
	tests := []struct {
		name string
		call func(tool, args string) string
		tool string
		args string
		want []string
	}{
		{"a write with confirm misspelt", func(tool, args string) string { return text(one.call(t, tool, args)) }, "proxmox_start_resource", `{"vmid":101,"confrm":true}`,
			[]string{"needs confirm: true (missing)", "Refused, nothing was sent to Proxmox", "Also: unknown argument \"confrm\"; this tool takes vmid, confirm, dry_run."}},
		{"several clusters", func(tool, args string) string { return text(two.call(t, tool, args)) }, "proxmox_start_resource", `{"vmid":101,"confrm":true}`,
			[]string{"Also: unknown argument \"confrm\"; this tool takes cluster, vmid, confirm, dry_run."}},
		{"an argument error with several clusters", func(tool, args string) string { return text(two.call(t, tool, args)) }, "proxmox_list_vms", `{"vmid":101}`,
			[]string{"unknown argument \"vmid\". Valid arguments: cluster, node, status"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.call(tt.tool, tt.args)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("does not say %q:\n%s", w, got)
				}
			}
		})
	}
	// Nothing is added where every argument is known.
	got := text(one.call(t, "proxmox_start_resource", `{"vmid":101}`))
	if diff := cmp.Diff("Refused, nothing was sent to Proxmox: proxmox_start_resource is a write tool and needs confirm: true (missing). To see what would be sent without changing anything, call it with dry_run: true.", got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
