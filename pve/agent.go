package pve

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp/pve/internal/lazyre"
)

// The QEMU guest agent answers from inside a VM: its OS, host name, interfaces and filesystems, and it runs
// programs (exec). qemu-server asks it only when the VM's config enables it, the VM runs and the agent
// answers a ping; each failed check is a 500 of its own, which AgentUnavailable tells apart.

// AgentProblem is why a VM's guest agent could not be asked.
type AgentProblem int

// qemu-server's three refusals (assert_agent_available), in the order it checks them.
const (
	AgentNotConfigured AgentProblem = iota + 1 // "No QEMU guest agent configured": the config has no agent key
	AgentVMStopped                             // "VM N is not running"
	AgentNotRunning                            // "QEMU guest agent is not running": disabled, not installed, or still booting
)

var vmNotRunning = &lazyre.Regexp{Src: `^VM \d+ is not running$`}

// AgentUnavailable reports whether err is one of qemu-server's refusals to ask a VM's agent, and which.
func AgentUnavailable(err error) (AgentProblem, bool) {
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 500 {
		return 0, false
	}
	switch t := strings.TrimSpace(ae.Text()); {
	case t == "No QEMU guest agent configured":
		return AgentNotConfigured, true
	case vmNotRunning.MatchString(t):
		return AgentVMStopped, true
	case t == "QEMU guest agent is not running":
		return AgentNotRunning, true
	}
	return 0, false
}

// agentPath is /nodes/N/qemu/V/agent/CMD; the agent exists for VMs only.
func (g GuestRef) agentPath(cmd string) (string, error) {
	if g.Type != Qemu {
		return "", invalid(fmt.Errorf("%s has no QEMU guest agent: only VMs have one", g))
	}
	return g.path("agent", cmd)
}

// agentResult reads GET …/agent/CMD, whose answer is {"result": …}.
func agentResult[T any](ctx context.Context, c *Client, g GuestRef, cmd string, limit int64) (T, error) {
	p, err := g.agentPath(cmd)
	if err != nil {
		var zero T
		return zero, err
	}
	out, err := get[agentAnswer[T]](ctx, c, p, nil, limit, "ask the guest agent of "+g.String())
	return out.Result, err
}

// agentAnswer is the envelope of an agent command's data.
type agentAnswer[T any] struct {
	Result T `json:"result"`
}

// OSInfo is the agent's get-osinfo.
type OSInfo struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	PrettyName    string `json:"pretty-name"`
	Version       string `json:"version"`
	VersionID     string `json:"version-id"`
	KernelRelease string `json:"kernel-release"`
	KernelVersion string `json:"kernel-version"`
	Machine       string `json:"machine"`
}

// AgentOSInfo is GET …/agent/get-osinfo.
func (c *Client) AgentOSInfo(ctx context.Context, g GuestRef) (OSInfo, error) {
	return agentResult[OSInfo](ctx, c, g, "get-osinfo", objectBody)
}

// AgentHostName is GET …/agent/get-host-name.
func (c *Client) AgentHostName(ctx context.Context, g GuestRef) (string, error) {
	r, err := agentResult[struct {
		HostName string `json:"host-name"`
	}](ctx, c, g, "get-host-name", objectBody)
	return r.HostName, err
}

// IPAddress is one address of an interface.
type IPAddress struct {
	Address string `json:"ip-address"`
	Type    string `json:"ip-address-type"` // ipv4 or ipv6 (agent), inet or inet6 (container)
	Prefix  Int    `json:"prefix"`
}

// IPv4 reports whether the address is an IPv4 one.
func (a IPAddress) IPv4() bool { return a.Type == "ipv4" || a.Type == "inet" }

// Interface is one network interface inside a guest: the agent's network-get-interfaces, or a container's
// interfaces.
type Interface struct {
	Name      string      `json:"name"`
	MAC       string      `json:"hardware-address"`
	HWAddr    string      `json:"hwaddr"` // containers before PVE 9 name the MAC so
	Addresses []IPAddress `json:"ip-addresses"`
	Inet      string      `json:"inet"`  // containers: "A/P"
	Inet6     string      `json:"inet6"` // containers: "A/P"
}

