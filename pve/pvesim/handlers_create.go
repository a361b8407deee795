package pvesim

import (
	"fmt"
	"maps"
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp/pve/internal/lazyre"
)

// macFor is a deterministic MAC in Proxmox's OUI (BC:24:11), unique per guest and NIC.
func macFor(vmid, nic int) string {
	x := uint64(noise(int64(vmid), int64(nic), 77) * (1 << 24))
	return fmt.Sprintf("BC:24:11:%02X:%02X:%02X", byte(x>>16), byte(x>>8), byte(x))
}

// newAllocRE is a disk given as STORAGE:SIZE (GiB): a volume to allocate.
var newAllocRE = &lazyre.Regexp{Src: `(?i)^([a-z][a-z0-9\-_.]*[a-z0-9]):(\d+(?:\.\d+)?)$`}

// allocator hands out new volumes for one guest, numbering disks as PVE does (vm-VMID-disk-N).
type allocator struct {
	c       *call
	vmid    int
	kind    string
	nodeN   string
	pending []*volume
	keys    []string // the config key of each pending volume
	sources []string // the volume each pending one copies (clone), "" when new
}

func (a *allocator) checkStorage(id string) (*storage, *apiError) {
	st := a.c.s.c.storage(id)
	if st == nil {
		return nil, fail("storage '%s' does not exist", id)
	}
	if a.kind == "lxc" && !st.hasContent("rootdir") {
		return nil, badParam("storage", fmt.Sprintf("storage '%s' does not support container directories", id))
	}
	if a.kind == "qemu" && !st.hasContent("images") {
		return nil, fail("storage '%s' does not support vm images", id)
	}
	if err := a.c.tok.need("/storage/"+id, "Datastore.AllocateSpace"); err != nil {
		return nil, err
	}
	return st, nil
}

// name picks the next free disk name on a storage.
func (a *allocator) name(st *storage, special string) string {
	prefix := "vm"
	if a.kind == "lxc" {
		prefix = "subvol"
	}
	if special != "" {
		return fmt.Sprintf("vm-%d-%s", a.vmid, special)
	}
	for i := 0; ; i++ {
		volid := fmt.Sprintf("%s:%s-%d-disk-%d", st.id, prefix, a.vmid, i)
		if a.c.s.c.findVolume(volid, a.nodeN) != nil {
			continue
		}
		used := false
		for _, v := range a.pending {
			used = used || v.volid == volid
		}
		if !used {
			return volid[len(st.id)+1:]
		}
	}
}

// newVolume allocates size bytes on storage st for config key (copying source, for a clone) and returns its
// volid.
func (a *allocator) newVolume(st *storage, size int64, key, special, source string) string {
	volid := st.id + ":" + a.name(st, special)
	v := &volume{storage: st.id, volid: volid, content: "images", format: "raw", size: size, vmid: a.vmid, ctime: a.c.now}
	if a.kind == "lxc" {
		v.content = "rootdir"
	}
	if !st.shared {
		v.node = a.nodeN
	}
	a.pending = append(a.pending, v)
	a.keys = append(a.keys, key)
	a.sources = append(a.sources, source)
	return volid
}

// allocateParam turns a create parameter "STORAGE:SIZE[,opts]" into "STORAGE:NAME[,opts],size=SIZE" with a new
// volume; anything else (an existing volume, a CD-ROM, none) is kept as given.
func (a *allocator) allocateParam(key, value string) (string, *apiError) {
	first, opts, _ := strings.Cut(value, ",")
	first = strings.TrimPrefix(strings.TrimPrefix(first, "file="), "volume=")
	m := newAllocRE.FindStringSubmatch(first)
	if m == nil {
		return value, nil
	}
	st, err := a.checkStorage(m[1])
	if err != nil {
		return "", err
	}
	gib, _ := strconv.ParseFloat(m[2], 64)
	size := int64(gib * (1 << 30))
	switch {
	case strings.HasPrefix(key, "efidisk"):
		size = 4 << 20
	case strings.HasPrefix(key, "tpmstate"):
		size = 4 << 20
	}
	volid := a.newVolume(st, size, key, "", "")
	out := volid
	if opts != "" {
		var kept []string
		for _, o := range strings.Split(opts, ",") {
			if !strings.HasPrefix(o, "size=") {
				kept = append(kept, o)
			}
		}
		if len(kept) > 0 {
			out += "," + strings.Join(kept, ",")
		}
	}
	return out + ",size=" + formatSize(size), nil
}

