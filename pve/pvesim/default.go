package pvesim

import (
	"slices"
	"strconv"
	"time"
)

const (
	day  = 24 * time.Hour
	week = 7 * day
)

// Default returns the demo homelab: cluster "homelab" on PVE 9.1, nodes pve1, pve2 and pve3, thirteen guests,
// local, local-lvm and a shared nas-backup storage with nightly backups, pool "lab", a task history, HA for
// the router (vm:100) and the DNS server (ct:200), and a few firewall rules (cluster, pve1, guests 101, 200
// and 201, security group "webserver"). Every VM but opnsense has the guest agent enabled and installed;
// home-assistant runs Home Assistant OS, media-server Ubuntu 24.04, win11-desktop Windows 11, the others and
// the cloud-init template 9000 (which clones inherit) Debian 12; in home-assistant a process an earlier agent
// exec started (pid 4242) still runs. Each call returns a fresh copy.
//
//	vmid  type  node  name                 status   notes
//	100   qemu  pve1  opnsense             running  tags network;prod, onboot
//	101   qemu  pve1  home-assistant       running  tags iot;prod
//	102   qemu  pve2  docker-host          running  tags docker;prod; snapshots pre-upgrade, weekly
//	103   qemu  pve2  win11-desktop        stopped  tags desktop (its last start failed: GPU busy)
//	104   qemu  pve3  k3s-server           running  pool lab, tags k8s;lab
//	105   qemu  pve3  k3s-agent-1          running  pool lab, tags k8s;lab
//	106   qemu  pve3  media-server         stopped  lock backup: a backup job is still running on it
//	9000  qemu  pve1  debian-12-cloudinit  stopped  template
//	200   lxc   pve1  pihole               running  tags dns;prod
//	201   lxc   pve2  nginx-proxy          running  tags prod;web
//	202   lxc   pve2  grafana              running  tags monitoring
//	203   lxc   pve3  postgres             running  snapshot before-migration
//	204   lxc   pve3  test-ct              stopped
func Default() *Cluster {
	b := newBuilder("homelab")
	b.node(nodeSpec{name: "pve1", ip: "192.168.1.11", cpuModel: "AMD Ryzen 7 5825U with Radeon Graphics", mhz: "2000.000",
		sockets: 1, cores: 8, threads: 16, memGiB: 64, uptime: 23*day + 4*time.Hour + 17*time.Minute})
	b.node(nodeSpec{name: "pve2", ip: "192.168.1.12", cpuModel: "Intel(R) Core(TM) i7-10700 CPU @ 2.90GHz", mhz: "4700.000",
		sockets: 1, cores: 8, threads: 16, memGiB: 64, uptime: 41*day + 9*time.Hour + 2*time.Minute})
	b.node(nodeSpec{name: "pve3", ip: "192.168.1.13", cpuModel: "Intel(R) Core(TM) i5-8500T CPU @ 2.10GHz", mhz: "3500.000",
		sockets: 1, cores: 6, threads: 6, memGiB: 32, uptime: 9*day + 6*time.Hour + 48*time.Minute})
	b.standardStorages(100861476864, 893_353_197_568, 3_998_614_552_576, 1_245_781_032_960)
	b.c.pools = []*pool{{id: "lab", comment: "Kubernetes lab and experiments"}}
	b.c.appliances = slices.Clone(standardAppliances)

	up := func(nodeName string, after time.Duration) time.Duration {
		n := b.c.node(nodeName)
		return epoch0.Sub(n.boot) - after
	}

	g := b.guest(100, "qemu", "pve1", true, up("pve1", 75*time.Second), map[string]string{
		"boot":        "order=scsi0;net0",
		"cores":       "2",
		"cpu":         "host",
		"memory":      "4096",
		"name":        "opnsense",
		"description": "OPNsense firewall.\nWAN on vmbr1 (ISP modem), LAN on vmbr0.",
		"net0":        "virtio=BC:24:11:5A:10:01,bridge=vmbr0",
		"net1":        "virtio=BC:24:11:5A:10:02,bridge=vmbr1",
		"numa":        "0",
		"onboot":      "1",
		"ostype":      "other",
		"scsi0":       "local-lvm:vm-100-disk-0,iothread=1,size=32G",
		"scsihw":      "virtio-scsi-single",
		"sockets":     "1",
		"startup":     "order=1",
		"tags":        "network;prod",
		"meta":        "creation-qemu=9.0.2,ctime=1725012345",
		"smbios1":     "uuid=6f1c0b2e-34a8-4c1d-9a7e-0c2b5d8e1f10",
		"vmgenid":     "0b7a3d52-91c4-4e8a-b6f2-7c1d9e3a5b60",
	})
	b.diskVolumes(g, 420*day)

	g = b.guest(101, "qemu", "pve1", true, 6*day+3*time.Hour, map[string]string{
		"agent":       "1",
		"bios":        "ovmf",
		"boot":        "order=scsi0",
		"cores":       "2",
		"cpu":         "host",
		"memory":      "4096",
		"name":        "home-assistant",
		"description": "Home Assistant OS. Zigbee stick passed through as usb0.",
		"efidisk0":    "local-lvm:vm-101-disk-1,efitype=4m,size=4M",
		"machine":     "q35",
		"net0":        "virtio=BC:24:11:3C:7E:21,bridge=vmbr0",
		"onboot":      "1",
		"ostype":      "l26",
		"scsi0":       "local-lvm:vm-101-disk-0,discard=on,iothread=1,size=32G",
		"scsihw":      "virtio-scsi-single",
		"sockets":     "1",
		"tags":        "iot;prod",
		"usb0":        "host=10c4:ea60",
		"vga":         "qxl",
		"meta":        "creation-qemu=9.0.2,ctime=1725098765",
		"smbios1":     "uuid=1d2e3f40-5a6b-4c7d-8e9f-a0b1c2d3e4f5",
		"vmgenid":     "9c8b7a69-5849-4a3b-8c2d-1e0f9a8b7c6d",
	})
	g.os = "haos"
	// a watcher someone started through the agent's exec when the VM booted, still running: its status reads
	// exited 0 at any time
	g.procs, g.nextProc = map[int]*process{4242: {pid: 4242, start: ago(6*day + 3*time.Hour), dur: 100 * 365 * day}}, 4242
	b.diskVolumes(g, 400*day)

	g = b.guest(102, "qemu", "pve2", true, up("pve2", 80*time.Second), map[string]string{
		"agent":       "1",
		"boot":        "order=scsi0",
		"cores":       "4",
		"cpu":         "x86-64-v2-AES",
		"memory":      "8192",
		"name":        "docker-host",
		"description": "Docker host: immich, paperless, vaultwarden.",
		"net0":        "virtio=BC:24:11:8E:02:4D,bridge=vmbr0",
		"onboot":      "1",
		"ostype":      "l26",
		"scsi0":       "local-lvm:vm-102-disk-0,discard=on,iothread=1,size=64G",
		"scsi1":       "local-lvm:vm-102-disk-1,discard=on,iothread=1,size=200G",
		"scsihw":      "virtio-scsi-single",
		"sockets":     "1",
		"startup":     "order=3",
		"tags":        "docker;prod",
		"meta":        "creation-qemu=8.1.5,ctime=1709123456",
		"smbios1":     "uuid=5b1e2c3d-4f5a-4b6c-9d7e-8f9a0b1c2d3e",
		"vmgenid":     "2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d",
	})
	b.diskVolumes(g, 600*day)
	b.snapshot(g, "pre-upgrade", "Before apt full-upgrade to Debian 13", 30*day, false)
	b.snapshot(g, "weekly", "Weekly snapshot", 5*day, false)

	g = b.guest(103, "qemu", "pve2", false, 0, map[string]string{
		"agent":     "1",
		"bios":      "ovmf",
		"boot":      "order=scsi0;ide2",
		"cores":     "8",
		"cpu":       "host",
		"memory":    "16384",
		"name":      "win11-desktop",
		"efidisk0":  "local-lvm:vm-103-disk-0,efitype=4m,pre-enrolled-keys=1,size=4M",
		"hostpci0":  "0000:01:00.0,pcie=1,x-vga=1",
		"ide2":      "local:iso/virtio-win-0.1.271.iso,media=cdrom",
		"machine":   "pc-q35-9.2+pve1",
		"net0":      "virtio=BC:24:11:D4:61:0A,bridge=vmbr0",
		"ostype":    "win11",
		"scsi0":     "local-lvm:vm-103-disk-1,discard=on,iothread=1,size=128G",
		"scsihw":    "virtio-scsi-single",
		"sockets":   "1",
		"tags":      "desktop",
		"tpmstate0": "local-lvm:vm-103-disk-2,size=4M,version=v2.0",
		"meta":      "creation-qemu=9.2.0,ctime=1738123456",
		"smbios1":   "uuid=7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f",
		"vmgenid":   "3b4c5d6e-7f80-4a9b-8c1d-2e3f4a5b6c7d",
	})
	b.diskVolumes(g, 300*day)

	k3s := func(vmid int, name, ip, mac string) {
		g := b.guest(vmid, "qemu", "pve3", true, up("pve3", time.Duration(90+vmid%10*15)*time.Second), map[string]string{
			"agent":     "1",
			"boot":      "order=scsi0",
			"cores":     "2",
			"cpu":       "host",
			"memory":    "4096",
			"name":      name,
			"ciuser":    "debian",
			"ide2":      "local-lvm:vm-" + itoa(vmid) + "-cloudinit,media=cdrom",
			"ipconfig0": "ip=" + ip + "/24,gw=192.168.1.1",
			"net0":      "virtio=" + mac + ",bridge=vmbr0",
			"onboot":    "1",
			"ostype":    "l26",
			"scsi0":     "local-lvm:vm-" + itoa(vmid) + "-disk-0,discard=on,size=32G",
			"scsihw":    "virtio-scsi-pci",
			"serial0":   "socket",
			"sockets":   "1",
			"tags":      "k8s;lab",
			"vga":       "serial0",
			"meta":      "creation-qemu=9.2.0,ctime=1740123456",
			"smbios1":   "uuid=" + fakeUUID(int64(vmid), 32),
			"vmgenid":   fakeUUID(int64(vmid), 31),
		})
		g.pool = "lab"
		b.diskVolumes(g, 200*day)
	}
	k3s(104, "k3s-server", "192.168.1.41", "BC:24:11:41:00:68")
	k3s(105, "k3s-agent-1", "192.168.1.42", "BC:24:11:42:00:69")

	g = b.guest(106, "qemu", "pve3", false, 0, map[string]string{
		"agent":       "1",
		"boot":        "order=scsi0",
		"cores":       "4",
		"cpu":         "host",
		"memory":      "8192",
		"name":        "media-server",
		"description": "Jellyfin. Media library on scsi1 (not backed up).",
		"net0":        "virtio=BC:24:11:6D:0E:A1,bridge=vmbr0",
		"ostype":      "l26",
		"scsi0":       "local-lvm:vm-106-disk-0,discard=on,iothread=1,size=48G",
		"scsi1":       "local-lvm:vm-106-disk-1,backup=0,discard=on,iothread=1,size=250G",
		"scsihw":      "virtio-scsi-single",
		"sockets":     "1",
		"meta":        "creation-qemu=9.0.2,ctime=1726123456",
		"smbios1":     "uuid=8d9e0f1a-2b3c-4d4e-9f5a-6b7c8d9e0f1a",
		"vmgenid":     "4c5d6e7f-8091-4a2b-8c3d-4e5f6a7b8c9d",
	})
	g.os = "ubuntu-24.04"
	b.diskVolumes(g, 350*day)

	g = b.guest(9000, "qemu", "pve1", false, 0, map[string]string{
		"agent":       "1",
		"boot":        "order=scsi0",
		"cores":       "2",
		"cpu":         "host",
		"memory":      "2048",
		"name":        "debian-12-cloudinit",
		"description": "Debian 12 genericcloud image with cloud-init. Clone me.",
		"ide2":        "local-lvm:vm-9000-cloudinit,media=cdrom",
		"ipconfig0":   "ip=dhcp",
		"net0":        "virtio=BC:24:11:90:00:01,bridge=vmbr0",
		"ostype":      "l26",
		"scsi0":       "local-lvm:base-9000-disk-0,discard=on,size=3G",
		"scsihw":      "virtio-scsi-pci",
		"serial0":     "socket",
		"sockets":     "1",
		"template":    "1",
		"vga":         "serial0",
		"meta":        "creation-qemu=9.0.2,ctime=1727123456",
		"smbios1":     "uuid=9e0f1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b",
		"vmgenid":     "5d6e7f80-91a2-4b3c-8d4e-5f6a7b8c9d0e",
	})
	g.os = "debian-12" // its clones inherit it
	b.diskVolumes(g, 380*day)

	ct := func(vmid int, nodeName, hostname string, running bool, upAfter time.Duration, extra map[string]string) *guest {
		conf := map[string]string{
			"arch":         "amd64",
			"cores":        "1",
			"hostname":     hostname,
			"memory":       "512",
			"swap":         "512",
			"net0":         "name=eth0,bridge=vmbr0,firewall=1,hwaddr=" + macFor(vmid, 0) + ",ip=dhcp,type=veth",
			"ostype":       "debian",
			"rootfs":       "local-lvm:subvol-" + itoa(vmid) + "-disk-0,size=8G",
			"unprivileged": "1",
			"features":     "nesting=1",
		}
		for k, v := range extra {
			conf[k] = v
		}
		var u time.Duration
		if running {
			u = up(nodeName, upAfter)
			if upAfter < 0 {
				u = -upAfter
			}
		}
		g := b.guest(vmid, "lxc", nodeName, running, u, conf)
		b.diskVolumes(g, 250*day)
		return g
	}
	ct(200, "pve1", "pihole", true, 95*time.Second, map[string]string{
		"net0":        "name=eth0,bridge=vmbr0,firewall=1,gw=192.168.1.1,hwaddr=BC:24:11:20:00:C8,ip=192.168.1.53/24,type=veth",
		"onboot":      "1",
		"startup":     "order=2",
		"tags":        "dns;prod",
		"description": "Pi-hole: DNS for the LAN (192.168.1.53).",
	})
	ct(201, "pve2", "nginx-proxy", true, 110*time.Second, map[string]string{
		"cores":       "2",
		"memory":      "1024",
		"onboot":      "1",
		"tags":        "prod;web",
		"rootfs":      "local-lvm:subvol-201-disk-0,size=8G",
		"description": "Nginx Proxy Manager, TLS termination for *.home.example.",
	})
	ct(202, "pve2", "grafana", true, -(12*day + 5*time.Hour), map[string]string{
		"cores":  "2",
		"memory": "2048",
		"tags":   "monitoring",
		"ostype": "ubuntu",
		"rootfs": "local-lvm:subvol-202-disk-0,size=16G",
	})
	pg := ct(203, "pve3", "postgres", true, 120*time.Second, map[string]string{
		"cores":       "4",
		"memory":      "4096",
		"swap":        "1024",
		"onboot":      "1",
		"rootfs":      "local-lvm:subvol-203-disk-0,size=32G",
		"description": "PostgreSQL 16 for the docker-host apps.",
	})
	b.snapshot(pg, "before-migration", "Before migrating the databases from docker-host", 14*day, false)
	ct(204, "pve3", "test-ct", false, 0, map[string]string{"ostype": "alpine"})

	// ISOs and container templates on each node's local storage
	for _, n := range []string{"pve1", "pve2", "pve3"} {
		b.file(n, "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst", "vztmpl", "tzst", 126_390_341, 300*day)
		b.file(n, "local:vztmpl/ubuntu-24.04-standard_24.04-2_amd64.tar.zst", "vztmpl", "tzst", 141_826_875, 280*day)
		b.file(n, "local:vztmpl/alpine-3.20-default_20240908_amd64.tar.xz", "vztmpl", "txz", 3_224_672, 260*day)
		b.file(n, "local:iso/debian-13.1.0-amd64-netinst.iso", "iso", "iso", 783_286_272, 60*day)
	}
	b.file("pve1", "local:iso/ubuntu-24.04.3-live-server-amd64.iso", "iso", "iso", 3_213_064_192, 90*day)
	b.file("pve2", "local:iso/Win11_24H2_English_x64.iso", "iso", "iso", 5_819_484_160, 300*day)
	b.file("pve2", "local:iso/virtio-win-0.1.271.iso", "iso", "iso", 709_423_104, 300*day)

	defaultHistory(b)
	defaultHAAndFirewall(b.c)
	return b.c
}

