package pvesim

import (
	"strconv"
	"strings"
)

// addAgentRoutes models the guest agent commands a person reads a VM with (qemu-server's API2/Qemu/Agent.pm:
// each answers {"result": …} once assert_agent_available passes), exec and exec-status, and a container's
// interfaces. The agent's other commands are answered from the schema like any unmodelled operation.
func addAgentRoutes(add func(method, path, kind string, h func(*call) (reply, *apiError))) {
	const a = "/nodes/{node}/qemu/{vmid}/agent/"
	add("POST", a+"ping", "qemu", agentRead(func(w *jsonWriter, _ *guest) { w.Obj("result"); w.End() }))
	add("GET", a+"get-osinfo", "qemu", agentRead(writeOSInfo))
	add("GET", a+"get-host-name", "qemu", agentRead(func(w *jsonWriter, g *guest) {
		w.Obj("result")
		w.Str("host-name", g.hostname())
		w.End()
	}))
	add("GET", a+"network-get-interfaces", "qemu", agentRead(writeAgentNICs))
	add("GET", a+"get-fsinfo", "qemu", agentRead(writeFilesystems))
	add("POST", a+"exec", "qemu", (*call).agentExec)
	add("GET", a+"exec-status", "qemu", (*call).agentExecStatus)
	add("GET", "/nodes/{node}/lxc/{vmid}/interfaces", "lxc", (*call).containerInterfaces)
}

// agentGuest is the path's VM once its agent is known to answer.
func (c *call) agentGuest() (*guest, *apiError) {
	g, err := c.guest()
	if err != nil {
		return nil, err
	}
	if err := c.s.agentAvailable(g, c.now); err != nil {
		return nil, err
	}
	return g, nil
}

// agentRead answers an agent command with the object result writes (its "result" member).
func agentRead(result func(w *jsonWriter, g *guest)) func(*call) (reply, *apiError) {
	return func(c *call) (reply, *apiError) {
		g, err := c.agentGuest()
		if err != nil {
			return reply{}, err
		}
		var w jsonWriter
		w.Open()
		result(&w, g)
		w.End()
		return reply{data: rawJSON(w.b)}, nil
	}
}

func writeOSInfo(w *jsonWriter, g *guest) {
	s := g.system()
	w.Obj("result")
	w.Str("id", s.id)
	w.Str("kernel-release", s.kernel)
	w.Str("kernel-version", s.kernelVersion)
	w.Str("machine", "x86_64")
	w.Str("name", s.name)
	w.Str("pretty-name", s.pretty)
	w.Str("version", s.version)
	w.Str("version-id", s.versionID)
	w.End()
}

func writeAgentNICs(w *jsonWriter, g *guest) {
	w.Arr("result")
	for _, n := range g.nics() {
		w.Open()
		w.Str("name", n.name)
		w.Str("hardware-address", n.mac)
		w.Arr("ip-addresses")
		if n.ipv4 != "" {
			w.Open()
			w.Str("ip-address", n.ipv4)
			w.Str("ip-address-type", "ipv4")
			w.Int("prefix", int64(n.prefix4))
			w.End()
		}
		if n.ipv6 != "" {
			w.Open()
			w.Str("ip-address", n.ipv6)
			w.Str("ip-address-type", "ipv6")
			w.Int("prefix", int64(n.prefix6))
			w.End()
		}
		w.EndArr()
		w.Obj("statistics")
		for _, k := range []string{"rx-bytes", "rx-dropped", "rx-errs", "rx-packets", "tx-bytes", "tx-dropped", "tx-errs", "tx-packets"} {
			w.Int(k, 0)
		}
		w.End()
		w.End()
	}
	w.EndArr()
}

