package pvesim

import (
	"maps"
	"slices"
	"strconv"
	"strings"
)

// qemuVersion and machineType are what a running VM reports it runs on (PVE 9.1: QEMU 10.1).
const (
	qemuVersion = "10.1.2"
	machineType = "pc-i440fx-10.1+pve0"
)

// writeGuestCommon writes the fields guest lists and status/current share.
func (c *call) writeGuestCommon(w *jsonWriter, g *guest) {
	u := g.usage(c.now)
	w.Int("vmid", int64(g.vmid))
	if name := g.name(); name != "" {
		w.Str("name", name)
	}
	w.Str("status", g.status())
	w.Float("cpus", float64(g.maxCPU(c.n.cpus)))
	w.Float("cpu", u.cpu)
	w.Int("mem", u.mem)
	w.Int("maxmem", g.maxMem())
	w.Int("disk", u.disk)
	w.Int("maxdisk", g.maxDisk())
	w.Int("netin", u.netin)
	w.Int("netout", u.netout)
	w.Int("diskread", u.diskread)
	w.Int("diskwrite", u.diskwrite)
	w.Int("uptime", u.uptime)
	if g.kind == "lxc" {
		w.Str("type", "lxc")
		w.Int("maxswap", g.maxSwap())
		w.Int("swap", 0)
	}
	if g.running {
		w.Int("pid", int64(g.pid))
	}
	if t := g.tags(); t != "" {
		w.Str("tags", t)
	}
	if l := g.lock(); l != "" {
		w.Str("lock", l)
	}
	if g.template() {
		w.Bit("template", true)
	}
}

// visibleGuests lists the node's guests of the route's kind the token may see (VM.Audit), by vmid.
func (c *call) visibleGuests() []*guest {
	if !c.tok.has("VM.Audit") {
		return nil
	}
	var out []*guest
	for _, g := range c.s.c.sortedGuests() {
		if g.node == c.n.name && g.kind == c.kind {
			out = append(out, g)
		}
	}
	return out
}

func (c *call) guestList() (reply, *apiError) {
	var w jsonWriter
	w.OpenArr()
	for _, g := range c.visibleGuests() {
		w.Open()
		c.writeGuestCommon(&w, g)
		if g.kind == "qemu" && c.p["full"] == "1" {
			c.writeQemuRuntime(&w, g)
		}
		w.End()
	}
	w.EndArr()
	return reply{data: rawJSON(w.b)}, nil
}

// writeQemuRuntime adds what only QEMU's monitor knows.
func (c *call) writeQemuRuntime(w *jsonWriter, g *guest) {
	w.Str("qmpstatus", g.status())
	if g.running {
		w.Str("running-machine", machineType)
		w.Str("running-qemu", qemuVersion)
	}
}

func (c *call) guestStatus() (reply, *apiError) {
	g, err := c.guest()
	if err != nil {
		return reply{}, err
	}
	var w jsonWriter
	w.Open()
	c.writeGuestCommon(&w, g)
	w.Obj("ha")
	w.Bit("managed", false)
	w.End()
	if g.kind == "qemu" {
		c.writeQemuRuntime(&w, g)
		if agent := g.conf["agent"]; agent == "1" || strings.HasPrefix(agent, "1,") || strings.Contains(agent, "enabled=1") {
			w.Bit("agent", true)
		}
		if strings.HasPrefix(g.conf["vga"], "qxl") {
			w.Bit("spice", true)
		}
		if g.running {
			c.writeQemuDetails(&w, g)
		}
	}
	w.End()
	return reply{data: rawJSON(w.b)}, nil
}

