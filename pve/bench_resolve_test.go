package pve

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp/pve/pvesim"
)

// The resolution benchmarks run against a 16-node / 5,000-guest simulated cluster over pinned TLS on loopback,
// and report how many HTTP requests each operation costs (requests/op) besides its time.

// counted is a client on a big cluster that counts its HTTP exchanges.
type counted struct {
	*Client
	requests atomic.Int64
}

func bigCluster(b *testing.B, opts ...pvesim.Option) (*pvesim.Server, *counted) {
	srv := pvesim.Serve(pvesim.New(pvesim.Generate(pvesim.GenSpec{Nodes: 16, Guests: 5000, Seed: 1}), opts...))
	b.Cleanup(srv.Close)
	fp, err := ParseFingerprint(srv.Fingerprint)
	if err != nil {
		b.Fatal(err)
	}
	c := &counted{}
	c.Client = clientFor(b, srv.URL, fp, WithObserver(func(Event) { c.requests.Add(1) }))
	return srv, c
}

// someGuest is a running VM of the generated cluster, and its node.
func someGuest(b *testing.B, srv *pvesim.Server) (vmid int, node string) {
	for id := 4000; id < 5100; id++ {
		if g, ok := srv.Guest(id); ok && g.Type == "qemu" && !g.Template {
			return id, g.Node
		}
	}
	b.Fatal("no VM in the generated cluster")
	return 0, ""
}

// measure runs op b.N times and reports the HTTP requests it made per run.
func measure(b *testing.B, c *counted, op func() error) {
	c.requests.Store(0)
	b.ReportAllocs()
	for b.Loop() {
		if err := op(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(c.requests.Load())/float64(b.N), "requests/op")
}

// BenchmarkRawGet is the yardstick: one GET of a guest's current status (or its config), its address known.
func BenchmarkRawGet(b *testing.B) {
	srv, c := bigCluster(b)
	vmid, node := someGuest(b, srv)
	ctx := context.Background()
	ref := GuestRef{Node: node, Type: Qemu, VMID: vmid}
	b.Run("status", func(b *testing.B) {
		measure(b, c, func() error { _, err := c.GuestStatus(ctx, ref); return err })
	})
	b.Run("config", func(b *testing.B) {
		measure(b, c, func() error { _, err := c.GuestConfig(ctx, ref); return err })
	})
	defer srv.Inject(pvesim.Fault{Kind: pvesim.FaultLatency, Latency: time.Millisecond})()
	b.Run("status+1ms", func(b *testing.B) {
		measure(b, c, func() error { _, err := c.GuestStatus(ctx, ref); return err })
	})
}

// BenchmarkGetByVMID reads one guest's status and config given only its vmid (node: also given its node).
func BenchmarkGetByVMID(b *testing.B) {
	srv, c := bigCluster(b)
	vmid, node := someGuest(b, srv)
	ctx := context.Background()
	for _, bc := range []struct{ name, node string }{{"vmid", ""}, {"node", node}} {
		b.Run(bc.name, func(b *testing.B) {
			measure(b, c, func() error { return getByVMID(ctx, c.Client, vmid, bc.node) })
		})
	}
	// With a millisecond of server latency, as a real node has, the two reads overlap.
	defer srv.Inject(pvesim.Fault{Kind: pvesim.FaultLatency, Latency: time.Millisecond})()
	b.Run("vmid+1ms", func(b *testing.B) {
		measure(b, c, func() error { return getByVMID(ctx, c.Client, vmid, "") })
	})
}

// BenchmarkStartByVMID resolves a vmid and submits a start (not waiting for the task), round the running
// VMs of one node so that no start meets the lock of the one before on the same guest.
func BenchmarkStartByVMID(b *testing.B) {
	srv, c := bigCluster(b, pvesim.WithTaskDuration(time.Millisecond))
	_, node := someGuest(b, srv)
	var vmids []int
	for id := 100; id < 5100; id++ {
		if g, ok := srv.Guest(id); ok && g.Type == "qemu" && !g.Template && g.Node == node && g.Lock == "" {
			vmids = append(vmids, id)
		}
	}
	ctx := context.Background()
	for _, bc := range []struct{ name, node string }{{"vmid", ""}, {"node", node}} {
		b.Run(bc.name, func(b *testing.B) {
			i := 0
			measure(b, c, func() error {
				i++
				return startByVMID(ctx, c.Client, vmids[i%len(vmids)], bc.node)
			})
		})
	}
}

func getByVMID(ctx context.Context, c *Client, vmid int, node string) error {
	_, err := c.ReadGuest(ctx, vmid, node)
	return err
}

func startByVMID(ctx context.Context, c *Client, vmid int, node string) error {
	g, err := c.Locate(ctx, vmid, node)
	if err != nil {
		return err
	}
	req, err := PowerRequest(g.Ref(), ActionStart, 0, false)
	if err != nil {
		return err
	}
	_, err = c.Submit(ctx, req)
	return err
}
