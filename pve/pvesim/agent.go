package pvesim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The QEMU guest agent as qemu-server reaches it (PVE::QemuServer::Agent, assert_agent_available): a VM's
// agent answers only when its configuration has an agent key ("No QEMU guest agent configured"), the VM runs
// ("VM N is not running") and the agent inside answers a ping ("QEMU guest agent is not running"). It answers
// a ping when it is enabled (with agent: 0 QEMU gives the guest no agent channel), installed in the guest
// (SetAgentInstalled) and started, DefaultAgentBootDelay after the VM (WithAgentBootDelay).
//
// What it reports is derived from the guest's configuration: the operating system from its ostype (or the
// system Default gave it), the host name from its name, one interface per NIC with the NIC's MAC and the
// address of its ipconfig (or a DHCP lease on vmbr0), one filesystem per disk. agent exec runs a few
// programs of a Linux guest (programs.go).

// DefaultAgentBootDelay is how long after a VM starts its guest agent begins to answer.
const DefaultAgentBootDelay = 2 * time.Second

// WithAgentBootDelay sets how long after a VM starts its guest agent answers (default DefaultAgentBootDelay;
// 0: at once).
func WithAgentBootDelay(d time.Duration) Option { return func(s *Sim) { s.agentBoot = max(d, 0) } }

// agentEnabled reads the agent property string: "1", "enabled=1", "1,fstrim_cloned_disks=1".
func (g *guest) agentEnabled() bool {
	for i, part := range strings.Split(g.conf["agent"], ",") {
		if i == 0 && part == "1" || part == "enabled=1" {
			return true
		}
	}
	return false
}

// agentAvailable is assert_agent_available: nil when the VM's agent answers now.
func (s *Sim) agentAvailable(g *guest, now time.Time) *apiError {
	if _, ok := g.conf["agent"]; !ok {
		return fail("No QEMU guest agent configured")
	}
	if !g.running {
		return fail("VM %d is not running", g.vmid)
	}
	if !g.agentEnabled() || g.noAgent || now.Sub(g.started) < s.agentBoot {
		return fail("QEMU guest agent is not running")
	}
	return nil
}

// system is an operating system as the agent's get-osinfo reports it.
type system struct {
	id, name, pretty, version, versionID string
	kernel, kernelVersion                string // kernel-release, kernel-version
	hostname                             string // the host name it gives itself; "" for the VM's name
	windows                              bool
}

var guestSystems = map[string]system{
	"debian-12": {id: "debian", name: "Debian GNU/Linux", pretty: "Debian GNU/Linux 12 (bookworm)", version: "12 (bookworm)", versionID: "12",
		kernel: "6.1.0-28-cloud-amd64", kernelVersion: "#1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22)"},
	"ubuntu-24.04": {id: "ubuntu", name: "Ubuntu", pretty: "Ubuntu 24.04.3 LTS", version: "24.04.3 LTS (Noble Numbat)", versionID: "24.04",
		kernel: "6.8.0-79-generic", kernelVersion: "#79-Ubuntu SMP PREEMPT_DYNAMIC Tue Aug 12 14:42:46 UTC 2025"},
	"haos": {id: "haos", name: "Home Assistant OS", pretty: "Home Assistant OS 16.2", version: "16.2", versionID: "16.2",
		kernel: "6.12.34-haos", kernelVersion: "#1 SMP PREEMPT_DYNAMIC Tue Jun 24 10:55:39 UTC 2025", hostname: "homeassistant"},
	"windows-11": {id: "mswindows", name: "Microsoft Windows", pretty: "Windows 11 Pro", version: "Microsoft Windows 11", versionID: "11",
		kernel: "26100", kernelVersion: "10.0", windows: true},
}

// system is the guest's operating system.
func (g *guest) system() system {
	if s, ok := guestSystems[g.os]; ok {
		return s
	}
	if strings.HasPrefix(g.conf["ostype"], "win") {
		return guestSystems["windows-11"]
	}
	return guestSystems["debian-12"]
}

// hostname is what the guest calls itself.
func (g *guest) hostname() string {
	if h := g.system().hostname; h != "" {
		return h
	}
	if n := g.name(); n != "" {
		return n
	}
	return "localhost"
}

// guestNIC is one network interface inside a guest.
type guestNIC struct {
	name, mac string
	ipv4      string // "" when it has none
	prefix4   int
	ipv6      string // link-local
	prefix6   int
}

// nics are a guest's interfaces as the guest sees them: loopback, then one per netN of its configuration.
func (g *guest) nics() []guestNIC {
	lo := guestNIC{name: "lo", mac: "00:00:00:00:00:00", ipv4: "127.0.0.1", prefix4: 8, ipv6: "::1", prefix6: 128}
	if g.kind == "qemu" && g.system().windows {
		lo.name = "Loopback Pseudo-Interface 1"
	}
	out := []guestNIC{lo}
	for _, k := range sortedKeys(g.conf) {
		if !numbered(k, "net") {
			continue
		}
		i := nicIndex(k)
		v := g.conf[k]
		n := guestNIC{mac: strings.ToLower(macInValueRE.FindString(v)), prefix6: 64}
		switch {
		case g.kind == "lxc":
			n.name = propValue(v, "name")
		case g.system().windows:
			n.name = "Ethernet"
			if i > 0 {
				n.name += " " + strconv.Itoa(i+1)
			}
		default:
			n.name = "ens" + strconv.Itoa(18+i)
		}
		ip := propValue(v, "ip") // a container's own
		if g.kind == "qemu" {
			ip = propValue(g.conf["ipconfig"+strconv.Itoa(i)], "ip")
		}
		switch {
		case strings.Contains(ip, "/"):
			addr, bits, _ := strings.Cut(ip, "/")
			n.ipv4 = addr
			n.prefix4, _ = strconv.Atoi(bits)
		case (ip == "dhcp" || ip == "") && propValue(v, "bridge") == "vmbr0":
			n.ipv4, n.prefix4 = g.lease(i), 24
		}
		if n.mac != "" {
			n.ipv6 = linkLocal(n.mac)
		}
		out = append(out, n)
	}
	return out
}