// Addrs are the interface's addresses, from ip-addresses or, when a container answers without them, from
// inet and inet6.
func (i Interface) Addrs() []IPAddress {
	if len(i.Addresses) > 0 {
		return i.Addresses
	}
	var out []IPAddress
	for _, a := range []struct{ cidr, typ string }{{i.Inet, "inet"}, {i.Inet6, "inet6"}} {
		if addr, bits, ok := strings.Cut(a.cidr, "/"); ok {
			n, _ := strconv.Atoi(bits)
			out = append(out, IPAddress{Address: addr, Type: a.typ, Prefix: Int(n)})
		}
	}
	return out
}

// HardwareAddress is the interface's MAC.
func (i Interface) HardwareAddress() string {
	if i.MAC != "" {
		return i.MAC
	}
	return i.HWAddr
}

// AgentInterfaces is GET …/agent/network-get-interfaces.
func (c *Client) AgentInterfaces(ctx context.Context, g GuestRef) ([]Interface, error) {
	return agentResult[[]Interface](ctx, c, g, "network-get-interfaces", listBody)
}

// ContainerInterfaces is GET /nodes/N/lxc/V/interfaces; nil for a stopped container.
func (c *Client) ContainerInterfaces(ctx context.Context, g GuestRef) ([]Interface, error) {
	if g.Type != LXC {
		return nil, invalid(fmt.Errorf("%s is not a container", g))
	}
	p, err := g.path("interfaces")
	if err != nil {
		return nil, err
	}
	return get[[]Interface](ctx, c, p, nil, listBody, "read the interfaces of "+g.String())
}

// Filesystem is one mounted filesystem the agent's get-fsinfo reports.
type Filesystem struct {
	Name       string `json:"name"`
	Mountpoint string `json:"mountpoint"`
	Type       string `json:"type"`
	TotalBytes Int    `json:"total-bytes"`
	UsedBytes  Int    `json:"used-bytes"`
}

// AgentFilesystems is GET …/agent/get-fsinfo.
func (c *Client) AgentFilesystems(ctx context.Context, g GuestRef) ([]Filesystem, error) {
	return agentResult[[]Filesystem](ctx, c, g, "get-fsinfo", listBody)
}

// maxExecInput is the schema's maxLength of input-data.
const maxExecInput = 64 << 10

// ExecRequest describes POST …/agent/exec: argv is the program and its arguments, each passed as it is (no
// shell parses them); input, when hasInput, is the program's standard input. Its answer (Write) is the
// process id; ExecStatus tells how it ended.
func ExecRequest(g GuestRef, argv []string, input string, hasInput bool) (Request, error) {
	if g.Type != Qemu {
		return Request{}, invalid(fmt.Errorf("%s has no QEMU guest agent: only VMs run commands through it", g))
	}
	if len(argv) == 0 || argv[0] == "" {
		return Request{}, invalid(errors.New("the command needs a program: its first element"))
	}
	for _, a := range argv {
		if strings.ContainsRune(a, 0) {
			return Request{}, invalid(errors.New("the command holds a NUL character"))
		}
	}
	if len(input) > maxExecInput {
		return Request{}, invalid(fmt.Errorf("input is %d bytes, more than the agent takes (%d)", len(input), maxExecInput))
	}
	vars, err := g.vars()
	if err != nil {
		return Request{}, err
	}
	args := map[string]any{"command": argv}
	if hasInput {
		args["input-data"] = input
	}
	return checked("POST", "/nodes/{node}/qemu/{vmid}/agent/exec", vars, args)
}

// ExecStarted is the answer to an exec request.
type ExecStarted struct {
	PID Int `json:"pid"`
}

