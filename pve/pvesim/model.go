package pvesim

import (
	"crypto/sha1"
	"encoding/hex"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Cluster is the state of a simulated Proxmox VE cluster: nodes, guests (QEMU VMs and LXC containers) with
// their status, configuration and snapshots, storages and their volumes, pools, and task history. Build one
// with Default or Generate and hand it to New; a Sim works on its own copy, so one Cluster can seed many.
//
// Times in a Cluster are relative: the moment New is called is "now", and uptimes, task history, backup and
// snapshot times lie before it, so a demo started at any date reads as recent.
type Cluster struct {
	name       string
	version    string // pve-manager version, "9.1.3"
	release    string // "9.1"
	repoID     string
	nodes      []*node
	guests     map[int]*guest
	storages   []*storage
	volumes    []*volume
	pools      []*pool
	tasks      []*task
	appliances []appliance
	ha         []*haResource       // HA resources, sorted by sid
	firewall   map[string]*ruleset // firewall rules by scope; security groups are "group/NAME"
}

// epoch0 is the instant a Cluster's relative times count from; New moves it to the clock's now.
var epoch0 = time.Unix(0, 0)

// ago is a Cluster time d before "now".
func ago(d time.Duration) time.Time { return epoch0.Add(-d) }

type node struct {
	name        string
	id          int
	ip          string
	online      bool
	cpuModel    string
	sockets     int
	cores       int // per socket
	cpus        int // logical threads
	mhz         string
	flags       string
	memTotal    int64
	swapTotal   int64
	rootTotal   int64
	rootUsed    int64
	boot        time.Time
	kernel      string // release, "6.17.2-1-pve"
	kernelBuild string // "#1 SMP PREEMPT_DYNAMIC PMX 6.17.2-1 (2025-10-21T11:55Z)"
	fingerprint string
	nextPID     int
}

type guest struct {
	vmid    int
	kind    string // qemu or lxc
	node    string
	running bool
	started time.Time
	pid     int
	pool    string
	conf    map[string]string // configuration keys as in /etc/pve/…/VMID.conf, values as text
	snaps   []*snapshot       // in creation order
	parent  string            // the snapshot the current state descends from
	busy    string            // UPID of a running task that holds the guest's config file lock

	// pending holds configuration changes a running VM takes only at its next boot (value "" with a key in
	// pendingDel: a pending delete); see config.go.
	pending    map[string]string
	pendingDel map[string]bool

	// Inside a VM, as its guest agent reports it (agent.go): the operating system (a key of guestSystems,
	// "" for the ostype's usual one), whether the agent is missing from the guest (then an enabled agent never
	// answers), and the processes started through agent exec whose status has not been collected.
	os       string
	noAgent  bool
	procs    map[int]*process
	nextProc int
}

type snapshot struct {
	name        string
	description string
	snaptime    time.Time
	parent      string
	vmstate     bool
	conf        map[string]string
}

type storage struct {
	id       string
	typ      string // dir, lvmthin, nfs
	content  string // "iso,vztmpl,backup"
	shared   bool
	path     string // mount point, for log lines
	total    int64  // capacity of each instance (per node, or the one shared)
	baseUsed int64  // space taken by things the simulator does not list
}

type volume struct {
	storage   string
	node      string // "" on a shared storage
	volid     string
	content   string // images, rootdir, iso, vztmpl, backup
	format    string
	size      int64
	vmid      int
	ctime     time.Time
	notes     string
	protected bool
	subtype   string // backups: qemu or lxc
}

type pool struct {
	id      string
	comment string
}

type appliance struct {
	template, pkg, version, os, section, headline, description, arch, sha512 string
}

// task is a worker as pveproxy forks it: a UPID, a log, and once done an exit status.
type task struct {
	upid   string
	node   string
	typ    string
	id     string
	user   string // as in the UPID: a token's full id, root@pam!mcp
	pid    int
	pstart int64
	start  time.Time
	end    time.Time // when it finishes; zero: never (until stopped)
	done   bool
	exit   string // exit status once done: OK, WARNINGS: N, or the error
	log    []string
	op     taskOp
}

// taskOp is what a task does when it finishes.
type taskOp struct {
	vmids  []int             // the guests it works on (vzdump: all of them)
	newID  int               // clone and create: the new guest
	snap   string            // snapshot name
	params map[string]string // the request's parameters
	fail   string            // known at submission: the task ends with this error
	lines  []string          // log lines written before the final one (history, known failures)
	conf   map[string]string // create and clone: the new guest's configuration
	vols   []*volume         // create and clone: the volumes the new guest gets
	// volKeys and volSources say, for each of vols, which config key it serves and (clone) what it copies.
	volKeys    []string
	volSources []string
	vzdump     *vzdumpPlan
	// lockName is the config lock the task set on its guests, removed again when it ends.
	lockName string
	// generic marks a task of an operation the simulator does not model: it runs and ends OK, nothing else.
	generic bool
}

// tokenUser splits a token id user@realm!name into its user and token name.
func tokenUser(id string) (user, name string) {
	u, n, ok := strings.Cut(id, "!")
	if !ok {
		return id, ""
	}
	return u, n
}

func (g *guest) name() string {
	if g.kind == "lxc" {
		return g.conf["hostname"]
	}
	return g.conf["name"]
}

func (g *guest) lock() string   { return g.conf["lock"] }
func (g *guest) template() bool { return g.conf["template"] == "1" }
func (g *guest) tags() string   { return g.conf["tags"] }
func (g *guest) noun() string   { return guestNoun(g.kind) }
func (g *guest) status() string { return map[bool]string{true: "running", false: "stopped"}[g.running] }

func guestNoun(kind string) string {
	if kind == "lxc" {
		return "CT"
	}
	return "VM"
}

func confPath(node, kind string, vmid int) string {
	dir := "qemu-server"
	if kind == "lxc" {
		dir = "lxc"
	}
	return "nodes/" + node + "/" + dir + "/" + strconv.Itoa(vmid) + ".conf"
}

// lockFile is the flock a busy guest's config is held under; a second writer times out on it.
func (g *guest) lockFile() string {
	if g.kind == "lxc" {
		return "/run/lock/lxc/pve-config-" + strconv.Itoa(g.vmid) + ".lock"
	}
	return "/var/lock/qemu-server/lock-" + strconv.Itoa(g.vmid) + ".conf"
}

// maxMem is the configured memory in bytes.
func (g *guest) maxMem() int64 {
	mem := g.conf["memory"]
	if g.kind == "qemu" {
		mem = strings.TrimPrefix(mem, "current=")
		if mem == "" {
			mem = "512"
		}
	} else if mem == "" {
		mem = "512"
	}
	mib, _ := strconv.ParseInt(mem, 10, 64)
	return mib << 20
}

func (g *guest) maxSwap() int64 {
	swap := g.conf["swap"]
	if swap == "" {
		swap = "512"
	}
	mib, _ := strconv.ParseInt(swap, 10, 64)
	return mib << 20
}

// maxCPU is the number of CPUs the guest may use; hostCPUs is the node's, the default for a container.
func (g *guest) maxCPU(hostCPUs int) int {
	atoi := func(key string, def int) int {
		if v, err := strconv.Atoi(g.conf[key]); err == nil && v > 0 {
			return v
		}
		return def
	}
	if g.kind == "lxc" {
		return atoi("cores", hostCPUs)
	}
	if v := atoi("vcpus", 0); v > 0 {
		return v
	}
	return atoi("sockets", 1) * atoi("cores", 1)
}

// numbered reports whether key is prefix followed by a number (net0, scsi12).
func numbered(key, prefix string) bool {
	rest, ok := strings.CutPrefix(key, prefix)
	if !ok || rest == "" {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if rest[i] < '0' || rest[i] > '9' {
			return false
		}
	}
	return true
}

// isUnusedKey: unusedN keys hold detached disks.
func isUnusedKey(key string) bool { return numbered(key, "unused") }

// isQemuDiskKey: the keys a VM's disks live under.
func isQemuDiskKey(key string) bool {
	return numbered(key, "scsi") || numbered(key, "virtio") || numbered(key, "sata") || numbered(key, "ide") ||
		key == "efidisk0" || key == "tpmstate0"
}

// isDiskKey: the keys whose value names a volume of the guest's (CD-ROMs are filtered by value).
func isDiskKey(kind, key string) bool {
	if isUnusedKey(key) {
		return true
	}
	if kind == "qemu" {
		return isQemuDiskKey(key)
	}
	return key == "rootfs" || numbered(key, "mp")
}

// disk is a volume a guest's configuration refers to.
type disk struct {
	key   string
	volid string
	size  int64
}

// disks lists the guest's volume-backed disks (CD-ROMs and pass-through paths excluded), in key order.
func (g *guest) disks() []disk {
	return confDisks(g.kind, g.conf)
}

func confDisks(kind string, conf map[string]string) []disk {
	var keys []string
	for k := range conf {
		if isDiskKey(kind, k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []disk
	for _, k := range keys {
		v := conf[k]
		if strings.Contains(v, "media=cdrom") {
			continue
		}
		volid, opts, _ := strings.Cut(v, ",")
		volid = strings.TrimPrefix(strings.TrimPrefix(volid, "file="), "volume=")
		if !strings.Contains(volid, ":") || strings.HasPrefix(volid, "/") {
			continue
		}
		d := disk{key: k, volid: volid}
		for _, o := range strings.Split(opts, ",") {
			if s, ok := strings.CutPrefix(o, "size="); ok {
				d.size, _ = parseSize(s)
			}
		}
		out = append(out, d)
	}
	return out
}

// maxDisk is what Proxmox reports as the guest's disk size: a container's rootfs, a VM's boot disk.
func (g *guest) maxDisk() int64 {
	disks := g.disks()
	if g.kind == "lxc" {
		for _, d := range disks {
			if d.key == "rootfs" {
				return d.size
			}
		}
		return 0
	}
	if order, ok := strings.CutPrefix(g.conf["boot"], "order="); ok {
		for _, k := range strings.Split(order, ";") {
			for _, d := range disks {
				if d.key == k {
					return d.size
				}
			}
		}
	}
	for _, d := range disks {
		if !isUnusedKey(d.key) && !strings.HasPrefix(d.key, "efidisk") && !strings.HasPrefix(d.key, "tpmstate") {
			return d.size
		}
	}
	return 0
}

// parseSize reads a disk-size ("32G", "512M", "1T", bytes without a unit).
func parseSize(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	mult := 1.0
	switch s[len(s)-1] {
	case 'K':
		mult = 1 << 10
	case 'M':
		mult = 1 << 20
	case 'G':
		mult = 1 << 30
	case 'T':
		mult = 1 << 40
	}
	if mult != 1 {
		s = s[:len(s)-1]
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 {
		return 0, false
	}
	return int64(f * mult), true
}

// formatSize writes a size the way PVE's format_size does (largest exact unit).
func formatSize(n int64) string {
	units := []string{"", "K", "M", "G", "T"}
	i := 0
	for i < len(units)-1 && n != 0 && n%1024 == 0 {
		n /= 1024
		i++
	}
	return strconv.FormatInt(n, 10) + units[i]
}

// digest is the SHA-1 of the configuration text, as PVE reports it to detect concurrent changes.
func confDigest(conf map[string]string) string {
	h := sha1.New()
	for _, k := range sortedKeys(conf) {
		h.Write([]byte(k + ": " + conf[k] + "\n"))
	}
	return hex.EncodeToString(h.Sum(nil))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// node returns the named node, or nil.
func (c *Cluster) node(name string) *node {
	for _, n := range c.nodes {
		if n.name == name {
			return n
		}
	}
	return nil
}

func (c *Cluster) storage(id string) *storage {
	for _, st := range c.storages {
		if st.id == id {
			return st
		}
	}
	return nil
}

func (c *Cluster) pool(id string) *pool {
	for _, p := range c.pools {
		if p.id == id {
			return p
		}
	}
	return nil
}

// sortedGuests lists guests by vmid.
func (c *Cluster) sortedGuests() []*guest {
	out := make([]*guest, 0, len(c.guests))
	for _, g := range c.guests {
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b *guest) int { return a.vmid - b.vmid })
	return out
}

func (st *storage) hasContent(ct string) bool {
	for _, c := range strings.Split(st.content, ",") {
		if c == ct {
			return true
		}
	}
	return false
}

// volumesOn lists the volumes of a storage as seen from a node.
func (c *Cluster) volumesOn(st *storage, nodeName string) []*volume {
	var out []*volume
	for _, v := range c.volumes {
		if v.storage == st.id && (st.shared || v.node == nodeName) {
			out = append(out, v)
		}
	}
	return out
}

// used is the space a storage instance has taken.
func (c *Cluster) used(st *storage, nodeName string) int64 {
	u := st.baseUsed
	for _, v := range c.volumesOn(st, nodeName) {
		switch {
		case v.content == "images" || v.content == "rootdir":
			u += v.size / 3 // thin provisioning: a volume uses a part of its size
		default:
			u += v.size
		}
	}
	if u > st.total {
		u = st.total
	}
	return u
}

func (c *Cluster) findVolume(volid, nodeName string) *volume {
	sid, _, _ := strings.Cut(volid, ":")
	st := c.storage(sid)
	if st == nil {
		return nil
	}
	for _, v := range c.volumes {
		if v.volid == volid && (st.shared || v.node == nodeName) {
			return v
		}
	}
	return nil
}

// clone makes a deep copy.
func (c *Cluster) clone() *Cluster {
	out := &Cluster{
		name: c.name, version: c.version, release: c.release, repoID: c.repoID,
		guests:     make(map[int]*guest, len(c.guests)),
		appliances: slices.Clone(c.appliances),
	}
	for _, n := range c.nodes {
		cp := *n
		out.nodes = append(out.nodes, &cp)
	}
	for id, g := range c.guests {
		cp := *g
		cp.conf = maps.Clone(g.conf)
		cp.pending, cp.pendingDel = maps.Clone(g.pending), maps.Clone(g.pendingDel)
		cp.procs = nil
		for pid, pr := range g.procs {
			if cp.procs == nil {
				cp.procs = map[int]*process{}
			}
			pc := *pr
			cp.procs[pid] = &pc
		}
		cp.snaps = nil
		for _, s := range g.snaps {
			sc := *s
			sc.conf = maps.Clone(s.conf)
			cp.snaps = append(cp.snaps, &sc)
		}
		out.guests[id] = &cp
	}
	for _, st := range c.storages {
		cp := *st
		out.storages = append(out.storages, &cp)
	}
	for _, v := range c.volumes {
		cp := *v
		out.volumes = append(out.volumes, &cp)
	}
	for _, p := range c.pools {
		cp := *p
		out.pools = append(out.pools, &cp)
	}
	for _, r := range c.ha {
		cp := *r
		cp.opts = maps.Clone(r.opts)
		out.ha = append(out.ha, &cp)
	}
	if c.firewall != nil {
		out.firewall = make(map[string]*ruleset, len(c.firewall))
		for scope, rs := range c.firewall {
			cp := &ruleset{comment: rs.comment}
			for _, r := range rs.rules {
				cp.rules = append(cp.rules, maps.Clone(r))
			}
			out.firewall[scope] = cp
		}
	}
	for _, t := range c.tasks {
		cp := *t
		cp.log = slices.Clone(t.log)
		cp.op.vmids = slices.Clone(t.op.vmids)
		cp.op.params = maps.Clone(t.op.params)
		cp.op.lines = slices.Clone(t.op.lines)
		cp.op.conf = maps.Clone(t.op.conf)
		cp.op.volKeys = slices.Clone(t.op.volKeys)
		cp.op.volSources = slices.Clone(t.op.volSources)
		cp.op.vols = nil
		for _, v := range t.op.vols {
			vc := *v
			cp.op.vols = append(cp.op.vols, &vc)
		}
		if t.op.vzdump != nil {
			vp := *t.op.vzdump
			vp.items = slices.Clone(t.op.vzdump.items)
			cp.op.vzdump = &vp
		}
		out.tasks = append(out.tasks, &cp)
	}
	return out
}

// shift moves every time in the cluster by d: New uses it to make relative times absolute.
func (c *Cluster) shift(d time.Duration) {
	mv := func(t *time.Time) {
		if !t.IsZero() {
			*t = t.Add(d)
		}
	}
	for _, n := range c.nodes {
		mv(&n.boot)
	}
	for _, g := range c.guests {
		mv(&g.started)
		for _, p := range g.procs {
			mv(&p.start)
		}
		for _, s := range g.snaps {
			mv(&s.snaptime)
		}
	}
	for _, v := range c.volumes {
		mv(&v.ctime)
	}
	for _, t := range c.tasks {
		mv(&t.start)
		mv(&t.end)
	}
}

// NodeNames lists the cluster's nodes in order.
func (c *Cluster) NodeNames() []string {
	out := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		out[i] = n.name
	}
	return out
}

// VMIDs lists every guest's vmid in ascending order.
func (c *Cluster) VMIDs() []int {
	out := make([]int, 0, len(c.guests))
	for id := range c.guests {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}
