package pvesim

import (
	"fmt"
	"strings"
	"time"
)

// builder assembles a Cluster; Default and Generate use it.
type builder struct{ c *Cluster }

func newBuilder(name string) *builder {
	return &builder{c: &Cluster{
		name: name, version: "9.1.3", release: "9.1", repoID: "0ba4a3b0d7c2e6f1",
		guests: map[int]*guest{},
	}}
}

// fingerprint is a deterministic SHA-256-shaped certificate fingerprint, upper-case colon hex.
func fingerprint(seed int64) string {
	parts := make([]string, 32)
	for i := range parts {
		parts[i] = fmt.Sprintf("%02X", int(noise(seed, int64(i), 99)*256))
	}
	return strings.Join(parts, ":")
}

type nodeSpec struct {
	name     string
	ip       string
	cpuModel string
	mhz      string
	sockets  int
	cores    int
	threads  int
	memGiB   int64
	uptime   time.Duration
}

const cpuFlags = "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht syscall nx pdpe1gb rdtscp lm constant_tsc rep_good nopl xtopology nonstop_tsc cpuid pni pclmulqdq monitor ssse3 fma cx16 sse4_1 sse4_2 x2apic movbe popcnt aes xsave avx f16c rdrand lahf_lm abm 3dnowprefetch cpuid_fault ssbd ibrs ibpb stibp fsgsbase bmi1 avx2 smep bmi2 erms invpcid rdseed adx smap clflushopt clwb sha_ni xsaveopt xsavec xgetbv1 xsaves umip vaes vpclmulqdq rdpid md_clear flush_l1d arch_capabilities vmx"

func (b *builder) node(s nodeSpec) *node {
	id := len(b.c.nodes) + 1
	n := &node{
		name: s.name, id: id, ip: s.ip, online: true,
		cpuModel: s.cpuModel, mhz: s.mhz, sockets: s.sockets, cores: s.cores, cpus: s.threads, flags: cpuFlags,
		memTotal: s.memGiB<<30 - 412<<20, swapTotal: 8 << 30,
		rootTotal: 100861476864, rootUsed: int64(9+noise(int64(id), 40)*8) << 30,
		boot:        ago(s.uptime),
		kernel:      "6.17.2-1-pve",
		kernelBuild: "#1 SMP PREEMPT_DYNAMIC PMX 6.17.2-1 (2025-10-21T11:55Z)",
		fingerprint: fingerprint(int64(id) * 1009),
		nextPID:     int(900 + noise(int64(id), 41)*4000),
	}
	// daemons and guests started since boot have taken pids
	n.nextPID += int(s.uptime.Hours()) * 37
	b.c.nodes = append(b.c.nodes, n)
	return n
}

// storages adds the usual three: local (dir) and local-lvm (lvmthin) on every node, and a shared NFS store for
// backups.
func (b *builder) standardStorages(localTotal, lvmTotal, nasTotal, nasUsed int64) {
	b.c.storages = append(b.c.storages,
		&storage{id: "local", typ: "dir", content: "iso,vztmpl,backup", path: "/var/lib/vz", total: localTotal, baseUsed: 9 << 30},
		&storage{id: "local-lvm", typ: "lvmthin", content: "images,rootdir", path: "/dev/pve/data", total: lvmTotal},
		&storage{id: "nas-backup", typ: "nfs", content: "backup", shared: true, path: "/mnt/pve/nas-backup", total: nasTotal, baseUsed: nasUsed},
	)
}

// guest adds a guest; a running one started `up` ago (and got the node's next pid).
func (b *builder) guest(vmid int, kind, nodeName string, running bool, up time.Duration, conf map[string]string) *guest {
	g := &guest{vmid: vmid, kind: kind, node: nodeName, running: running, conf: conf}
	if running {
		g.started = ago(up)
		n := b.c.node(nodeName)
		n.nextPID += 1 + int(noise(int64(vmid), 42)*300)
		g.pid = n.nextPID
	}
	b.c.guests[vmid] = g
	return g
}

