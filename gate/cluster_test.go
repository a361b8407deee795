package gate

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/rs/zerolog"
)

// TestDecideForCluster: a cluster's settings in the targets file only narrow the server's: a read_only cluster
// takes no write, and a destructive call needs both the server's switch and the cluster's enable_destructive.
func TestDecideForCluster(t *testing.T) {
	const (
		envOff  = "the server setting PROXMOX_ENABLE_DESTRUCTIVE=1 (off)"
		clOff   = "enable_destructive = true for cluster lab in the targets file (off)"
		roLab   = "a cluster that takes writes (lab is read_only in the targets file)"
		confirm = `{"confirm":true}`
		both    = `{"confirm":true,"destructive":true}`
	)
	open := &Cluster{Name: "lab", Destructive: true}
	closed := &Cluster{Name: "lab"}
	ro := &Cluster{Name: "lab", ReadOnly: true, Destructive: true}
	tests := []struct {
		name    string
		tier    Tier
		args    string
		enabled bool
		cl      *Cluster
		want    Decision
	}{
		{"read on a read-only cluster", Read, `{}`, false, ro, Decision{Allow: true}},
		{"write on an open cluster", Write, confirm, false, closed, Decision{Allow: true}},
		{"write on a read-only cluster", Write, confirm, true, ro, Decision{NeedsOperator: true, Missing: []string{roLab},
			ClusterSettings: []string{"read_only = false for cluster lab"}}},
		{"dry run on a read-only cluster says the real call would be refused", Write, `{"dry_run":true}`, false, ro, Decision{Allow: true, DryRun: true,
			NeedsOperator: true, Unmet: []string{"confirm: true (missing)", roLab}, ClusterSettings: []string{"read_only = false for cluster lab"}}},
		{"destructive, both switches", Destructive, both, true, open, Decision{Allow: true}},
		{"destructive, server only", Destructive, both, true, closed, Decision{NeedsOperator: true, Missing: []string{clOff},
			ClusterSettings: []string{"enable_destructive = true for cluster lab"}}},
		{"destructive, cluster only", Destructive, both, false, open, Decision{NeedsOperator: true, Missing: []string{envOff}}},
		{"destructive, neither", Destructive, both, false, closed, Decision{NeedsOperator: true, Missing: []string{envOff, clOff},
			ClusterSettings: []string{"enable_destructive = true for cluster lab"}}},
		{"no cluster: the server's switch alone", Destructive, both, true, nil, Decision{Allow: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := DecideFor(tc.tier, parse(t, tc.args), tc.enabled, tc.cl)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
	refusal := Refusal("proxmox_destroy_resource", Destructive, DecideFor(Destructive, parse(t, both), false, closed))
	for _, want := range []string{"nothing was sent", envOff, clOff, "operator's decisions",
		"PROXMOX_ENABLE_DESTRUCTIVE=1 for this server and enable_destructive = true for cluster lab", "Do not change"} {
		if !strings.Contains(refusal, want) {
			t.Errorf("refusal %q does not say %q", refusal, want)
		}
	}
	d := DecideFor(Write, parse(t, `{"dry_run":true,"confirm":true}`), false, ro)
	note := DryRunNote("proxmox_start_resource", Write, Permit{Tier: Write, DryRun: true, Unmet: d.Unmet, NeedsOperator: d.NeedsOperator, ClusterSettings: d.ClusterSettings})
	for _, want := range []string{"would be refused", roLab, "read_only = false for cluster lab"} {
		if !strings.Contains(note, want) {
			t.Errorf("dry-run note %q does not say %q", note, want)
		}
	}
}

// TestAuditNamesTheCluster: every record of a write attempt, refused or carried out, names its cluster.
func TestAuditNamesTheCluster(t *testing.T) {
	var file bytes.Buffer
	p := NewPolicy(true, NewAuditor(zerolog.Nop(), &file, nil))
	if _, err := p.Register(schemaTool("w", "confirm", "dry_run"), Write); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		cl   *Cluster
		args string
	}{{&Cluster{Name: "lab", ReadOnly: true}, `{"confirm":true}`}, {&Cluster{Name: "home"}, `{"confirm":true}`}, {&Cluster{Name: "home"}, `{}`}} {
		p.Check(context.Background(), Call{Tool: "w", Args: parse(t, tc.args), Cluster: tc.cl}, func(context.Context, Permit) (*mcp.CallToolResult, Outcome) {
			return mcp.NewToolResultText("done"), Outcome{Decision: Sent}
		})
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(file.String()), "\n") {
		var r Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		got = append(got, r.Cluster+":"+r.Decision)
	}
	if diff := cmp.Diff([]string{"lab:refused", "home:sent", "home:refused"}, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}