func itoa(n int) string { return strconv.Itoa(n) }

// defaultHistory is the homelab's recent past: nightly backups to nas-backup (which left the archives there),
// boot-time starts, snapshots, a failed start, and one backup still running.
func defaultHistory(b *builder) {
	const root = "root@pam"
	backupParams := func(vmids, nodeName string) map[string]string {
		return map[string]string{
			"vmid":             vmids,
			"storage":          "nas-backup",
			"mode":             "snapshot",
			"compress":         "zstd",
			"notes-template":   "{{guestname}}",
			"node":             nodeName,
			"mailnotification": "failure",
			"quiet":            "1",
		}
	}
	for _, n := range b.c.nodes {
		b.history(n.name, "startall", "", root, epoch0.Sub(n.boot)-40*time.Second, 95*time.Second,
			taskOp{lines: startallLines(b.c, n.name)})
	}
	for _, night := range []time.Duration{8*day + 9*time.Hour, 1*day + 9*time.Hour} {
		b.history("pve1", "vzdump", "", root, night, 7*time.Minute+12*time.Second,
			taskOp{vmids: []int{100, 101, 200}, params: backupParams("100,101,200", "pve1")})
		b.history("pve2", "vzdump", "102", root, night+5*time.Minute, 11*time.Minute+40*time.Second,
			taskOp{vmids: []int{102}, params: backupParams("102", "pve2")})
		b.history("pve3", "vzdump", "203", root, night+10*time.Minute, 2*time.Minute+31*time.Second,
			taskOp{vmids: []int{203}, params: backupParams("203", "pve3")})
	}
	b.history("pve2", "qmsnapshot", "102", root, 5*day, 3*time.Second, taskOp{vmids: []int{102}, lines: []string{
		"snapshotting 'drive-scsi0' (local-lvm:vm-102-disk-0)",
		"  Logical volume \"snap_vm-102-disk-0_weekly\" created.",
		"snapshotting 'drive-scsi1' (local-lvm:vm-102-disk-1)",
		"  Logical volume \"snap_vm-102-disk-1_weekly\" created.",
	}})
	b.history("pve1", "qmstart", "101", root, 6*day+3*time.Hour, 4*time.Second, taskOp{vmids: []int{101}})
	b.history("pve2", "qmstart", "103", root, 2*day+5*time.Hour, 6*time.Second, taskOp{
		vmids: []int{103},
		fail:  "start failed: QEMU exited with code 1",
		lines: []string{
			"swtpm_setup: Not overwriting existing state file.",
			"kvm: -device vfio-pci,host=0000:01:00.0,id=hostpci0,bus=ich9-pcie-port-1,addr=0x0,multifunction=on: vfio 0000:01:00.0: failed to open /dev/vfio/1: Device or resource busy",
		},
	})
	b.history("pve2", "vzstart", "202", root, 12*day+5*time.Hour, 2*time.Second, taskOp{vmids: []int{202}})
	// the weekly backup of media-server in stop mode is still going: it holds the guest's backup lock
	b.history("pve3", "vzdump", "106", root, 25*time.Minute, -1, taskOp{
		vmids:    []int{106},
		params:   map[string]string{"vmid": "106", "storage": "nas-backup", "mode": "stop", "compress": "zstd", "node": "pve3", "notes-template": "{{guestname}} weekly"},
		lockName: "backup",
	})
}