// diskVolumes registers the volumes a guest's configuration refers to, created `age` ago.
func (b *builder) diskVolumes(g *guest, age time.Duration) {
	for _, d := range g.disks() {
		sid, _, _ := strings.Cut(d.volid, ":")
		st := b.c.storage(sid)
		if st == nil {
			continue
		}
		v := &volume{storage: sid, volid: d.volid, content: "images", format: "raw", size: d.size, vmid: g.vmid, ctime: ago(age)}
		if g.kind == "lxc" {
			v.content = "rootdir"
		}
		if !st.shared {
			v.node = g.node
		}
		b.c.volumes = append(b.c.volumes, v)
	}
	// a cloud-init drive is a volume too, though it is a CD-ROM
	for _, k := range []string{"ide0", "ide2", "scsi1"} {
		if v := g.conf[k]; strings.Contains(v, "cloudinit") {
			volid, _, _ := strings.Cut(v, ",")
			b.c.volumes = append(b.c.volumes, &volume{storage: "local-lvm", node: g.node, volid: volid, content: "images",
				format: "raw", size: 4 << 20, vmid: g.vmid, ctime: ago(age)})
		}
	}
}

// file adds a file volume (ISO, template) on a node's local storage.
func (b *builder) file(nodeName, volid, content, format string, size int64, age time.Duration) {
	sid, _, _ := strings.Cut(volid, ":")
	b.c.volumes = append(b.c.volumes, &volume{storage: sid, node: nodeName, volid: volid, content: content, format: format, size: size, ctime: ago(age)})
}

// history records a past (or, with dur < 0, still running) task; New turns it into a real one.
func (b *builder) history(nodeName, typ, id, user string, age, dur time.Duration, op taskOp) {
	t := &task{node: nodeName, typ: typ, id: id, user: user, start: ago(age), op: op}
	if dur >= 0 {
		t.end = t.start.Add(dur)
	}
	b.c.tasks = append(b.c.tasks, t)
}

func (b *builder) snapshot(g *guest, name, description string, age time.Duration, vmstate bool) {
	conf := map[string]string{}
	for k, v := range g.conf {
		if k != "lock" {
			conf[k] = v
		}
	}
	g.snaps = append(g.snaps, &snapshot{name: name, description: description, snaptime: ago(age), parent: g.parent, vmstate: vmstate, conf: conf})
	g.parent = name
}

// standardAppliances are the templates aplinfo offers.
var standardAppliances = []appliance{
	{template: "alpine-3.22-default_20250617_amd64.tar.xz", pkg: "alpine-3.22-default", version: "20250617", os: "alpine",
		section: "system", headline: "Alpine Linux 3.22", description: "A small, simple and secure Linux distribution.", arch: "amd64"},
	{template: "debian-12-standard_12.12-1_amd64.tar.zst", pkg: "debian-12-standard", version: "12.12-1", os: "debian-12",
		section: "system", headline: "Debian 12 Bookworm (standard)", description: "A small Debian Bookworm system including all standard packages.", arch: "amd64"},
	{template: "debian-13-standard_13.1-2_amd64.tar.zst", pkg: "debian-13-standard", version: "13.1-2", os: "debian-13",
		section: "system", headline: "Debian 13 Trixie (standard)", description: "A small Debian Trixie system including all standard packages.", arch: "amd64"},
	{template: "rockylinux-9-default_20240912_amd64.tar.xz", pkg: "rockylinux-9-default", version: "20240912", os: "rockylinux-9",
		section: "system", headline: "Rocky Linux 9", description: "Rocky Linux 9 (default)", arch: "amd64"},
	{template: "ubuntu-24.04-standard_24.04-2_amd64.tar.zst", pkg: "ubuntu-24.04-standard", version: "24.04-2", os: "ubuntu-24.04",
		section: "system", headline: "Ubuntu 24.04 Noble (standard)", description: "A small Ubuntu 24.04 Noble Numbat system including all standard packages.", arch: "amd64"},
}

func init() {
	for i := range standardAppliances {
		a := &standardAppliances[i]
		var sb strings.Builder
		for j := 0; j < 128; j++ {
			fmt.Fprintf(&sb, "%x", int(noise(int64(i), int64(j), 55)*16))
		}
		a.sha512 = sb.String()
	}
}
