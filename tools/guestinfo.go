package tools

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"

	"github.com/proxmox-mcp/proxmox-mcp/pve"
)

// Everything the guest agent says comes from inside the guest, where whoever runs it writes what they like:
// OS names, host names, interface names and mount points are cleaned and quoted like any cluster text, and an
// address passes only as a parsed IP.

type guestInfoArgs struct {
	guestArgs
}

// Agent states, as the result names them.
const (
	agentOK            = "running"
	agentNotConfigured = "not_configured"
	agentVMStopped     = "vm_stopped"
	agentNotRunning    = "not_running"
	agentTemplate      = "template" // a template never starts: its agent never runs
)

type guestInfoResult struct {
	VMID        int         `json:"vmid"`
	Type        string      `json:"type" out:"-"`
	Node        string      `json:"node" out:"-"`
	Name        string      `json:"name,omitempty" out:"-"`
	Agent       string      `json:"agent,omitempty" enum:"running|not_configured|vm_stopped|not_running|template"`
	Fix         string      `json:"fix,omitempty" out:"-"`
	OS          *osView     `json:"os,omitempty" out:"-"`
	Hostname    string      `json:"hostname,omitempty" out:"-"`
	Interfaces  []ifaceView `json:"interfaces"`
	Filesystems []fsView    `json:"filesystems,omitempty" out:"-"`
	// Missing says which reads failed, when some did and others did not.
	Missing []string `json:"missing,omitempty" out:"-"`
}

type osView struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	Kernel  string `json:"kernel,omitempty"`
}

type ifaceView struct {
	Name string   `json:"name"`
	MAC  string   `json:"mac,omitempty"`
	IPv4 []string `json:"ipv4,omitempty"`
	IPv6 []string `json:"ipv6,omitempty"`
}

type fsView struct {
	Mountpoint string `json:"mountpoint"`
	Type       string `json:"type,omitempty"`
	Used       int64  `json:"used"`
	Total      int64  `json:"total"`
}

// Caps on what a guest reports.
const (
	maxInterfaces  = 32
	maxAddresses   = 16
	maxFilesystems = 32
)

// agentFixes say, for each state, how to get the agent to answer.
var agentFixes = map[string]string{
	agentNotConfigured: "The VM's configuration does not enable the QEMU guest agent: enable it in the VM's options (agent: 1), install qemu-guest-agent inside the guest, then stop and start the VM (a reboot from inside is not enough).",
	agentVMStopped:     "The VM is stopped: start it (proxmox_start_resource); its agent answers some seconds after boot.",
	agentNotRunning:    "The agent is enabled but does not answer: install and start qemu-guest-agent inside the guest (apt install qemu-guest-agent; systemctl enable --now qemu-guest-agent). A VM that just booted may need a few seconds more; one whose agent option was just turned on needs a stop and start.",
	agentTemplate:      "The VM is a template: a template never starts, so its guest agent never runs. Clone it (proxmox_clone_resource, or proxmox_provision_vm) and ask the clone.",
}

// agentWords name each state of the agent in the text.
var agentWords = map[string]string{
	agentNotConfigured: "not enabled",
	agentVMStopped:     "not running",
	agentNotRunning:    "not answering",
	agentTemplate:      "none",
}

func (r *guestInfoResult) Summary() string {
	var b strings.Builder
	g := guestView{VMID: r.VMID, Type: r.Type, Name: r.Name, Node: r.Node}
	fmt.Fprintf(&b, "%s. %s\n", g.ref(), inlineLegend)
	if r.Agent != "" && r.Agent != agentOK {
		fmt.Fprintf(&b, "Guest agent: %s. %s\n", agentWords[r.Agent], r.Fix)
	}
	if r.OS != nil {
		fmt.Fprintf(&b, "OS: %s", inline(r.OS.Name, maxName))
		if r.OS.Version != "" && !strings.Contains(r.OS.Name, r.OS.Version) {
			fmt.Fprintf(&b, " %s", inline(r.OS.Version, maxName))
		}
		if r.OS.Kernel != "" {
			fmt.Fprintf(&b, ", kernel %s", inline(r.OS.Kernel, maxName))
		}
		b.WriteByte('\n')
	}
	if r.Hostname != "" {
		fmt.Fprintf(&b, "Hostname: %s\n", inline(r.Hostname, maxName))
	}
	for _, i := range r.Interfaces {
		fmt.Fprintf(&b, "Interface %s %s", inline(i.Name, maxName), orDash(i.MAC))
		for _, a := range append(append([]string{}, i.IPv4...), i.IPv6...) {
			b.WriteString(" " + a)
		}
		b.WriteByte('\n')
	}
	for _, f := range r.Filesystems {
		fmt.Fprintf(&b, "Filesystem %s", inline(f.Mountpoint, maxName))
		if f.Type != "" {
			fmt.Fprintf(&b, " %s", inline(f.Type, 16))
		}
		fmt.Fprintf(&b, ": %s of %s used\n", fmtBytes(f.Used), fmtBytes(f.Total))
	}
	for _, m := range r.Missing {
		fmt.Fprintf(&b, "Not reported: %s\n", m)
	}
	return strings.TrimRight(b.String(), "\n")
}

func guestInfo(ctx context.Context, e *env, c *call, a *guestInfoArgs) (*guestInfoResult, error) {
	g, err := e.resolve(ctx, c, a.guestArgs)
	if err != nil {
		return nil, err
	}
	if g.Type == pve.LXC {
		return containerInfo(ctx, c, g)
	}
	return vmInfo(ctx, c, g)
}