// startallLines is the log of a node's boot-time start of its onboot guests.
func startallLines(c *Cluster, nodeName string) []string {
	var lines []string
	for _, g := range c.sortedGuests() {
		if g.node == nodeName && g.conf["onboot"] == "1" {
			lines = append(lines, "Starting "+g.noun()+" "+itoa(g.vmid))
		}
	}
	return lines
}

// defaultHAAndFirewall puts the homelab's critical guests under HA and gives it the firewall rules a careful
// owner would: the GUI and SSH only from the LAN, and per-guest openings.
func defaultHAAndFirewall(c *Cluster) {
	c.ha = []*haResource{
		{sid: "ct:200", typ: "ct", opts: map[string]string{"state": "started", "comment": "DNS for the whole house"}},
		{sid: "vm:100", typ: "vm", opts: map[string]string{"state": "started", "max_restart": "2"}},
	}
	c.firewall = map[string]*ruleset{
		"cluster": {rules: []fwRule{
			{"type": "in", "action": "ACCEPT", "proto": "tcp", "dport": "8006", "source": "192.168.1.0/24", "enable": "1", "comment": "web GUI from the LAN"},
			{"type": "in", "action": "ACCEPT", "proto": "tcp", "dport": "22", "source": "192.168.1.0/24", "enable": "1", "comment": "SSH from the LAN"},
		}},
		"node/pve1": {rules: []fwRule{{"type": "in", "action": "ACCEPT", "proto": "icmp", "enable": "1", "comment": "ping"}}},
		"guest/101": {rules: []fwRule{{"type": "in", "action": "ACCEPT", "proto": "tcp", "dport": "8123", "enable": "1", "comment": "Home Assistant UI"}}},
		"guest/200": {rules: []fwRule{{"type": "in", "action": "ACCEPT", "proto": "udp", "dport": "53", "enable": "1", "comment": "DNS"}}},
		"guest/201": {rules: []fwRule{{"type": "group", "action": "webserver", "enable": "1"}}},
		"group/webserver": {comment: "HTTP and HTTPS", rules: []fwRule{
			{"type": "in", "action": "ACCEPT", "proto": "tcp", "dport": "80,443", "enable": "1"},
		}},
	}
}
