package schema

import (
	"fmt"
	"strings"
	"testing"
)

// TestFind reads the answers to the examples, and a few more, as a person would: the operation one
// means comes first (or among the first two, where list and create are equally plausible).
func TestFind(t *testing.T) {
	tests := []struct {
		query, method string
		wantTop       []string // the first results, in order
	}{
		{"firewall rules", "", []string{"GET /cluster/firewall/rules", "POST /cluster/firewall/rules"}},
		{"ha resources", "", []string{"GET /cluster/ha/resources", "POST /cluster/ha/resources"}},
		{"storage status", "", []string{"GET /nodes/{node}/storage/{storage}/status"}},
		{"vm firewall rules", "GET", []string{"GET /nodes/{node}/qemu/{vmid}/firewall/rules"}},
		{"start vm", "", []string{"POST /nodes/{node}/qemu/{vmid}/status/start"}},
		{"list containers", "", []string{"GET /nodes/{node}/lxc"}},
		{"task log", "", []string{"GET /nodes/{node}/tasks/{upid}/log"}},
		{"wipe disk", "", []string{"PUT /nodes/{node}/disks/wipedisk"}},
		{"create vm", "", []string{"POST /nodes/{node}/qemu"}},
		{"network interfaces", "GET", []string{"GET /nodes/{node}/network"}},
		{"cluster resources", "", []string{"GET /cluster/resources"}},
		{"users", "GET", []string{"GET /access/users"}},
		{"Firewall RULES", "post", []string{"POST /cluster/firewall/rules"}},
	}
	for _, tt := range tests {
		hits := Find(tt.query, tt.method, 0)
		var got []string
		for _, h := range hits {
			got = append(got, h.Method+" "+h.Path)
		}
		for i, w := range tt.wantTop {
			if i >= len(got) || got[i] != w {
				t.Errorf("Find(%q, %q) = %v; want it to start with %v", tt.query, tt.method, got, tt.wantTop)
				break
			}
		}
		for _, h := range hits {
			if tt.method != "" && h.Method != strings.ToUpper(tt.method) {
				t.Errorf("Find(%q, %q) returned %s", tt.query, tt.method, h.Method)
			}
			if h.Op == nil || h.Summary != h.Op.Summary || h.Class != h.Op.Class {
				t.Errorf("hit %+v does not describe its operation", h)
			}
		}
	}
}

func TestFindLimits(t *testing.T) {
	if n := len(Find("firewall", "", 0)); n != DefaultFindLimit {
		t.Errorf("default limit: %d results, want %d", n, DefaultFindLimit)
	}
	if n := len(Find("firewall", "", 1000)); n != MaxFindLimit {
		t.Errorf("limit 1000: %d results, want the cap %d", n, MaxFindLimit)
	}
	if n := len(Find("firewall", "", 3)); n != 3 {
		t.Errorf("limit 3: %d results", n)
	}
	for _, q := range []string{"", "   ", "the of a", "zzzzqqq"} {
		if hits := Find(q, "", 0); len(hits) != 0 {
			t.Errorf("Find(%q) = %d hits, want none", q, len(hits))
		}
	}
}

// TestFindAnswerIsSmall: a default answer as compact lines (method, path, class, summary) stays far below
// 1,000 tokens; at about 4 characters per token, 3,000 bytes is a safe bound.
func TestFindAnswerIsSmall(t *testing.T) {
	worst := 0
	for _, q := range []string{"firewall", "vm", "qemu config", "storage", "ceph", "sdn", "access", "node"} {
		var b strings.Builder
		for _, h := range Find(q, "", 0) {
			fmt.Fprintf(&b, "%s %s [%s] %s\n", h.Method, h.Path, h.Class, h.Summary)
		}
		worst = max(worst, b.Len())
	}
	if worst > 3000 {
		t.Errorf("a default answer takes %d bytes", worst)
	}
}

func BenchmarkFind(b *testing.B) {
	Find("warm up", "", 0)
	queries := []string{"firewall rules", "ha resources", "storage status", "start vm", "list containers snapshot"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Find(queries[i%len(queries)], "", 0)
	}
}
