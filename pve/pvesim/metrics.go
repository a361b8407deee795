package pvesim

import (
	"math"
	"time"
)

// Usage figures are synthetic but plausible and deterministic: derived from the vmid (or node), the uptime and
// the minute, so two requests in the same minute agree and a test can rely on what it saw.

// guestUsage is what pvestatd would report for a guest now.
type guestUsage struct {
	cpu       float64 // fraction of the guest's CPUs
	mem       int64
	disk      int64
	netin     int64
	netout    int64
	diskread  int64
	diskwrite int64
	uptime    int64
}

func (g *guest) usage(now time.Time) guestUsage {
	if !g.running {
		return guestUsage{}
	}
	seed := int64(g.vmid)
	up := max(int64(now.Sub(g.started).Seconds()), 0)
	minute := now.Unix() / 60
	u := guestUsage{uptime: up}
	u.cpu = round6(0.004 + 0.22*noise(seed, minute, 1))
	maxmem := g.maxMem()
	u.mem = int64(float64(maxmem) * (0.22 + 0.5*noise(seed, 2) + 0.05*noise(seed, minute, 3)))
	if g.kind == "lxc" {
		u.disk = int64(float64(g.maxDisk()) * (0.12 + 0.45*noise(seed, 4)))
	}
	netRate := 800 + 120000*noise(seed, 5)
	u.netin = int64(float64(up) * netRate)
	u.netout = int64(float64(up) * netRate * (0.08 + 0.6*noise(seed, 6)))
	ioRate := 2000 + 400000*noise(seed, 7)
	u.diskread = int64(float64(up)*ioRate*0.3) + int64(float64(g.maxMem())*0.4)
	u.diskwrite = int64(float64(up) * ioRate * (0.2 + 0.5*noise(seed, 8)))
	return u
}

func round6(f float64) float64 { return math.Round(f*1e6) / 1e6 }

// nodeUsage is a node's live figures, from the guests running on it.
type nodeUsage struct {
	cpu      float64
	mem      int64
	rootUsed int64
	swapUsed int64
	uptime   int64
	loadavg  [3]float64
	iowait   float64
}

func (c *Cluster) nodeUsage(n *node, now time.Time) nodeUsage {
	seed := int64(n.id) * 7919
	minute := now.Unix() / 60
	u := nodeUsage{uptime: max(int64(now.Sub(n.boot).Seconds()), 0), rootUsed: n.rootUsed}
	mem := int64(float64(n.memTotal) * (0.06 + 0.03*noise(seed, 1)))
	cpu := 0.01 + 0.03*noise(seed, minute, 2)
	for _, g := range c.guests {
		if g.node != n.name || !g.running {
			continue
		}
		gu := g.usage(now)
		mem += gu.mem
		cpu += gu.cpu * float64(g.maxCPU(n.cpus)) / float64(max(n.cpus, 1))
	}
	u.mem = min(mem, n.memTotal*97/100)
	u.cpu = round6(min(cpu, 0.98))
	u.swapUsed = int64(float64(n.swapTotal) * 0.02 * noise(seed, 3))
	for i := range u.loadavg {
		u.loadavg[i] = math.Round(u.cpu*float64(n.cpus)*(0.8+0.4*noise(seed, minute, int64(10+i)))*100) / 100
	}
	u.iowait = round6(0.002 * noise(seed, minute, 4))
	return u
}

// rrdStep is the resolution of each RRD timeframe (about 70 points each; decade exists for nodes only).
func rrdStep(timeframe string) int64 {
	switch timeframe {
	case "day":
		return 30 * 60
	case "week":
		return 3 * 3600
	case "month":
		return 12 * 3600
	case "year":
		return 7 * 86400
	case "decade":
		return 30 * 86400
	}
	return 60 // hour
}

const rrdPoints = 70

