package tools

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/proxmox-mcp/proxmox-mcp/pve/pvesim"
)

// benchFleet is eight simulated clusters of 16 nodes and 5,000 guests each; latency(i) delays cluster i's answer
// to the list, as a real cluster's own work and distance do.
func benchFleet(b *testing.B, latency func(i int) time.Duration) *fleet {
	b.Helper()
	clusters := make([]*pvesim.Cluster, 8)
	for i := range clusters {
		clusters[i] = pvesim.Generate(pvesim.GenSpec{Nodes: 16, Guests: 5000, Seed: int64(i + 1)})
	}
	// A slow machine must not turn the benchmark into a timeout.
	f := newFleet(b, 8, fleetOpts{clusters: clusters, defaultTarget: "home", timeout: time.Minute})
	for i, s := range f.sims {
		if d := latency(i); d > 0 {
			s.Inject(pvesim.Fault{Path: "/cluster/resources", Kind: pvesim.FaultLatency, Latency: d})
		}
	}
	return f
}

// BenchmarkListAllClusters: proxmox_list_vms with cluster "*" over eight clusters of 5,000 guests each, against
// the same list of each cluster alone (best of five). It reports the requests each cluster got per call, the
// default page's text, and the time of the merged list over the slowest single one. The simulators run in
// this process: what a real cluster does on its own CPUs (render 1.5 MB of JSON, encrypt it) competes here
// with the client for the same cores, so the variants with a server latency are the ones like a real fleet:
// every cluster answering after the same delay (the worst case: eight answers to decode at once), and after
// delays spread from 25 to 200 ms.
func BenchmarkListAllClusters(b *testing.B) {
	variants := []struct {
		name    string
		latency func(i int) time.Duration
	}{
		{"no-latency", func(int) time.Duration { return 0 }},
		{"same-latency-200ms", func(int) time.Duration { return 200 * time.Millisecond }},
		{"spread-latency-25-200ms", func(i int) time.Duration { return 25 * time.Millisecond * time.Duration(i+1) }},
	}
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			f := benchFleet(b, v.latency)
			ctx := context.Background()
			_, _, page := timeAllAgainstEach(b, f.names, f.resetLogs, func(cluster string) (*mcp.CallToolResult, error) {
				return f.mc.CallTool(ctx, mcpCallRequest("proxmox_list_vms", `{"cluster":"`+cluster+`"}`))
			})
			for i, s := range f.sims {
				if n := len(s.Requests()); n != b.N {
					b.Errorf("cluster %s got %d requests for %d calls", f.names[i], n, b.N)
				}
			}
			b.ReportMetric(float64(len(page)), "page-text-bytes")
		})
	}
}

// timeAllAgainstEach times the list of every cluster ("*") against each cluster's own list: the slowest single
// list (the best of five for each, after a warm-up that opens the connections) and the best of b.N merged lists,
// which it reports with their ratio; reset runs before the timed calls. page is the last merged list's text.
func timeAllAgainstEach(b *testing.B, names []string, reset func(), list func(cluster string) (*mcp.CallToolResult, error)) (slowest, all time.Duration, page string) {
	b.Helper()
	var last *mcp.CallToolResult
	call := func(cluster string) time.Duration {
		start := time.Now()
		res, err := list(cluster)
		d := time.Since(start)
		if err != nil || res.IsError {
			b.Fatal(err, text(res))
		}
		last = res
		return d
	}
	for _, name := range names {
		call(name)
	}
	for _, name := range names {
		best := time.Duration(0)
		for range 5 {
			if d := call(name); best == 0 || d < best {
				best = d
			}
		}
		slowest = max(slowest, best)
	}
	reset()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if d := call("*"); i == 0 || d < all {
			all = d
		}
	}
	b.StopTimer()
	page = text(last)
	b.ReportMetric(float64(slowest.Microseconds())/1000, "slowest-single-ms")
	b.ReportMetric(float64(all.Microseconds())/1000, "all-best-ms")
	b.ReportMetric(float64(all)/float64(slowest), "all/slowest")
	return slowest, all, page
}

// TestMergedPageStaysSmall: over eight clusters of 5,000 guests each, the default page of cluster "*" is one
// request to each cluster and a page as small as one cluster's (CI counts its o200k tokens: at most 5,000).
func TestMergedPageStaysSmall(t *testing.T) {
	clusters := make([]*pvesim.Cluster, 8)
	for i := range clusters {
		clusters[i] = pvesim.Generate(pvesim.GenSpec{Nodes: 16, Guests: 5000, Seed: int64(i + 1)})
	}
	f := newFleet(t, 8, fleetOpts{clusters: clusters, defaultTarget: "home"})
	res := f.call(t, "proxmox_list_vms", `{"cluster":"*"}`)
	if res.IsError {
		t.Fatal(text(res))
	}
	for i, n := range f.requests() {
		if n != 1 {
			t.Errorf("cluster %s got %d requests, want 1", f.names[i], n)
		}
	}
	whole, _ := json.Marshal(res)
	txt := text(res)
	if len(whole) > 40<<10 || len(txt) > 15000 {
		t.Errorf("result %d bytes (text %d): over 40 KB or the text budget", len(whole), len(txt))
	}
	var l listResult
	structured(t, res, &l)
	if l.Total < 8*3000 || len(l.Items) != defaultPage || l.NextCursor != defaultPage || l.Items[0].Cluster != "home" {
		t.Errorf("total %d, %d items, cursor %d, first %+v", l.Total, len(l.Items), l.NextCursor, l.Items[0])
	}
	if out := os.Getenv("RESULT_OUT"); out != "" {
		_ = os.WriteFile(filepath.Join(out, "proxmox_list_vms-8-clusters.txt"), []byte(txt), 0o644)
	}
}