// vmidTaken is the check PVE makes before creating a guest.
func (c *call) vmidTaken(vmid int) (*guest, bool) {
	g, ok := c.s.c.guests[vmid]
	return g, ok
}

// createVM is POST /nodes/{node}/qemu.
func (c *call) createVM() (reply, *apiError) {
	vmid := c.vmid()
	pool := c.p["pool"]
	if err := c.poolOf(pool); err != nil {
		return reply{}, err
	}
	if !c.tok.has("VM.Allocate") {
		return reply{}, forbidden("/vms/"+strconv.Itoa(vmid), "VM.Allocate")
	}
	if _, ok := c.p["archive"]; ok {
		return reply{}, fail("pvesim: restoring from a backup archive is not simulated")
	}
	if g, ok := c.vmidTaken(vmid); ok {
		return reply{}, fail("unable to create VM %d - %s %d already exists on node '%s'", vmid, g.noun(), vmid, g.node)
	}
	a := &allocator{c: c, vmid: vmid, kind: "qemu", nodeN: c.n.name}
	conf := map[string]string{}
	skip := map[string]bool{"node": true, "vmid": true, "start": true, "pool": true, "storage": true, "force": true,
		"unique": true, "archive": true, "live-restore": true, "bwlimit": true, "ha-managed": true, "import-working-storage": true}
	for _, k := range sortedKeys(c.p) {
		if skip[k] {
			continue
		}
		v := c.p[k]
		if isQemuDiskKey(k) {
			var err *apiError
			if v, err = a.allocateParam(k, v); err != nil {
				return reply{}, err
			}
		}
		if strings.HasPrefix(k, "net") {
			v = withQemuMAC(v, vmid, k)
		}
		conf[k] = v
	}
	conf["vmgenid"] = fakeUUID(int64(vmid), 31)
	conf["smbios1"] = "uuid=" + fakeUUID(int64(vmid), 32)
	conf["meta"] = fmt.Sprintf("creation-qemu=%s,ctime=%d", qemuVersion, c.now.Unix())
	g := &guest{vmid: vmid, kind: "qemu", node: c.n.name, pool: pool, conf: map[string]string{}}
	c.s.c.guests[vmid] = g
	op := taskOp{newID: vmid, params: c.p, conf: conf, vols: a.pending, volKeys: a.keys, volSources: a.sources}
	t := c.s.newTask(c.n.name, "qmcreate", strconv.Itoa(vmid), c.user(), c.now, op, "create")
	return reply{data: t.upid}, nil
}

var netNumRE = &lazyre.Regexp{Src: `\d+$`}

func nicIndex(key string) int {
	n, _ := strconv.Atoi(netNumRE.FindString(key))
	return n
}

// withQemuMAC gives a VM NIC without a MAC one ("virtio,bridge=vmbr0" becomes "virtio=BC:24:11:…,bridge=…").
func withQemuMAC(v string, vmid int, key string) string {
	first, rest, _ := strings.Cut(v, ",")
	model := strings.TrimPrefix(first, "model=")
	if strings.Contains(first, "=") && !strings.HasPrefix(first, "model=") {
		return v
	}
	out := model + "=" + macFor(vmid, nicIndex(key))
	if rest != "" {
		out += "," + rest
	}
	return out
}

// withCTMAC gives a container NIC a hwaddr when it has none.
func withCTMAC(v string, vmid int, key string) string {
	if strings.Contains(v, "hwaddr=") {
		return v
	}
	return v + ",hwaddr=" + macFor(vmid, nicIndex(key))
}

// ostypeOf guesses the OS type from a template name, as pct does from the template's contents.
func ostypeOf(template string) string {
	_, file, _ := strings.Cut(template, "/")
	for _, os := range []string{"debian", "ubuntu", "alpine", "centos", "fedora", "archlinux", "opensuse", "devuan", "gentoo", "nixos"} {
		if strings.HasPrefix(file, os) {
			return os
		}
	}
	return "unmanaged"
}