// ExecStatus is GET …/agent/exec-status: Exited is false while the process runs. Once it has exited the
// agent hands out its status once and forgets it.
type ExecStatus struct {
	Exited       Bool   `json:"exited"`
	ExitCode     *Int   `json:"exitcode"`
	Signal       *Int   `json:"signal"`
	OutData      string `json:"out-data"`
	ErrData      string `json:"err-data"`
	OutTruncated Bool   `json:"out-truncated"`
	ErrTruncated Bool   `json:"err-truncated"`
}

// ExecStatus reads the status of process pid of an exec. The answer carries the whole output the agent kept
// (up to 16 MiB of each stream): it is bounded by the client's maximum, not by an object's.
func (c *Client) ExecStatus(ctx context.Context, g GuestRef, pid int) (ExecStatus, error) {
	p, err := g.agentPath("exec-status")
	if err != nil {
		return ExecStatus{}, err
	}
	if pid <= 0 {
		return ExecStatus{}, invalid(fmt.Errorf("process id %d", pid))
	}
	return get[ExecStatus](ctx, c, p, url.Values{"pid": {strconv.Itoa(pid)}}, wholeCluster, "read the command's status in "+g.String())
}

// WaitAgent polls a VM's agent (network-get-interfaces) until it answers with an address other than
// loopback and link-local, the bound passes, or the agent cannot come (not configured, VM stopped). It
// returns the last interfaces it read and whether they carry such an address. It polls on the client's task
// schedule (WithTaskPolling) and calls progress after every poll that found no address yet.
func (c *Client) WaitAgent(ctx context.Context, g GuestRef, bound time.Duration, progress func(elapsed time.Duration)) ([]Interface, bool, error) {
	start := time.Now()
	var last []Interface
	_, found, err := pollUntil(ctx, c, bound, func() (struct{}, bool, error) {
		ifs, err := c.AgentInterfaces(ctx, g)
		if problem, unavailable := AgentUnavailable(err); unavailable && problem == AgentNotRunning {
			err = nil // still booting, or the agent is not installed: only time tells
		} else if err == nil {
			last = ifs
		}
		if err == nil && !HasRoutableAddress(last) && progress != nil {
			progress(time.Since(start))
		}
		return struct{}{}, err == nil && HasRoutableAddress(last), err
	})
	return last, found, err
}

// HasRoutableAddress reports whether any interface has an address other than loopback and link-local.
func HasRoutableAddress(ifs []Interface) bool {
	for _, i := range ifs {
		for _, a := range i.Addrs() {
			if Routable(a.Address) {
				return true
			}
		}
	}
	return false
}

// Routable reports whether an address is a valid IP address other than loopback and link-local.
func Routable(addr string) bool {
	a, err := netip.ParseAddr(addr)
	return err == nil && !a.IsLoopback() && !a.IsLinkLocalUnicast() && !a.IsUnspecified()
}

// WaitExec polls the status of process pid of an exec until it has exited or the bound passes. done is false
// when it still runs: the agent keeps it, and one later exec-status collects it.
func (c *Client) WaitExec(ctx context.Context, g GuestRef, pid int, bound time.Duration) (st ExecStatus, done bool, err error) {
	return pollUntil(ctx, c, bound, func() (ExecStatus, bool, error) {
		st, err := c.ExecStatus(ctx, g, pid)
		return st, err == nil && bool(st.Exited), err
	})
}

// pollUntil calls check on the client's task schedule until it reports done, fails, or the bound passes.
func pollUntil[T any](ctx context.Context, c *Client, bound time.Duration, check func() (T, bool, error)) (T, bool, error) {
	deadline := time.NewTimer(bound)
	defer deadline.Stop()
	interval := c.poll.fast
	for polls := 1; ; polls++ {
		v, done, err := check()
		if err != nil || done {
			return v, done, err
		}
		if polls > c.poll.fastPolls {
			interval = min(interval*3/2, c.poll.longest)
		}
		select {
		case <-ctx.Done():
			return v, false, ctx.Err()
		case <-deadline.C:
			return v, false, nil
		case <-c.after(interval):
		}
	}
}