// writeQemuDetails adds a running VM's balloon, block device and NIC statistics.
func (c *call) writeQemuDetails(w *jsonWriter, g *guest) {
	u := g.usage(c.now)
	maxmem := g.maxMem()
	if g.conf["balloon"] != "0" {
		free := maxmem - u.mem
		w.Int("balloon", maxmem)
		w.Int("balloon_min", maxmem)
		w.Int("freemem", free)
		w.Int("shares", 1000)
		w.Obj("ballooninfo")
		w.Int("actual", maxmem)
		w.Int("max_mem", maxmem)
		w.Int("total_mem", maxmem-maxmem/40)
		w.Int("free_mem", free)
		w.Int("last_update", c.now.Unix())
		w.Int("major_page_faults", int64(noise(int64(g.vmid), 20)*5000))
		w.Int("minor_page_faults", int64(noise(int64(g.vmid), 21)*5e6))
		w.Int("mem_swapped_in", 0)
		w.Int("mem_swapped_out", 0)
		w.End()
	}
	w.Obj("blockstat")
	disks := g.disks()
	for i, d := range disks {
		if isUnusedKey(d.key) || strings.HasPrefix(d.key, "efidisk") || strings.HasPrefix(d.key, "tpmstate") {
			continue
		}
		share := int64(len(disks) - i)
		w.Obj(d.key)
		w.Int("rd_bytes", u.diskread/share)
		w.Int("wr_bytes", u.diskwrite/share)
		w.Int("rd_operations", u.diskread/share/16384)
		w.Int("wr_operations", u.diskwrite/share/8192)
		w.Int("flush_operations", u.diskwrite/share/524288)
		w.Int("rd_total_time_ns", u.diskread/share*11)
		w.Int("wr_total_time_ns", u.diskwrite/share*43)
		w.Int("flush_total_time_ns", u.diskwrite/share*5)
		w.Int("idle_time_ns", int64(noise(int64(g.vmid), int64(i))*5e9))
		w.Int("failed_rd_operations", 0)
		w.Int("failed_wr_operations", 0)
		w.Int("failed_flush_operations", 0)
		w.Int("invalid_rd_operations", 0)
		w.Int("invalid_wr_operations", 0)
		w.Int("invalid_flush_operations", 0)
		w.Bool("account_failed", true)
		w.Bool("account_invalid", true)
		w.Int("wr_highest_offset", d.size/3)
		w.Int("rd_merged", 0)
		w.Int("wr_merged", 0)
		w.Int("unmap_bytes", 0)
		w.Int("unmap_operations", 0)
		w.Int("unmap_merged", 0)
		w.Int("unmap_total_time_ns", 0)
		w.Int("failed_unmap_operations", 0)
		w.Int("invalid_unmap_operations", 0)
		w.Arr("timed_stats")
		w.EndArr()
		w.End()
	}
	w.End()
	w.Obj("nics")
	for _, k := range sortedKeys(g.conf) {
		if rest, ok := strings.CutPrefix(k, "net"); ok && rest != "" && strings.Trim(rest, "0123456789") == "" {
			w.Obj("tap" + strconv.Itoa(g.vmid) + "i" + rest)
			w.Int("netin", u.netin)
			w.Int("netout", u.netout)
			w.End()
		}
	}
	w.End()
	w.Obj("proxmox-support")
	w.Bool("backup-fleecing", true)
	w.Bool("backup-max-workers", true)
	w.Bool("pbs-dirty-bitmap", true)
	w.Bool("pbs-dirty-bitmap-migration", true)
	w.Bool("pbs-dirty-bitmap-savevm", true)
	w.Str("pbs-library-version", "2.0.1 (UNKNOWN)")
	w.Bool("pbs-masterkey", true)
	w.Bool("query-bitmap-info", true)
	w.End()
}

// writeConfig writes a configuration with each key in the JSON type the schema gives it: PVE's parser turns
// integer and boolean keys into numbers, everything else (qemu's memory included) stays a string.
func writeConfig(w *jsonWriter, kind string, conf map[string]string) {
	for _, k := range sortedKeys(conf) {
		v := conf[k]
		switch configFieldType(kind, k) {
		case "integer", "boolean":
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				w.Int(k, n)
				continue
			}
		case "number":
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				w.Float(k, f)
				continue
			}
		}
		w.Str(k, v)
	}
}

func (c *call) guestConfig() (reply, *apiError) {
	g, err := c.guest()
	if err != nil {
		return reply{}, err
	}
	conf := g.configView(c.p["current"] == "1")
	if g.parent != "" {
		conf["parent"] = g.parent
	}
	if name, ok := c.p["snapshot"]; ok {
		snap := g.snapshot(name)
		if snap == nil {
			return reply{}, fail("snapshot '%s' does not exist", name)
		}
		conf = maps.Clone(snap.conf)
		if snap.parent != "" {
			conf["parent"] = snap.parent
		}
		conf["snaptime"] = strconv.FormatInt(snap.snaptime.Unix(), 10)
		if snap.vmstate {
			conf["vmstate"] = "1"
		}
	}
	var w jsonWriter
	w.Open()
	writeConfig(&w, g.kind, conf)
	w.Str("digest", confDigest(g.conf))
	w.End()
	return reply{data: rawJSON(w.b)}, nil
}

func (c *call) snapshotList() (reply, *apiError) {
	g, err := c.guest()
	if err != nil {
		return reply{}, err
	}
	snaps := slices.Clone(g.snaps)
	slices.SortStableFunc(snaps, func(a, b *snapshot) int { return a.snaptime.Compare(b.snaptime) })
	var w jsonWriter
	w.OpenArr()
	for _, s := range snaps {
		w.Open()
		w.Str("name", s.name)
		w.Str("description", s.description)
		w.Int("snaptime", s.snaptime.Unix())
		if s.parent != "" {
			w.Str("parent", s.parent)
		}
		if g.kind == "qemu" {
			w.Bit("vmstate", s.vmstate)
		}
		w.End()
	}
	w.Open()
	w.Str("name", "current")
	w.Str("description", "You are here!")
	w.Str("digest", confDigest(g.conf))
	w.Bit("running", g.running)
	if g.parent != "" {
		w.Str("parent", g.parent)
	}
	w.End()
	w.EndArr()
	return reply{data: rawJSON(w.b)}, nil
}

func (c *call) guestRRD() (reply, *apiError) {
	g, err := c.guest()
	if err != nil {
		return reply{}, err
	}
	var w jsonWriter
	g.rrd(&w, c.p["timeframe"], c.p["cf"], c.n.cpus, c.now)
	return reply{data: rawJSON(w.b)}, nil
}
