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

// BenchmarkRawGet is the yardstick: one GET of a guest's current status, its address known.
func BenchmarkRawGet(b *testing.B) {
	srv, c := bigCluster(b)
	vmid, node := someGuest(b, srv)
	ctx := context.Background()
	measure(b, c, func() error {
		_, err := c.GuestStatus(ctx, GuestRef{Node: node, Type: Qemu, VMID: vmid})
		return err
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
}

// BenchmarkStartByVMID resolves a vmid and submits a start (not waiting for the task).
func BenchmarkStartByVMID(b *testing.B) {
	srv, c := bigCluster(b, pvesim.WithTaskDuration(time.Millisecond))
	vmid, node := someGuest(b, srv)
	ctx := context.Background()
	for _, bc := range []struct{ name, node string }{{"vmid", ""}, {"node", node}} {
		b.Run(bc.name, func(b *testing.B) {
			measure(b, c, func() error { return startByVMID(ctx, c.Client, vmid, bc.node) })
		})
	}
}
