package pvesim

import (
	"fmt"
	"sort"

	"github.com/proxmox-mcp/proxmox-mcp/pve/schema"
)

func (c *call) nodeStatus() (reply, *apiError) {
	n := c.n
	u := c.s.c.nodeUsage(n, c.now)
	var w jsonWriter
	w.Open()
	w.Int("uptime", u.uptime)
	w.Int("idle", 0)
	w.Float("wait", u.iowait)
	w.Float("cpu", u.cpu)
	w.Arr("loadavg")
	for _, l := range u.loadavg {
		w.StrElem(fmt.Sprintf("%.2f", l)) // strings, as PVE sends them
	}
	w.EndArr()
	w.Str("kversion", "Linux "+n.kernel+" "+n.kernelBuild)
	w.Obj("current-kernel")
	w.Str("sysname", "Linux")
	w.Str("release", n.kernel)
	w.Str("version", n.kernelBuild)
	w.Str("machine", "x86_64")
	w.End()
	w.Obj("boot-info")
	w.Str("mode", "efi")
	w.Bit("secureboot", false)
	w.End()
	w.Obj("cpuinfo")
	w.Str("model", n.cpuModel)
	w.Int("sockets", int64(n.sockets))
	w.Int("cores", int64(n.cores))
	w.Int("cpus", int64(n.cpus))
	w.Str("mhz", n.mhz)
	w.Str("hvm", "1")
	w.Int("user_hz", 100)
	w.Str("flags", n.flags)
	w.End()
	w.Obj("memory")
	w.Int("total", n.memTotal)
	w.Int("used", u.mem)
	w.Int("free", n.memTotal-u.mem)
	w.Int("available", n.memTotal-u.mem*9/10)
	w.End()
	w.Obj("swap")
	w.Int("total", n.swapTotal)
	w.Int("used", u.swapUsed)
	w.Int("free", n.swapTotal-u.swapUsed)
	w.End()
	w.Obj("rootfs")
	w.Int("total", n.rootTotal)
	w.Int("used", n.rootUsed)
	w.Int("free", n.rootTotal-n.rootUsed)
	w.Int("avail", (n.rootTotal-n.rootUsed)*95/100)
	w.End()
	w.Obj("ksm")
	w.Int("shared", 0)
	w.End()
	w.Str("pveversion", "pve-manager/"+c.s.c.version+"/"+c.s.c.repoID)
	w.End()
	return reply{data: rawJSON(w.b)}, nil
}

func (c *call) nodeRRD() (reply, *apiError) {
	var w jsonWriter
	c.s.c.nodeRRD(&w, c.n, c.p["timeframe"], c.p["cf"], c.now)
	return reply{data: rawJSON(w.b)}, nil
}

func (c *call) aplinfo() (reply, *apiError) {
	var w jsonWriter
	w.OpenArr()
	for _, a := range c.s.c.appliances {
		w.Open()
		w.Str("template", a.template)
		w.Str("package", a.pkg)
		w.Str("version", a.version)
		w.Str("os", a.os)
		w.Str("section", a.section)
		w.Str("headline", a.headline)
		w.Str("description", a.description)
		w.Str("type", "lxc")
		w.Str("architecture", a.arch)
		w.Str("location", a.section+"/"+a.template)
		w.Str("source", "http://download.proxmox.com/images/"+a.section+"/"+a.template)
		w.Str("maintainer", "Proxmox Support Team <support@proxmox.com>")
		w.Str("infopage", "https://pve.proxmox.com/wiki/Linux_Container#pct_supported_distributions")
		w.Str("sha512sum", a.sha512)
		w.End()
	}
	w.EndArr()
	return reply{data: rawJSON(w.b)}, nil
}

// storageFormats is what GET …/storage?format=1 reports per storage type.
func storageFormats(typ string) (def string, supported []string) {
	if typ == "lvmthin" {
		return "raw", []string{"raw"}
	}
	return "qcow2", []string{"qcow2", "raw", "vmdk"}
}

func (c *call) storages() (reply, *apiError) {
	cl := c.s.c
	want := schema.SplitList(c.p["content"])
	var w jsonWriter
	w.OpenArr()
	for _, st := range cl.storages {
		if !c.canSeeStorage() {
			continue
		}
		if id, ok := c.p["storage"]; ok && id != st.id {
			continue
		}
		if tgt, ok := c.p["target"]; ok && tgt != c.n.name && !st.shared {
			continue
		}
		match := len(want) == 0
		for _, ct := range want {
			match = match || st.hasContent(ct)
		}
		if !match {
			continue
		}
		used := cl.used(st, c.n.name)
		w.Open()
		w.Str("storage", st.id)
		w.Str("type", st.typ)
		w.Str("content", st.content)
		w.Bit("active", true)
		w.Bit("enabled", true)
		w.Bit("shared", st.shared)
		w.Int("total", st.total)
		w.Int("used", used)
		w.Int("avail", st.total-used)
		w.Float("used_fraction", round6(float64(used)/float64(max(st.total, 1))))
		if c.p["format"] == "1" {
			def, sup := storageFormats(st.typ)
			w.Obj("formats")
			w.Str("default", def)
			w.Arr("supported")
			for _, f := range sup {
				w.StrElem(f)
			}
			w.EndArr()
			w.End()
		}
		w.End()
	}
	w.EndArr()
	return reply{data: rawJSON(w.b)}, nil
}

func (c *call) storageContent() (reply, *apiError) {
	cl := c.s.c
	st := cl.storage(c.p["storage"])
	if st == nil {
		return reply{}, fail("storage '%s' does not exist", c.p["storage"])
	}
	vols := cl.volumesOn(st, c.n.name)
	sort.SliceStable(vols, func(i, j int) bool {
		if vols[i].content != vols[j].content {
			return vols[i].content < vols[j].content
		}
		return vols[i].volid < vols[j].volid
	})
	content, vmid := c.p["content"], c.intParam("vmid", 0)
	var w jsonWriter
	w.OpenArr()
	for _, v := range vols {
		if content != "" && v.content != content {
			continue
		}
		if vmid != 0 && v.vmid != vmid {
			continue
		}
		w.Open()
		w.Str("volid", v.volid)
		w.Str("content", v.content)
		w.Str("format", v.format)
		w.Int("size", v.size)
		if v.vmid != 0 {
			w.Int("vmid", int64(v.vmid))
		}
		if !v.ctime.IsZero() {
			w.Int("ctime", v.ctime.Unix())
		}
		if v.notes != "" {
			w.Str("notes", firstLine(v.notes))
		}
		if v.protected {
			w.Bit("protected", true)
		}
		if v.subtype != "" {
			w.Str("subtype", v.subtype)
		}
		if v.content == "images" || v.content == "rootdir" {
			w.Int("used", v.size/3)
		}
		w.End()
	}
	w.EndArr()
	return reply{data: rawJSON(w.b)}, nil
}
