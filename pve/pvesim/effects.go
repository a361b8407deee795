package pvesim

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// taskLogHead is the part of a task's log written as soon as it starts.
func (s *Sim) taskLogHead(t *task) []string {
	switch t.typ {
	case "vzdump":
		head, _ := s.vzdumpLog(t)
		return head
	case "qmclone", "vzclone":
		if len(t.op.vols) > 0 {
			return []string{cloneLine(t, 0)}
		}
	}
	return nil
}

// cloneLine is what qemu-server and pve-container log before copying a disk. A cloud-init drive is always
// copied in full.
func cloneLine(t *task, i int) string {
	src, key := t.op.volSources[i], t.op.volKeys[i]
	how := "full"
	if t.op.params["_linked"] == "1" && !strings.Contains(src, "cloudinit") {
		how = "linked"
	}
	if t.typ == "vzclone" {
		return fmt.Sprintf("create %s clone of mountpoint %s (%s)", how, key, src)
	}
	return fmt.Sprintf("create %s clone of drive %s (%s)", how, key, src)
}

// complete applies a task's effect and returns its exit status and the rest of its log.
func (s *Sim) complete(t *task, at time.Time) (string, []string) {
	if t.op.fail != "" {
		if t.op.newID != 0 {
			// a create or clone that fails removes what it had made, as qemu-server and pve-container do
			s.removeGuest(t.op.newID)
		}
		return t.op.fail, t.op.lines
	}
	if t.op.generic {
		return "OK", nil
	}
	var g *guest
	if len(t.op.vmids) > 0 {
		g = s.c.guests[t.op.vmids[0]]
	}
	switch t.typ {
	case "vzdump":
		_, tail := s.vzdumpLog(t)
		s.storeBackups(t)
		for _, it := range t.op.vzdump.items {
			if it.failure != "" {
				return "job errors", tail
			}
		}
		return "OK", tail
	case "qmcreate", "vzcreate", "qmclone", "vzclone":
		return s.completeNewGuest(t)
	}
	if g == nil {
		return "unexpected status", nil // the guest vanished underneath (cannot happen while it is held)
	}
	switch t.typ {
	case "qmstart", "vzstart":
		s.powerOn(g, at)
		if g.kind == "qemu" && strings.Contains(g.conf["ide2"]+g.conf["ide0"]+g.conf["scsi1"], "cloudinit") {
			return "OK", []string{"generating cloud-init ISO"}
		}
	case "qmstop", "vzstop", "qmshutdown", "vzshutdown":
		g.running, g.pid, g.started = false, 0, time.Time{}
	case "qmreboot", "vzreboot":
		if g.running {
			s.powerOn(g, at)
		}
	case "qmsnapshot", "vzsnapshot":
		return "OK", s.takeSnapshot(g, t)
	case "qmdelsnapshot", "vzdelsnapshot":
		return "OK", s.deleteSnapshot(g, t.op.snap)
	case "qmrollback", "vzrollback":
		return "OK", s.rollback(g, t, at)
	case "resize":
		size, _ := strconv.ParseInt(t.op.params["_size"], 10, 64)
		return "OK", s.resizeDisk(g, t.op.params["disk"], size)
	case "qmmigrate", "vzmigrate":
		return "OK", s.migrated(g, t, at)
	case "qmdestroy", "vzdestroy":
		var lines []string
		for _, d := range g.disks() {
			_, name, _ := strings.Cut(d.volid, ":")
			lines = append(lines, fmt.Sprintf("  Logical volume \"%s\" successfully removed.", name))
		}
		if t.op.params["purge"] == "1" {
			lines = append(lines, fmt.Sprintf("purging %s %d from related configurations..", g.noun(), g.vmid))
		}
		s.removeGuest(g.vmid)
		return "OK", lines
	}
	return "OK", nil
}

// powerOn marks a guest running from at, with a fresh process id; a fresh boot takes the pending changes.
func (s *Sim) powerOn(g *guest, at time.Time) {
	n := s.c.node(g.node)
	n.nextPID++
	g.running, g.started, g.pid = true, at, n.nextPID
	g.applyPending()
}

// migrated moves a guest at the end of its migration task; a container migrated by restart is stopped on its
// node and started on the target.
func (s *Sim) migrated(g *guest, t *task, at time.Time) []string {
	from, target := g.node, t.op.params["target"]
	lines := []string{fmt.Sprintf("starting migration of %s %d to node '%s' (%s)", g.noun(), g.vmid, target, s.c.node(target).ip)}
	restart := t.op.params["restart"] == "1" && g.running
	if restart {
		lines = append(lines, fmt.Sprintf("shutdown CT %d", g.vmid))
		g.running, g.pid, g.started = false, 0, time.Time{}
	}
	var found []string // by volume id, as QemuMigrate lists them
	for _, v := range s.c.volumes {
		if v.vmid == g.vmid && v.node == from && (v.content == "images" || v.content == "rootdir") {
			found = append(found, v.volid)
		}
	}
	slices.Sort(found)
	for _, volid := range found {
		if cloudInitVolume.MatchString(volid) {
			lines = append(lines, fmt.Sprintf("found generated disk '%s' (in current VM config)", volid))
		} else {
			lines = append(lines, fmt.Sprintf("found local volume '%s' (in current VM config)", volid))
		}
	}
	s.moveGuest(g, target)
	if restart {
		s.powerOn(g, at)
		lines = append(lines, "start container on target node")
	}
	return append(lines, fmt.Sprintf("migration finished successfully (duration %s)", clockText(at.Sub(t.start))))
}