// lease is the address the LAN's DHCP server gives a guest's NIC: deterministic, in 192.168.1.100-249.
func (g *guest) lease(nic int) string {
	return "192.168.1." + strconv.Itoa(100+int(noise(int64(g.vmid), int64(nic), 13)*150))
}

// propValue is one key's value in a property string ("ip" of "name=eth0,bridge=vmbr0,ip=dhcp").
func propValue(s, key string) string {
	for _, part := range strings.Split(s, ",") {
		if v, ok := strings.CutPrefix(part, key+"="); ok {
			return v
		}
	}
	return ""
}

// linkLocal is the EUI-64 link-local IPv6 address of a MAC.
func linkLocal(mac string) string {
	var b [6]byte
	for i, h := range strings.Split(mac, ":") {
		if i < 6 {
			v, _ := strconv.ParseUint(h, 16, 8)
			b[i] = byte(v)
		}
	}
	b[0] ^= 2
	return fmt.Sprintf("fe80::%x:%x:%x:%x", uint16(b[0])<<8|uint16(b[1]), uint16(b[2])<<8|0xff, 0xfe00|uint16(b[3]), uint16(b[4])<<8|uint16(b[5]))
}

// guestFS is one mounted filesystem inside a guest.
type guestFS struct {
	name, mountpoint, fstype string
	total, used              int64
	dev, bus, serial         string // the disk under it: /dev/sda1, scsi, drive-scsi0
	unit                     int
}

// filesystems are a VM's mounted filesystems, one per disk: the first holds the root (C:\ on Windows).
func (g *guest) filesystems() []guestFS {
	var out []guestFS
	win := g.system().windows
	for _, d := range g.disks() {
		bus := strings.TrimRight(d.key, "0123456789")
		if isUnusedKey(d.key) || bus == "efidisk" || bus == "tpmstate" {
			continue
		}
		i := len(out)
		letter := string(rune('a' + i))
		f := guestFS{bus: bus, serial: "drive-" + d.key, unit: i}
		switch bus {
		case "virtio":
			f.name = "vd" + letter + "1"
		default:
			f.name = "sd" + letter + "1"
		}
		f.dev = "/dev/" + f.name
		// the partition table and a small boot partition take a little of the disk
		f.total = d.size - d.size/64
		f.used = int64(float64(f.total) * (0.08 + 0.5*noise(int64(g.vmid), int64(i), 17)))
		switch {
		case win:
			f.name, f.mountpoint, f.fstype = `\\?\Volume{`+fakeUUID(int64(g.vmid), int64(40+i))+`}\`, string(rune('C'+i))+`:\`, "NTFS"
		case i == 0:
			f.mountpoint, f.fstype = "/", "ext4"
		default:
			f.mountpoint, f.fstype = "/srv/disk"+strconv.Itoa(i), "ext4"
		}
		out = append(out, f)
	}
	return out
}

// process is a program started through the agent's exec, until its status is collected once it has exited.
type process struct {
	pid                int
	start              time.Time
	dur                time.Duration
	exit               int
	out, err           string
	truncOut, truncErr bool
}

// maxExecOutput is qemu-ga's cap on a process's captured stdout and stderr (GUEST_EXEC_MAX_OUTPUT).
const maxExecOutput = 16 << 20

// exec starts argv in the guest, as guest-exec does: a program the guest lacks makes the command itself fail.
func (s *Sim) exec(g *guest, argv []string, input string, now time.Time) (*process, *apiError) {
	run := lookProgram(argv[0])
	if run == nil {
		return nil, fail("VM %d qmp command 'guest-exec' failed - Failed to execute child process “%s” (No such file or directory)", g.vmid, argv[0])
	}
	r := run(g, argv, input)
	if g.procs == nil {
		g.procs = map[int]*process{}
		g.nextProc = 1000 + int(noise(int64(g.vmid), 19)*2000)
	}
	g.nextProc++
	p := &process{pid: g.nextProc, start: now, dur: r.dur, exit: r.exit}
	p.out, p.truncOut = capOutput(r.out)
	p.err, p.truncErr = capOutput(r.err)
	g.procs[p.pid] = p
	return p, nil
}

func capOutput(s string) (string, bool) {
	if len(s) > maxExecOutput {
		return s[:maxExecOutput], true
	}
	return s, false
}

// exited reports whether the process has ended by now.
func (p *process) exited(now time.Time) bool { return !now.Before(p.start.Add(p.dur)) }
