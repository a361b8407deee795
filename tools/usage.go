package tools

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve"
)

func usageTools() []Def {
	return []Def{
		define("proxmox_resource_usage", gate.Read,
			"CPU, memory, disk and network usage of a node or guest over a timeframe, summarised (not raw points)",
			"Average, peak and latest CPU, memory, disk and network use of a guest or node.",
			privs("VM.Audit", "Sys.Audit"), resourceUsage),
	}
}

type usageArgs struct {
	VMID      int    `json:"vmid" check:"vmid" desc:"Guest"`
	Node      string `json:"node" check:"node" desc:"Node"`
	Timeframe string `json:"timeframe" enum:"hour|day|week|month|year" desc:"Default hour"`
}

// stat summarises one metric over the points that carry it.
type stat struct {
	Avg  float64 `json:"avg"`
	Max  float64 `json:"max"`
	Last float64 `json:"last"`
}

type usageResult struct {
	Target    string `json:"target" out:"-"`
	Timeframe string `json:"timeframe" out:"-"`
	Points    int    `json:"points"`
	From      int64  `json:"from" out:"-"`
	To        int64  `json:"to" out:"-"`
	metrics   `json:"usage"`
}

// metrics are the summarised series, each absent when no point carried it.
type metrics struct {
	CPU       *stat `json:"cpu,omitempty"`       // percent
	Mem       *stat `json:"mem,omitempty"`       // bytes
	MaxMem    int64 `json:"maxmem,omitempty"`    // bytes
	Disk      *stat `json:"disk,omitempty"`      // bytes used (containers, nodes)
	MaxDisk   int64 `json:"maxdisk,omitempty"`   // bytes
	NetIn     *stat `json:"netin,omitempty"`     // bytes/s
	NetOut    *stat `json:"netout,omitempty"`    // bytes/s
	DiskRead  *stat `json:"diskread,omitempty"`  // bytes/s
	DiskWrite *stat `json:"diskwrite,omitempty"` // bytes/s
}

func (u *usageResult) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s over the last %s (%d points, %s to %s)", u.Target, u.Timeframe, u.Points, fmtTime(u.From), fmtTime(u.To))
	if u.CPU == nil && u.Mem == nil {
		b.WriteString(": no usage data (stopped or offline the whole time).")
		return b.String()
	}
	b.WriteString(":\n")
	if u.CPU != nil {
		fmt.Fprintf(&b, "cpu avg %s peak %s now %s\n", fmtPercent(u.CPU.Avg), fmtPercent(u.CPU.Max), fmtPercent(u.CPU.Last))
	}
	sizes := func(name string, s *stat, max int64) {
		// VMs report no disk usage (only containers and nodes do): a metric that is 0 throughout says nothing.
		if s != nil && s.Max > 0 {
			fmt.Fprintf(&b, "%s avg %s peak %s now %s", name, fmtBytes(int64(s.Avg)), fmtBytes(int64(s.Max)), fmtBytes(int64(s.Last)))
			if max > 0 {
				fmt.Fprintf(&b, " of %s", fmtBytes(max))
			}
			b.WriteByte('\n')
		}
	}
	sizes("mem", u.Mem, u.MaxMem)
	sizes("disk", u.Disk, u.MaxDisk)
	rates := func(name string, s *stat) {
		if s != nil {
			fmt.Fprintf(&b, "%s avg %s/s peak %s/s\n", name, fmtBytes(int64(s.Avg)), fmtBytes(int64(s.Max)))
		}
	}
	rates("net in", u.NetIn)
	rates("net out", u.NetOut)
	rates("disk read", u.DiskRead)
	rates("disk write", u.DiskWrite)
	return strings.TrimRight(b.String(), "\n")
}

func resourceUsage(ctx context.Context, e *env, c *call, a *usageArgs) (*usageResult, error) {
	tf := a.Timeframe
	if tf == "" {
		tf = "hour"
	}
	var (
		points []pve.RRDPoint
		target string
		err    error
	)
	switch {
	case a.VMID != 0:
		r, rerr := e.resolve(ctx, c, guestArgs{vmidArg: vmidArg{VMID: a.VMID}, Node: a.Node})
		if rerr != nil {
			return nil, rerr
		}
		ref := r.Ref()
		target = viewLocated(r).ref()
		points, err = c.pve.RRDData(ctx, ref.Node, &ref, tf, "")
	case a.Node != "":
		target = "node " + a.Node
		points, err = c.pve.RRDData(ctx, a.Node, nil, tf, "")
	default:
		return nil, &ArgError{Problems: []string{"give vmid (a guest) or node (a node)"}, Valid: "vmid, node, timeframe"}
	}
	if err != nil {
		return nil, err
	}
	return summarize(target, tf, points), nil
}

// summarize folds RRD points into average, peak and latest per metric. A metric absent from every point (a
// stopped guest has only time and max*) is left out rather than reported as zero.
func summarize(target, tf string, points []pve.RRDPoint) *usageResult {
	u := &usageResult{Target: target, Timeframe: tf, Points: len(points)}
	for _, p := range points {
		if t, ok := p.Get("time"); ok {
			if u.From == 0 || int64(t) < u.From {
				u.From = int64(t)
			}
			u.To = max(u.To, int64(t))
		}
		if v, ok := p.Get("maxmem"); ok {
			u.MaxMem = int64(v)
		}
		if v, ok := p.Get("maxdisk"); ok {
			u.MaxDisk = int64(v)
		}
	}
	u.CPU = fold(points, "cpu", 100)
	u.Mem = fold(points, "mem", 1)
	u.Disk = fold(points, "disk", 1)
	u.NetIn = fold(points, "netin", 1)
	u.NetOut = fold(points, "netout", 1)
	u.DiskRead = fold(points, "diskread", 1)
	u.DiskWrite = fold(points, "diskwrite", 1)
	if u.Mem == nil {
		// Nodes report memory as memused/memtotal.
		u.Mem = fold(points, "memused", 1)
		if v, ok := lastOf(points, "memtotal"); ok {
			u.MaxMem = int64(v)
		}
	}
	if u.Disk == nil {
		u.Disk = fold(points, "rootused", 1)
		if v, ok := lastOf(points, "roottotal"); ok {
			u.MaxDisk = int64(v)
		}
	}
	return u
}

func fold(points []pve.RRDPoint, key string, scale float64) *stat {
	var s stat
	n := 0
	for _, p := range points {
		v, ok := p.Get(key)
		if !ok || math.IsNaN(v) {
			continue
		}
		v *= scale
		s.Avg += v
		s.Max = max(s.Max, v)
		s.Last = v
		n++
	}
	if n == 0 {
		return nil
	}
	s.Avg /= float64(n)
	s.Avg, s.Max, s.Last = round1(s.Avg), round1(s.Max), round1(s.Last)
	return &s
}

func lastOf(points []pve.RRDPoint, key string) (float64, bool) {
	for i := len(points) - 1; i >= 0; i-- {
		if v, ok := points[i].Get(key); ok {
			return v, true
		}
	}
	return 0, false
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }
