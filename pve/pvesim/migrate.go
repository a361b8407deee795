package pvesim

import "strings"

// Migration as qemu-server and pve-container check it: every other node of the cluster can take a guest whose
// storages it has (here every node has them all: local and local-lvm exist on each, nas-backup is shared);
// a VM passed a host device (hostpci, a host USB device, a serial or parallel port on /dev) cannot leave its
// node; a running VM moves only online, and with its local disks only when asked to; a running container
// moves only by a restart (its live migration is not implemented). The task moves the guest and its
// node-local volumes to the target.

// migrationPlan is what GET …/migrate reports of a guest.
type migrationPlan struct {
	running        bool
	allowed        []string
	localDisks     []localDisk
	localResources []string
}

type localDisk struct {
	volid     string
	size      int64
	cdrom     bool
	unused    bool
	cloudInit bool
}

func (s *Sim) planMigration(g *guest) migrationPlan {
	p := migrationPlan{running: g.running}
	for _, n := range s.c.nodes {
		if n.name != g.node {
			p.allowed = append(p.allowed, n.name)
		}
	}
	for _, k := range sortedKeys(g.conf) {
		v := g.conf[k]
		switch {
		case numbered(k, "hostpci"), numbered(k, "parallel"), numbered(k, "virtiofs"),
			numbered(k, "usb") && strings.Contains(v, "host=") && !strings.Contains(v, "spice"),
			numbered(k, "serial") && strings.HasPrefix(v, "/dev/"):
			p.localResources = append(p.localResources, k)
		}
		if !isDiskKey(g.kind, k) && !(strings.Contains(v, "media=cdrom") && numbered(k, "ide")) {
			continue
		}
		volid, _, _ := strings.Cut(strings.TrimPrefix(v, "file="), ",")
		sid, _, ok := strings.Cut(volid, ":")
		st := s.c.storage(sid)
		if !ok || st == nil || st.shared {
			continue
		}
		size := diskSize(v)
		if vol := s.c.findVolume(volid, g.node); vol != nil {
			size = vol.size
		}
		p.localDisks = append(p.localDisks, localDisk{volid: volid, size: size, cdrom: strings.Contains(v, "media=cdrom"),
			unused: isUnusedKey(k), cloudInit: strings.Contains(volid, "cloudInitt")})
	}
	return p
}

// migrationFailure is why the migration task of a guest to target, with the given options, fails; "" when it
// succeeds. These are the checks qemu-server and pve-container make inside the task.
func (p migrationPlan) migrationFailure(kind string, online, withLocalDisks bool) string {
	if kind == "lxc" {
		if p.running && online {
			return "lxc live migration is currently not implemented"
		}
		return ""
	}
	for _, d := range p.localDisks {
		if d.cdrom && !d.cloudInit {
			return "can't migrate local cdrom drive (" + d.volid + ")"
		}
		if p.running && !d.cdrom && !d.unused && !withLocalDisks {
			return "can't live migrate attached local disks without with-local-disks option"
		}
	}
	return ""
}

// moveGuest puts a guest on node target with its node-local volumes.
func (s *Sim) moveGuest(g *guest, target string) {
	for _, v := range s.c.volumes {
		if v.vmid == g.vmid && v.node == g.node {
			v.node = target
		}
	}
	g.node = target
	if g.running {
		// a new QEMU (or container) process on the target
		n := s.c.node(target)
		n.nextPID++
		g.pid = n.nextPID
	}
}