// createCT is POST /nodes/{node}/lxc.
func (c *call) createCT() (reply, *apiError) {
	vmid := c.vmid()
	if g, ok := c.vmidTaken(vmid); ok {
		return reply{}, fail("%s %d already exists on node '%s'", g.noun(), vmid, g.node)
	}
	if c.p["restore"] == "1" {
		return reply{}, fail("pvesim: restoring from a backup archive is not simulated")
	}
	unprivileged := c.p["unprivileged"] != "0"
	if !unprivileged {
		if err := c.tok.need("/", "Sys.Modify"); err != nil {
			return reply{}, err
		}
	}
	pool := c.p["pool"]
	if err := c.poolOf(pool); err != nil {
		return reply{}, err
	}
	if !c.tok.has("VM.Allocate") {
		return reply{}, forbidden("/vms/"+strconv.Itoa(vmid), "VM.Allocate")
	}
	tmpl := c.p["ostemplate"]
	sid, _, _ := strings.Cut(tmpl, ":")
	if st := c.s.c.storage(sid); st == nil || !strings.Contains(tmpl, ":") {
		if !strings.Contains(tmpl, ":") {
			return reply{}, fail("can't find file '%s'", tmpl)
		}
		return reply{}, fail("storage '%s' does not exist", sid)
	}
	if err := c.tok.needAny("/storage/"+sid, "Datastore.AllocateSpace", "Datastore.Audit"); err != nil {
		return reply{}, err
	}
	if v := c.s.c.findVolume(tmpl, c.n.name); v == nil || v.content != "vztmpl" {
		return reply{}, fail("can't find file '%s'", tmpl)
	}
	a := &allocator{c: c, vmid: vmid, kind: "lxc", nodeN: c.n.name}
	defStorage := c.p["storage"]
	if defStorage == "" {
		defStorage = "local"
	}
	if _, ok := c.p["rootfs"]; !ok {
		c.p = maps.Clone(c.p)
		c.p["rootfs"] = defStorage + ":4" // pct's default: 4 GiB on the default storage
	}
	conf := map[string]string{"arch": "amd64", "ostype": ostypeOf(tmpl), "hostname": "CT" + strconv.Itoa(vmid),
		"memory": "512", "swap": "512"}
	if unprivileged {
		conf["unprivileged"] = "1"
	}
	skip := map[string]bool{"node": true, "vmid": true, "start": true, "pool": true, "storage": true, "force": true,
		"unique": true, "restore": true, "bwlimit": true, "ha-managed": true, "ostemplate": true, "password": true,
		"ssh-public-keys": true, "ignore-unpack-errors": true, "unprivileged": true}
	for _, k := range sortedKeys(c.p) {
		if skip[k] {
			continue
		}
		v := c.p[k]
		if k == "rootfs" || strings.HasPrefix(k, "mp") {
			first, _, _ := strings.Cut(v, ",")
			if _, err := strconv.ParseFloat(first, 64); err == nil {
				v = defStorage + ":" + v // a bare number is GiB on the default storage
			}
			var err *apiError
			if v, err = a.allocateParam(k, v); err != nil {
				return reply{}, err
			}
		}
		if strings.HasPrefix(k, "net") {
			v = withCTMAC(v, vmid, k)
		}
		conf[k] = v
	}
	g := &guest{vmid: vmid, kind: "lxc", node: c.n.name, pool: pool, conf: map[string]string{}}
	c.s.c.guests[vmid] = g
	op := taskOp{newID: vmid, params: c.p, conf: conf, vols: a.pending, volKeys: a.keys, volSources: a.sources}
	t := c.s.newTask(c.n.name, "vzcreate", strconv.Itoa(vmid), c.user(), c.now, op, "create")
	return reply{data: t.upid}, nil
}