func writeFilesystems(w *jsonWriter, g *guest) {
	w.Arr("result")
	for _, f := range g.filesystems() {
		w.Open()
		w.Str("name", f.name)
		w.Str("mountpoint", f.mountpoint)
		w.Str("type", f.fstype)
		w.Int("total-bytes", f.total)
		w.Int("used-bytes", f.used)
		w.Arr("disk")
		w.Open()
		w.Str("bus-type", f.bus)
		w.Int("bus", 0)
		w.Int("target", 0)
		w.Int("unit", int64(f.unit))
		w.Str("dev", f.dev)
		w.Str("serial", f.serial)
		w.Obj("pci-controller")
		w.Int("domain", 0)
		w.Int("bus", 1)
		w.Int("slot", 1)
		w.Int("function", 0)
		w.End()
		w.End()
		w.EndArr()
		w.End()
	}
	w.EndArr()
}

// agentExec is POST …/agent/exec: the command arrives as repeated values, the program first; it answers the
// process id at once, and the process runs on (exec-status tells when it ends).
func (c *call) agentExec() (reply, *apiError) {
	g, err := c.agentGuest()
	if err != nil {
		return reply{}, err
	}
	argv := strings.Split(c.p["command"], "\x00")
	input, hasInput := c.p["input-data"]
	if argv[0] == "" {
		if !hasInput {
			return reply{}, fail("command or input-data (or both) required")
		}
		argv = []string{"sh"} // qemu-ga runs input-data alone as the default shell's script
	}
	p, err := c.s.exec(g, argv, input, c.now)
	if err != nil {
		return reply{}, err
	}
	var w jsonWriter
	w.Open()
	w.Int("pid", int64(p.pid))
	w.End()
	return reply{data: rawJSON(w.b)}, nil
}

// agentExecStatus is GET …/agent/exec-status: exited 0 while the process runs; once it has exited, its exit
// code and output, and the agent forgets it, so a second read of a finished process fails as in qemu-ga.
func (c *call) agentExecStatus() (reply, *apiError) {
	g, err := c.agentGuest()
	if err != nil {
		return reply{}, err
	}
	pid, _ := strconv.Atoi(c.p["pid"])
	c.s.procMu.Lock()
	defer c.s.procMu.Unlock()
	p := g.procs[pid]
	if p == nil {
		return reply{}, fail("VM %d qmp command 'guest-exec-status' failed - Invalid parameter 'pid'", g.vmid)
	}
	var w jsonWriter
	w.Open()
	if !p.exited(c.now) {
		w.Bit("exited", false)
		w.End()
		return reply{data: rawJSON(w.b)}, nil
	}
	delete(g.procs, pid)
	w.Bit("exited", true)
	w.Int("exitcode", int64(p.exit))
	if p.out != "" {
		w.Str("out-data", p.out)
	}
	if p.truncOut {
		w.Bit("out-truncated", true)
	}
	if p.err != "" {
		w.Str("err-data", p.err)
	}
	if p.truncErr {
		w.Bit("err-truncated", true)
	}
	w.End()
	return reply{data: rawJSON(w.b)}, nil
}

// containerInterfaces is GET /nodes/{node}/lxc/{vmid}/interfaces: what `ip addr` shows inside a running
// container; for a stopped one PVE finds no process and answers null.
func (c *call) containerInterfaces() (reply, *apiError) {
	g, err := c.guest()
	if err != nil {
		return reply{}, err
	}
	if !g.running {
		return reply{}, nil
	}
	var w jsonWriter
	w.OpenArr()
	for _, n := range g.nics() {
		w.Open()
		w.Str("name", n.name)
		w.Str("hwaddr", n.mac)
		w.Str("hardware-address", n.mac)
		if n.ipv4 != "" {
			w.Str("inet", n.ipv4+"/"+strconv.Itoa(n.prefix4))
		}
		if n.ipv6 != "" {
			w.Str("inet6", n.ipv6+"/"+strconv.Itoa(n.prefix6))
		}
		w.Arr("ip-addresses")
		for _, a := range []struct {
			addr, typ string
			prefix    int
		}{{n.ipv4, "inet", n.prefix4}, {n.ipv6, "inet6", n.prefix6}} {
			if a.addr == "" {
				continue
			}
			w.Open()
			w.Str("ip-address", a.addr)
			w.Str("ip-address-type", a.typ)
			w.Int("prefix", int64(a.prefix))
			w.End()
		}
		w.EndArr()
		w.End()
	}
	w.EndArr()
	return reply{data: rawJSON(w.b)}, nil
}
