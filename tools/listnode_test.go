package tools

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestListNamesAMissingNode: a node filter that names a node the cluster lacks says so and names its nodes,
// at the cost of one more request made only then; a node that exists, or a filter that leaves guests, costs
// the one list request as before.
func TestListNamesAMissingNode(t *testing.T) {
	tests := []struct {
		tool, args, text string
		requests         []string
	}{
		{"proxmox_list_vms", `{"node":"pve9"}`, "No VMs match. The cluster has no node pve9; its nodes are pve1, pve2, pve3.",
			[]string{"/cluster/resources?type=vm", "/cluster/resources?type=node"}},
		{"proxmox_list_containers", `{"node":"pve9","status":"running"}`, "No containers match. The cluster has no node pve9; its nodes are pve1, pve2, pve3.",
			[]string{"/cluster/resources?type=vm", "/cluster/resources?type=node"}},
		{"proxmox_list_vms", `{"node":"pve1","status":"paused"}`, "No VMs match.", []string{"/cluster/resources?type=vm"}},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			h := newHarness(t, harnessOpts{})
			h.sim.ResetLog()
			res := h.call(t, tt.tool, tt.args)
			if diff := cmp.Diff(tt.text, text(res)); diff != "" || res.IsError {
				t.Errorf("isError %v, text (-want +got):\n%s", res.IsError, diff)
			}
			var got []string
			for _, r := range h.sim.Requests() {
				got = append(got, r.Path+"?"+r.Query.Encode())
			}
			if diff := cmp.Diff(tt.requests, got); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}