// rrdTimes are the point times of a timeframe, oldest first, aligned to the step.
func rrdTimes(timeframe string, now time.Time) []int64 {
	step := rrdStep(timeframe)
	last := now.Unix() / step * step
	out := make([]int64, rrdPoints)
	for i := range out {
		out[i] = last - int64(rrdPoints-1-i)*step
	}
	return out
}

// guestRRD writes a guest's points. Where the guest was not running only time and the max* fields (and a disk
// of 0, as real captures show) are present; rates are bytes per second.
func (g *guest) rrd(w *jsonWriter, timeframe, cf string, hostCPUs int, now time.Time) {
	step := rrdStep(timeframe)
	seed := int64(g.vmid)
	peak := 1.0
	if cf == "MAX" {
		peak = 1.35
	}
	maxcpu, maxmem, maxdisk := g.maxCPU(hostCPUs), g.maxMem(), g.maxDisk()
	w.OpenArr()
	for _, t := range rrdTimes(timeframe, now) {
		w.Open()
		w.Int("time", t)
		w.Int("maxcpu", int64(maxcpu))
		w.Int("maxmem", maxmem)
		w.Int("maxdisk", maxdisk)
		if !g.running || t < g.started.Unix()-step {
			w.Int("disk", 0)
			w.End()
			continue
		}
		n := func(i int64) float64 { return noise(seed, t, i) }
		disk := int64(0)
		if g.kind == "lxc" {
			disk = int64(float64(maxdisk) * (0.12 + 0.45*noise(seed, 4)))
		}
		w.Float("cpu", round6(min((0.004+0.22*n(1))*peak, 1)))
		w.Float("mem", math.Round(float64(maxmem)*(0.22+0.5*noise(seed, 2))*(0.95+0.1*n(3))*min(peak, 1.1)))
		w.Int("disk", disk)
		w.Float("netin", round6((800+120000*noise(seed, 5))*(0.5+n(5))*peak))
		w.Float("netout", round6((800+120000*noise(seed, 5))*(0.08+0.6*noise(seed, 6))*(0.5+n(6))*peak))
		w.Float("diskread", round6((2000+400000*noise(seed, 7))*0.3*(0.2+1.6*n(7))*peak))
		w.Float("diskwrite", round6((2000+400000*noise(seed, 7))*(0.2+0.5*noise(seed, 8))*(0.2+1.6*n(8))*peak))
		w.End()
	}
	w.EndArr()
}

// nodeRRD writes a node's points (PVE's node RRD fields); an offline period has only the time.
func (c *Cluster) nodeRRD(w *jsonWriter, n *node, timeframe, cf string, now time.Time) {
	seed := int64(n.id) * 7919
	peak := 1.0
	if cf == "MAX" {
		peak = 1.35
	}
	base := c.nodeUsage(n, now)
	w.OpenArr()
	for _, t := range rrdTimes(timeframe, now) {
		w.Open()
		w.Int("time", t)
		if t < n.boot.Unix() {
			w.End()
			continue
		}
		v := func(i int64) float64 { return 0.85 + 0.3*noise(seed, t, i) }
		memUsed := min(float64(base.mem)*v(2)*min(peak, 1.05), float64(n.memTotal))
		w.Float("cpu", round6(min(base.cpu*v(1)*peak, 1)))
		w.Int("maxcpu", int64(n.cpus))
		w.Float("iowait", round6(base.iowait*v(3)*peak))
		w.Float("loadavg", math.Round(base.loadavg[0]*v(4)*peak*100)/100)
		w.Int("memtotal", n.memTotal)
		w.Float("memused", math.Round(memUsed))
		w.Float("memavailable", math.Round(float64(n.memTotal)-memUsed))
		w.Int("swaptotal", n.swapTotal)
		w.Int("swapused", base.swapUsed)
		w.Int("roottotal", n.rootTotal)
		w.Int("rootused", n.rootUsed)
		w.Float("netin", round6((20000+300000*noise(seed, 5))*v(5)*peak))
		w.Float("netout", round6((15000+200000*noise(seed, 6))*v(6)*peak))
		w.End()
	}
	w.EndArr()
}
