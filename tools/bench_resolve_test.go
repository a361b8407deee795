package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/proxmox-mcp/proxmox-mcp/pve/pvesim"
)

// BenchmarkResolve5000 measures a get and a start by vmid on a 16-node / 5,000-guest cluster through the whole
// product (MCP session, middleware, tool, client, TLS): its time and the HTTP requests it costs, with the vmid
// alone and with the node given too. The start does not wait for its task, so only resolution and the POST count.
func BenchmarkResolve5000(b *testing.B) {
	h := newHarness(b, harnessOpts{destructive: true, cluster: pvesim.Generate(pvesim.GenSpec{Nodes: 16, Guests: 5000, Seed: 1}),
		sim: []pvesim.Option{pvesim.WithRequestLogLimit(1 << 22), pvesim.WithTaskDuration(time.Millisecond)}, timeout: time.Minute})
	// The gets read one VM; the starts go round the VMs of its node, so that no start meets the lock that the
	// task of the one before holds on the same guest.
	vmid, node := 0, ""
	var vmids []int
	for pass := range 2 {
		for id := 100; id < 5100; id++ {
			g, ok := h.sim.Guest(id)
			switch {
			case !ok || g.Type != "qemu" || g.Template || g.Lock != "":
			case pass == 0 && vmid == 0 && id >= 4000:
				vmid, node = id, g.Node
			case pass == 1 && g.Node == node:
				vmids = append(vmids, id)
			}
		}
	}
	for _, bc := range []struct {
		name, tool string
		args       func(i int) string
	}{
		{"get/vmid", "proxmox_get_resource", func(int) string { return fmt.Sprintf(`{"vmid":%d}`, vmid) }},
		{"get/node", "proxmox_get_resource", func(int) string { return fmt.Sprintf(`{"vmid":%d,"node":%q}`, vmid, node) }},
		{"start/vmid", "proxmox_start_resource", func(i int) string {
			return fmt.Sprintf(`{"vmid":%d,"confirm":true}`, vmids[i%len(vmids)])
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			h.sim.ResetLog()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				req := mcp.CallToolRequest{}
				req.Params.Name = bc.tool
				req.Params.Arguments = json.RawMessage(bc.args(i))
				res, err := h.mc.CallTool(ctx, req)
				// A start of a guest an earlier loop started fails in its task: it was still sent, which is
				// what is measured.
				if err != nil || res.IsError && !strings.Contains(text(res), "already running") {
					b.Fatal(err, text(res))
				}
			}
			// A write waits for its task: its status polls are counted apart from the requests that do the work.
			polls := 0
			for _, r := range h.sim.Requests() {
				if strings.Contains(r.Path, "/tasks/") {
					polls++
				}
			}
			b.ReportMetric(float64(len(h.sim.Requests())-polls)/float64(b.N), "requests/op")
			b.ReportMetric(float64(polls)/float64(b.N), "task-polls/op")
		})
	}
	// 200 gets of different guests at once on one session, as an assistant's fan-out does.
	b.Run("get/200-concurrent", func(b *testing.B) {
		concurrentGets(b, h, func(i int) int { return 100 + i*20 })
	})
}

// BenchmarkConcurrentGets: 200 gets at once on one session against the small default cluster.
func BenchmarkConcurrentGets(b *testing.B) {
	h := newHarness(b, harnessOpts{sim: []pvesim.Option{pvesim.WithRequestLogLimit(1 << 22)}, timeout: time.Minute})
	vmids := []int{100, 101, 102, 103, 104, 105, 106, 9000, 200, 201, 202, 203, 204}
	concurrentGets(b, h, func(i int) int { return vmids[i%len(vmids)] })
}

// concurrentGets runs rounds of 200 concurrent proxmox_get_resource calls, the i-th for vmid(i).
func concurrentGets(b *testing.B, h *harness, vmid func(i int) int) {
	ctx := context.Background()
	h.sim.ResetLog()
	b.ReportAllocs()
	for b.Loop() {
		var wg sync.WaitGroup
		errs := make(chan error, 200)
		for i := range 200 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req := mcp.CallToolRequest{}
				req.Params.Name = "proxmox_get_resource"
				req.Params.Arguments = json.RawMessage(fmt.Sprintf(`{"vmid":%d}`, vmid(i)))
				res, err := h.mc.CallTool(ctx, req)
				if err == nil && res.IsError {
					err = errors.New(text(res))
				}
				if err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(h.sim.Requests()))/float64(b.N)/200, "requests/call")
}