func newInfo(g pve.Guest) *guestInfoResult {
	return &guestInfoResult{VMID: g.VMID, Type: string(g.Type), Node: clean(g.Node, maxName), Name: clean(g.Name, maxName), Interfaces: []ifaceView{}}
}

// vmInfo asks the agent its four questions at once; the first answer says whether it runs at all. A template
// is not asked: it never runs.
func vmInfo(ctx context.Context, c *call, g pve.Guest) (*guestInfoResult, error) {
	if g.Template {
		res := newInfo(g)
		res.Agent, res.Fix = agentTemplate, agentFixes[agentTemplate]
		return res, nil
	}
	ref := g.Ref()
	var (
		wg    sync.WaitGroup
		os    pve.OSInfo
		host  string
		ifs   []pve.Interface
		fs    []pve.Filesystem
		errs  [4]error
		calls = []func(){
			func() { os, errs[0] = c.pve.AgentOSInfo(ctx, ref) },
			func() { host, errs[1] = c.pve.AgentHostName(ctx, ref) },
			func() { ifs, errs[2] = c.pve.AgentInterfaces(ctx, ref) },
			func() { fs, errs[3] = c.pve.AgentFilesystems(ctx, ref) },
		}
	)
	for _, f := range calls {
		wg.Add(1)
		go func() { defer wg.Done(); f() }()
	}
	wg.Wait()
	res := newInfo(g)
	for _, err := range errs {
		if problem, ok := pve.AgentUnavailable(err); ok {
			res.Agent = map[pve.AgentProblem]string{pve.AgentNotConfigured: agentNotConfigured, pve.AgentVMStopped: agentVMStopped, pve.AgentNotRunning: agentNotRunning}[problem]
			res.Fix = agentFixes[res.Agent]
			return res, nil
		}
	}
	if errs[0] != nil && errs[1] != nil && errs[2] != nil && errs[3] != nil {
		return nil, errs[0] // nothing answered: the error says why (a permission, the node)
	}
	res.Agent = agentOK
	for i, what := range []string{"operating system", "host name", "interfaces", "filesystems"} {
		if errs[i] != nil {
			res.Missing = append(res.Missing, what+": "+explain(errs[i]))
		}
	}
	if errs[0] == nil {
		res.OS = &osView{Name: clean(firstOf(os.PrettyName, os.Name), maxName), Version: clean(os.VersionID, maxName), Kernel: clean(os.KernelRelease, maxName)}
	}
	res.Hostname = clean(host, maxName)
	res.Interfaces = viewInterfaces(ifs)
	for _, f := range fs {
		if len(res.Filesystems) == maxFilesystems {
			break
		}
		res.Filesystems = append(res.Filesystems, fsView{Mountpoint: clean(f.Mountpoint, maxName), Type: clean(f.Type, 16), Used: int64(f.UsedBytes), Total: int64(f.TotalBytes)})
	}
	return res, nil
}

// containerInfo is what Proxmox knows of a container's inside: its interfaces from the host, its OS type,
// host name and root filesystem from its config and status.
func containerInfo(ctx context.Context, c *call, g pve.Guest) (*guestInfoResult, error) {
	d, err := c.pve.ReadGuest(ctx, g.VMID, g.Node)
	if err != nil {
		return nil, err
	}
	res := newInfo(d.Guest)
	if os := d.Config.String("ostype"); os != "" {
		res.OS = &osView{Name: clean(os, maxName)}
	}
	res.Hostname = clean(d.Config.String("hostname"), maxName)
	if d.Status.MaxDisk > 0 {
		res.Filesystems = []fsView{{Mountpoint: "/", Used: int64(d.Status.Disk), Total: int64(d.Status.MaxDisk)}}
	}
	if d.Status.Status != "running" {
		res.Missing = append(res.Missing, "interfaces: the container is not running")
		return res, nil
	}
	ifs, err := c.pve.ContainerInterfaces(ctx, g.Ref())
	if err != nil {
		res.Missing = append(res.Missing, "interfaces: "+explain(err))
		return res, nil
	}
	res.Interfaces = viewInterfaces(ifs)
	return res, nil
}

// viewInterfaces keeps the interfaces with their addresses, loopback left out.
func viewInterfaces(ifs []pve.Interface) []ifaceView {
	out := []ifaceView{}
	for _, i := range ifs {
		if i.Name == "lo" || strings.HasPrefix(i.Name, "Loopback Pseudo-Interface") {
			continue
		}
		if len(out) == maxInterfaces {
			break
		}
		v := ifaceView{Name: clean(i.Name, maxName), MAC: macText(i.HardwareAddress())}
		for _, a := range i.Addrs() {
			ip, err := netip.ParseAddr(a.Address)
			if err != nil || ip.IsLoopback() || len(v.IPv4)+len(v.IPv6) == maxAddresses {
				continue // an address the agent made up is not shown as one
			}
			cidr := ip.String()
			if bits := int(a.Prefix); bits > 0 && bits <= ip.BitLen() {
				cidr = fmt.Sprintf("%s/%d", ip, bits)
			}
			if ip.Is4() {
				v.IPv4 = append(v.IPv4, cidr)
			} else {
				v.IPv6 = append(v.IPv6, cidr)
			}
		}
		out = append(out, v)
	}
	return out
}

// macText is a MAC address as six hex pairs, "" for anything else.
func macText(s string) string {
	parts := strings.Split(strings.ToLower(s), ":")
	if len(parts) != 6 {
		return ""
	}
	for _, p := range parts {
		if len(p) != 2 || strings.Trim(p, "0123456789abcdef") != "" {
			return ""
		}
	}
	return strings.Join(parts, ":")
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