// clockText writes a duration as PVE's task logs do: 00:01:05.
func clockText(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60)
}

func volName(volid string) string {
	_, name, _ := strings.Cut(volid, ":")
	return name
}

func (s *Sim) takeSnapshot(g *guest, t *task) []string {
	name := t.op.snap
	conf := maps.Clone(g.conf)
	delete(conf, "lock")
	snap := &snapshot{
		name: name, description: t.op.params["description"], snaptime: t.start, parent: g.parent,
		vmstate: g.kind == "qemu" && g.running && t.op.params["vmstate"] == "1", conf: conf,
	}
	var lines []string
	if snap.vmstate {
		lines = append(lines, "saving VM state and RAM using storage 'local-lvm'",
			fmt.Sprintf("completed saving the VM state in 2s, saved %s", humanBytes(g.maxMem()/3)))
	}
	for _, d := range g.disks() {
		if isUnusedKey(d.key) {
			continue
		}
		if g.kind == "qemu" {
			lines = append(lines, fmt.Sprintf("snapshotting 'drive-%s' (%s)", d.key, d.volid))
		}
		lines = append(lines, fmt.Sprintf("  Logical volume \"snap_%s_%s\" created.", volName(d.volid), name))
	}
	g.snaps = append(g.snaps, snap)
	g.parent = name
	return lines
}

func (g *guest) snapshot(name string) *snapshot {
	for _, s := range g.snaps {
		if s.name == name {
			return s
		}
	}
	return nil
}

func (s *Sim) deleteSnapshot(g *guest, name string) []string {
	snap := g.snapshot(name)
	if snap == nil {
		return nil
	}
	var lines []string
	for _, d := range confDisks(g.kind, snap.conf) {
		if !isUnusedKey(d.key) {
			lines = append(lines, fmt.Sprintf("  Logical volume \"snap_%s_%s\" successfully removed.", volName(d.volid), name))
		}
	}
	for _, other := range g.snaps {
		if other.parent == name {
			other.parent = snap.parent
		}
	}
	if g.parent == name {
		g.parent = snap.parent
	}
	g.snaps = slices.DeleteFunc(g.snaps, func(x *snapshot) bool { return x == snap })
	return lines
}

func (s *Sim) rollback(g *guest, t *task, at time.Time) []string {
	snap := g.snapshot(t.op.snap)
	if snap == nil {
		return nil
	}
	var lines []string
	for _, d := range confDisks(g.kind, snap.conf) {
		if isUnusedKey(d.key) {
			continue
		}
		lines = append(lines,
			fmt.Sprintf("  Logical volume \"%s\" successfully removed.", volName(d.volid)),
			fmt.Sprintf("  Logical volume \"%s\" created.", volName(d.volid)))
	}
	g.conf = maps.Clone(snap.conf)
	g.pending, g.pendingDel = nil, nil
	g.parent = snap.name
	// the guest is stopped for the rollback; a snapshot with RAM state resumes where it was taken
	g.running, g.pid, g.started = false, 0, time.Time{}
	if snap.vmstate || t.op.params["start"] == "1" {
		s.powerOn(g, at)
	}
	return lines
}

// completeNewGuest gives a created or cloned guest its configuration and volumes.
func (s *Sim) completeNewGuest(t *task) (string, []string) {
	g := s.c.guests[t.op.newID]
	if g == nil {
		return "unexpected status", nil
	}
	g.conf = maps.Clone(t.op.conf)
	g.conf["lock"] = t.op.lockName // finish removes it
	var lines []string
	for i, v := range t.op.vols {
		vc := *v
		s.c.volumes = append(s.c.volumes, &vc)
		switch t.typ {
		case "qmclone", "vzclone":
			if i > 0 {
				lines = append(lines, cloneLine(t, i))
			}
			lines = append(lines, fmt.Sprintf("  Logical volume \"%s\" created.", volName(v.volid)))
			if t.op.params["_linked"] != "1" && !strings.Contains(v.volid, "cloudinit") {
				lines = append(lines,
					fmt.Sprintf("transferred 0.0 B of %s (0.00%%)", humanBytes(v.size)),
					fmt.Sprintf("transferred %s of %s (100.00%%)", humanBytes(v.size), humanBytes(v.size)))
			}
		case "qmcreate":
			lines = append(lines, fmt.Sprintf("  Logical volume \"%s\" created.", volName(v.volid)),
				fmt.Sprintf("%s: successfully created disk '%s,size=%s'", t.op.volKeys[i], v.volid, formatSize(v.size)))
		case "vzcreate":
			blocks := v.size / 4096
			lines = append(lines, fmt.Sprintf("  Logical volume \"%s\" created.", volName(v.volid)),
				fmt.Sprintf("Creating filesystem with %d 4k blocks and %d inodes", blocks, blocks/4))
		}
	}
	if t.typ == "vzcreate" {
		tmpl := t.op.params["ostemplate"]
		_, file, _ := strings.Cut(tmpl, ":vztmpl/")
		size := int64(120+noise(int64(g.vmid))*300) << 20
		lines = append(lines,
			fmt.Sprintf("extracting archive '/var/lib/vz/template/cache/%s'", file),
			fmt.Sprintf("Total bytes read: %d (%s, %.0fMiB/s)", size, humanBytes(size), 150+noise(int64(g.vmid), 3)*150),
			"Detected container architecture: amd64",
			"Creating SSH host key 'ssh_host_ed25519_key' - this may take some time ...",
			fmt.Sprintf("done: SHA256:%s root@%s", fakeUUID(int64(g.vmid), 7)[:36], g.name()))
	}
	return "OK", lines
}
