package tools

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestAPIToolsTakeTheCluster: with two clusters, the generic tools take the cluster argument as every tool
// does: a read or a write naming the second cluster reaches only the second, one naming none goes to the
// default target, and an unknown cluster is refused before any request.
func TestAPIToolsTakeTheCluster(t *testing.T) {
	f := newFleet(t, 2, fleetOpts{defaultTarget: "home", toolsets: []string{"all"}})
	start := ""
	for vmid := 100; vmid < 1000 && start == ""; vmid++ {
		if g, ok := f.sims[1].Guest(vmid); ok && g.Type == "qemu" && g.Status == "stopped" && !g.Template {
			start = fmt.Sprintf("/nodes/%s/qemu/%d/status/start", g.Node, vmid)
		}
	}
	if start == "" {
		t.Fatal("lab has no stopped VM")
	}
	call := func(cluster, extra string) string {
		return fmt.Sprintf(`{"cluster":%q,"method":"POST","path":%q%s}`, cluster, start, extra)
	}
	tests := []struct {
		name, tool, args string
		isError          bool
		requests         []int // per cluster: home, lab; -1 for any number
		says             string
		writes           [][]string // per cluster
	}{
		{"a read of lab", "proxmox_api_get", `{"cluster":"lab","path":"/version"}`, false, []int{0, 1}, "GET /version", [][]string{{}, {}}},
		{"a read of the default", "proxmox_api_get", `{"path":"/version"}`, false, []int{1, 0}, "GET /version", [][]string{{}, {}}},
		{"a write to lab", "proxmox_api_call", call("lab", `,"confirm":true`), false, []int{0, -1}, "Done: POST " + start, [][]string{{}, {"POST " + start}}},
		{"a dry run on lab", "proxmox_api_call", call("lab", `,"dry_run":true`), false, []int{0, 0}, "Dry run", [][]string{{}, {}}},
		{"an unknown cluster", "proxmox_api_call", call("prod", `,"confirm":true`), true, []int{0, 0}, `cluster: got "prod"; expected one of home, lab`, [][]string{{}, {}}},
		{"every cluster at once", "proxmox_api_get", `{"cluster":"*","path":"/version"}`, true, []int{0, 0}, "cluster: * is for lists", [][]string{{}, {}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.resetLogs()
			res := f.call(t, tt.tool, tt.args)
			if res.IsError != tt.isError {
				t.Fatalf("isError %v: %s", res.IsError, text(res))
			}
			if strings.Contains(text(res), "unknown argument") {
				t.Errorf("the cluster argument is refused: %s", text(res))
			}
			if !strings.Contains(text(res), tt.says) {
				t.Errorf("does not say %q: %s", tt.says, text(res))
			}
			got := f.requests()
			for i, n := range tt.requests {
				if n < 0 {
					got[i] = n
				}
			}
			if diff := cmp.Diff(tt.requests, got); diff != "" {
				t.Errorf("requests per cluster (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.writes, f.writes()); diff != "" {
				t.Errorf("writes per cluster (-want +got):\n%s\n%s", diff, text(res))
			}
		})
	}
	f.credentialsStayHome(t)
	var clusters []string
	for _, r := range f.auditRecords(t) {
		clusters = append(clusters, r.Cluster+" "+r.Decision)
	}
	if diff := cmp.Diff([]string{"lab sent", "lab dry_run", " invalid"}, clusters); diff != "" {
		t.Errorf("audit (-want +got):\n%s", diff)
	}
}
