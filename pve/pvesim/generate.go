package pvesim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// GenSpec describes a generated cluster.
type GenSpec struct {
	Nodes  int   // node01, node02, …; at least one
	Guests int   // vmids 100, 101, …
	Seed   int64 // the same spec gives the same cluster
}

var (
	genRoles = []string{"web", "db", "cache", "api", "worker", "queue", "proxy", "mail", "ci", "git", "log", "metrics", "backup", "dns", "vpn", "build", "search", "auth"}
	genEnvs  = []string{"prod", "staging", "dev", "test"}
	genTags  = []string{"prod", "staging", "dev", "web", "db", "k8s", "monitoring", "backup", "internal", "legacy"}
	genCPUs  = []struct {
		model          string
		mhz            string
		sockets, cores int
		threads        int
		memGiB         int64
	}{
		{"AMD EPYC 7313P 16-Core Processor", "3000.000", 1, 16, 32, 256},
		{"Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz", "2000.000", 2, 32, 128, 512},
		{"AMD EPYC 9354 32-Core Processor", "3250.000", 1, 32, 64, 384},
		{"Intel(R) Xeon(R) Silver 4314 CPU @ 2.40GHz", "2400.000", 2, 16, 64, 256},
	}
)

// Generate builds a large cluster deterministically from its seed: nodes node01… with server CPUs, guests
// spread across them (about 70% VMs, 30% containers, 60% running, a few templates), tags, pools prod, dev
// and lab, the standard storages and a little task history. 16 nodes and 5,000 guests build in milliseconds.
func Generate(spec GenSpec) *Cluster {
	r := rand.New(rand.NewPCG(uint64(spec.Seed), 0x9e3779b97f4a7c15))
	nodes := max(spec.Nodes, 1)
	b := newBuilder(fmt.Sprintf("cluster-%d", spec.Seed&0xffff))
	for i := 1; i <= nodes; i++ {
		hw := genCPUs[r.IntN(len(genCPUs))]
		b.node(nodeSpec{
			name: fmt.Sprintf("node%02d", i), ip: fmt.Sprintf("10.10.%d.%d", i/250, 10+i%250),
			cpuModel: hw.model, mhz: hw.mhz, sockets: hw.sockets, cores: hw.cores, threads: hw.threads, memGiB: hw.memGiB,
			uptime: time.Duration(20+r.IntN(200))*day + time.Duration(r.IntN(86400))*time.Second,
		})
	}
	b.standardStorages(100861476864, 3_838_551_851_008, 64<<40, 21<<40)
	b.c.pools = []*pool{
		{id: "prod", comment: "Production services"},
		{id: "dev", comment: "Development and CI"},
		{id: "lab", comment: "Experiments"},
	}
	b.c.appliances = slices.Clone(standardAppliances)
	for _, n := range b.c.nodes {
		b.file(n.name, "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst", "vztmpl", "tzst", 126_390_341, 300*day)
		b.file(n.name, "local:vztmpl/ubuntu-24.04-standard_24.04-2_amd64.tar.zst", "vztmpl", "tzst", 141_826_875, 280*day)
		b.file(n.name, "local:iso/debian-13.1.0-amd64-netinst.iso", "iso", "iso", 783_286_272, 60*day)
	}

	for i := 0; i < spec.Guests; i++ {
		vmid := 100 + i
		n := b.c.nodes[r.IntN(nodes)]
		lxc := r.Float64() < 0.3
		template := !lxc && r.Float64() < 0.03
		running := !template && r.Float64() < 0.6
		name := fmt.Sprintf("%s-%s-%d", genEnvs[r.IntN(len(genEnvs))], genRoles[r.IntN(len(genRoles))], vmid)
		var tags []string
		for _, t := range genTags {
			if r.Float64() < 0.12 {
				tags = append(tags, t)
			}
		}
		cores := []string{"1", "2", "2", "4", "4", "8"}[r.IntN(6)]
		memory := []string{"512", "1024", "2048", "4096", "8192", "16384"}[r.IntN(6)]
		disk := []string{"8", "16", "32", "32", "64", "128"}[r.IntN(6)]
		var conf map[string]string
		if lxc {
			conf = map[string]string{
				"arch": "amd64", "cores": cores, "hostname": name, "memory": memory, "swap": "512",
				"net0":   "name=eth0,bridge=vmbr0,hwaddr=" + macFor(vmid, 0) + ",ip=dhcp,type=veth",
				"ostype": []string{"debian", "ubuntu", "alpine"}[r.IntN(3)], "unprivileged": "1",
				"rootfs": "local-lvm:subvol-" + strconv.Itoa(vmid) + "-disk-0,size=" + disk + "G",
			}
		} else {
			prefix := "vm"
			if template {
				prefix = "base"
			}
			conf = map[string]string{
				"boot": "order=scsi0;net0", "cores": cores, "cpu": "x86-64-v2-AES", "memory": memory, "name": name,
				"net0": "virtio=" + macFor(vmid, 0) + ",bridge=vmbr0", "ostype": "l26", "scsihw": "virtio-scsi-single",
				"scsi0":   "local-lvm:" + prefix + "-" + strconv.Itoa(vmid) + "-disk-0,iothread=1,size=" + disk + "G",
				"sockets": "1", "smbios1": "uuid=" + fakeUUID(int64(vmid), 32), "vmgenid": fakeUUID(int64(vmid), 31),
			}
			if template {
				conf["template"] = "1"
			}
			if r.Float64() < 0.5 {
				conf["agent"] = "1"
			}
		}
		if len(tags) > 0 {
			conf["tags"] = strings.Join(tags, ";")
		}
		if running && r.Float64() < 0.7 {
			conf["onboot"] = "1"
		}
		kind := "qemu"
		if lxc {
			kind = "lxc"
		}
		up := time.Duration(0)
		if running {
			maxUp := int64(epoch0.Sub(n.boot) / time.Second)
			up = time.Duration(60+r.Int64N(max(maxUp-60, 1))) * time.Second
		}
		g := b.guest(vmid, kind, n.name, running, up, conf)
		switch p := r.Float64(); {
		case p < 0.15:
			g.pool = "prod"
		case p < 0.25:
			g.pool = "dev"
		case p < 0.30:
			g.pool = "lab"
		}
		b.diskVolumes(g, time.Duration(30+r.IntN(700))*day)
		if r.Float64() < 0.05 {
			b.snapshot(g, "before-upgrade", "Before the last upgrade", time.Duration(1+r.IntN(60))*day, false)
		}
	}

	for _, n := range b.c.nodes {
		var local []int
		for _, g := range b.c.sortedGuests() {
			if g.node == n.name && g.running && len(local) < 3 {
				local = append(local, g.vmid)
			}
		}
		if len(local) > 0 {
			ids := make([]string, len(local))
			for i, id := range local {
				ids[i] = strconv.Itoa(id)
			}
			b.history(n.name, "vzdump", vzdumpTaskID(local), "root@pam", day+time.Duration(r.IntN(3600))*time.Second,
				time.Duration(60+r.IntN(600))*time.Second, taskOp{vmids: local, params: map[string]string{
					"vmid": strings.Join(ids, ","), "storage": "nas-backup", "mode": "snapshot", "compress": "zstd", "node": n.name,
				}})
		}
	}
	return b.c
}