// clone copies a guest (or one of its snapshots) to a new vmid. Linked clones exist only of templates; a
// clone to another node needs shared storage, which this cluster does not have for disks.
func (c *call) clone() (reply, *apiError) {
	src, err := c.guest()
	if err != nil {
		return reply{}, err
	}
	newID := c.intParam("newid", 0)
	target := c.n.name
	if t, ok := c.p["target"]; ok {
		if c.s.c.node(t) == nil {
			return reply{}, fail("no such cluster node '%s'", t)
		}
		target = t
	}
	if g, ok := c.vmidTaken(newID); ok {
		if g.node == target {
			return reply{}, fail("unable to create %s %d: config file already exists", src.noun(), newID)
		}
		return reply{}, fail("%s %d already exists on node '%s'", g.noun(), newID, g.node)
	}
	if err := c.poolOf(c.p["pool"]); err != nil {
		return reply{}, err
	}
	conf := src.conf
	if name, ok := c.p["snapname"]; ok {
		snap := src.snapshot(name)
		if snap == nil {
			return reply{}, fail("snapshot '%s' does not exist", name)
		}
		conf = snap.conf
	}
	full := !src.template()
	if v, ok := c.p["full"]; ok {
		full = v == "1"
	}
	disks := confDisks(src.kind, conf)
	if !full && !src.template() && len(disks) > 0 {
		return reply{}, fail("Linked clone feature is not supported for drive '%s'", disks[0].key)
	}
	if target != src.node {
		return reply{}, fail("can't clone %s to node '%s' (%s uses local storage)", src.noun(), target, src.noun())
	}
	if src.kind == "lxc" && full && src.running && c.p["snapname"] == "" {
		return reply{}, fail("Cannot do full clones on a running container without snapshots")
	}
	if err := writable(src); err != nil {
		return reply{}, err
	}
	newConf := maps.Clone(conf)
	for _, k := range []string{"lock", "template", "parent", "snaptime", "vmstate"} {
		delete(newConf, k)
	}
	a := &allocator{c: c, vmid: newID, kind: src.kind, nodeN: target}
	params := maps.Clone(c.p)
	for _, d := range disks {
		if isUnusedKey(d.key) {
			delete(newConf, d.key)
			continue
		}
		sid, _, _ := strings.Cut(d.volid, ":")
		if s, ok := c.p["storage"]; ok && full {
			sid = s
		}
		st, err := a.checkStorage(sid)
		if err != nil {
			return reply{}, err
		}
		volid := a.newVolume(st, d.size, d.key, "", d.volid)
		newConf[d.key] = strings.Replace(newConf[d.key], d.volid, volid, 1)
	}
	// the cloud-init drive is a CD-ROM, but a volume of its own that the clone gets a copy of
	for _, k := range sortedKeys(newConf) {
		v := newConf[k]
		if !strings.Contains(v, "cloudinit") || !strings.Contains(v, "media=cdrom") {
			continue
		}
		old, _, _ := strings.Cut(v, ",")
		sid, _, _ := strings.Cut(old, ":")
		st := c.s.c.storage(sid)
		if st == nil {
			continue
		}
		volid := a.newVolume(st, 4<<20, k, "cloudinit", old)
		newConf[k] = strings.Replace(v, old, volid, 1)
	}
	if !full {
		params["_linked"] = "1"
	}
	for _, k := range sortedKeys(newConf) {
		if rest, ok := strings.CutPrefix(k, "net"); ok && rest != "" && strings.Trim(rest, "0123456789") == "" {
			newConf[k] = reMAC(src.kind, newConf[k], newID, k)
		}
	}
	if src.kind == "qemu" {
		if name := c.p["name"]; name != "" {
			newConf["name"] = name
		} else {
			newConf["name"] = "Copy-of-VM-" + src.name()
		}
		newConf["vmgenid"] = fakeUUID(int64(newID), 31)
		newConf["smbios1"] = "uuid=" + fakeUUID(int64(newID), 32)
	} else if h := c.p["hostname"]; h != "" {
		newConf["hostname"] = h
	}
	if d, ok := c.p["description"]; ok {
		newConf["description"] = d
	}
	g := &guest{vmid: newID, kind: src.kind, node: target, pool: c.p["pool"], conf: map[string]string{}, os: src.os}
	c.s.c.guests[newID] = g
	op := taskOp{vmids: []int{src.vmid}, newID: newID, params: params, conf: newConf, vols: a.pending,
		volKeys: a.keys, volSources: a.sources}
	t := c.s.newTask(c.n.name, taskType(src.kind, "clone"), strconv.Itoa(src.vmid), c.user(), c.now, op, "clone")
	return reply{data: t.upid}, nil
}

var macInValueRE = &lazyre.Regexp{Src: `(?i)([0-9a-f]{2}:){5}[0-9a-f]{2}`}

// reMAC gives a cloned NIC a new MAC address, as a clone does.
func reMAC(kind, v string, vmid int, key string) string {
	mac := macFor(vmid, nicIndex(key))
	if macInValueRE.MatchString(v) {
		return macInValueRE.ReplaceAllLiteralString(v, mac)
	}
	if kind == "lxc" {
		return withCTMAC(v, vmid, key)
	}
	return withQemuMAC(v, vmid, key)
}
