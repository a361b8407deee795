package pvesim

import (
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp/pve/internal/lazyre"
)

// Migration as qemu-server and pve-container check it: every other node of the cluster can take a guest whose
// storages it has (here every node has them all: local and local-lvm exist on each, nas-backup is shared);
// a VM passed a host device (hostpci, a host USB device, a serial or parallel port on /dev) cannot leave its
// node; a running VM moves only online, and with its local disks only when asked to; a running container
// moves only by a restart (its live migration is not implemented). The task moves the guest and its
// node-local volumes to the target.
//
// A CD-ROM drive on node-local storage blocks the task (QemuMigrate's scan_local_volumes: "local cdrom
// image"), except a cloud-init drive (a volume named vm-N-cloudinit), which is a generated disk: it is copied
// offline to the target, even for a running VM and without with-local-disks. GET …/migrate lists both with
// cdrom set, as qemu-server's foreach_volid marks them (drive_is_cdrom without exclude_cloudinit).

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
			unused: isUnusedKey(k), cloudInit: cloudInitVolume.MatchString(volid)})
	}
	return p
}

// cloudInitVolume is how QemuMigrate tells a cloud-init drive from other CD-ROM images: by its volume name.
var cloudInitVolume = &lazyre.Regexp{Src: `vm-\d+-cloudinit`}

// migrationFailure is the task log of a migration of a guest to target, with the given options, that fails,
// its last line the error; nil when it succeeds. These are the checks qemu-server and pve-container make
// inside the task.
func (p migrationPlan) migrationFailure(kind string, online, withLocalDisks bool) []string {
	if kind == "lxc" {
		if p.running && online {
			return []string{"ERROR: migration aborted (duration 00:00:01): lxc live migration is currently not implemented"}
		}
		return nil
	}
	var lines []string
	for _, d := range p.localDisks {
		switch {
		case d.cdrom && d.cloudInit:
			// generated: copied offline to the target
		case d.cdrom:
			lines = append(lines, "WARN: can't migrate local disk '"+d.volid+"': local cdrom image")
		case p.running && !d.unused && !withLocalDisks:
			lines = append(lines, "WARN: can't migrate local disk '"+d.volid+"': can't live migrate attached local disks without with-local-disks option")
		}
	}
	if len(lines) == 0 {
		return nil
	}
	const why = "Problem found while scanning volumes - can't migrate VM - check log"
	return append(lines, "ERROR: "+why, "ERROR: migration aborted (duration 00:00:01): "+why)
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
