package tools

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve"
)

// A provision is five steps, each of which first looks at the guest and does nothing when it finds its work
// done: clone the template, set cloud-init and size options, grow the boot disk, start, wait for the guest
// agent to report an address. So calling again with the same arguments and the vmid the first call reported
// continues where the first stopped (the bound wait_seconds, a task still running, a failure since fixed),
// never repeating what is done. A failed step stops the provision; nothing is ever destroyed here, and the
// result says what exists and how to remove it.

type provisionArgs struct {
	Template    int     `json:"template" arg:"required" check:"vmid" desc:"Template vmid"`
	VMID        int     `json:"vmid" check:"vmid" desc:"New vmid, or one to resume"`
	Name        string  `json:"name" arg:"required" check:"dnsname" desc:"VM name"`
	Full        bool    `json:"full" desc:"Full clone, not linked"`
	CIUser      string  `json:"ciuser" maxlen:"32" desc:"Cloud-init user"`
	SSHKeys     *string `json:"sshkeys" maxlen:"16384" desc:"SSH public keys"`
	IPConfig    string  `json:"ipconfig0" maxlen:"256" desc:"Default: the template's"`
	Cores       int     `json:"cores" min:"1" max:"1024" desc:"CPU cores"`
	Memory      int     `json:"memory" min:"16" max:"4194304" desc:"MiB"`
	DiskGiB     int     `json:"disk_gib" min:"1" max:"65536" desc:"Grow boot disk to GiB"`
	WaitSeconds int     `json:"wait_seconds" min:"1" max:"600" desc:"Bound on the whole call"`
	writeArgs
}

// The steps, in order.
const (
	stepClone     = "clone"
	stepConfigure = "configure"
	stepResize    = "resize"
	stepStart     = "start"
	stepAgent     = "agent"
)

// A step's status: done (found done already), ok (done now), skipped (nothing asked of it, or nothing to do:
// its note says why), dry_run, running (its task goes on past the bound), failed, not_reached. A note is a
// sentence of its own, after the step's request.
type stepView struct {
	Step    string  `json:"step"`
	Status  string  `json:"status"`
	Request string  `json:"request,omitempty"`
	UPID    string  `json:"upid,omitempty"`
	Seconds float64 `json:"seconds,omitempty"`
	Note    string  `json:"note,omitempty"`
}

// addNote adds a sentence to the step's note.
func (s *stepView) addNote(more string) {
	switch {
	case more == "":
	case s.Note == "":
		s.Note = more
	default:
		s.Note = strings.TrimSuffix(s.Note, ".") + ". " + more
	}
}

type provisionResult struct {
	Status  string     `json:"status" enum:"dry_run|running|ok|failed"`
	VMID    int        `json:"vmid"`
	Node    string     `json:"node" out:"-"`
	Name    string     `json:"name" out:"-"`
	IPs     []string   `json:"ips"`
	Steps   []stepView `json:"steps" out:"-"`
	Seconds float64    `json:"seconds" out:"-"`
	Next    string     `json:"next,omitempty" out:"-"`    // what to do now: continue, or clean up
	Cluster string     `json:"cluster,omitempty" out:"-"` // with several clusters, the one it made the VM in
	// requests are every write sent (or, in a dry run, that would be), for the audit.
	requests []string
	lastUPID string
	sent     bool
}

func (r *provisionResult) Failed() bool { return r.Status == "failed" }

func (r *provisionResult) ref() string {
	return (&guestView{VMID: r.VMID, Type: string(pve.Qemu), Name: r.Name, Node: r.Node, Cluster: r.Cluster}).ref()
}

func (r *provisionResult) Summary() string {
	var b strings.Builder
	switch r.Status {
	case "dry_run":
		fmt.Fprintf(&b, "Dry run of provisioning %s: nothing was sent. In order it would send:", r.ref())
	case "ok":
		fmt.Fprintf(&b, "Provisioned %s in %.1fs: %s.", r.ref(), r.Seconds, ipList(r.IPs))
	case "running":
		fmt.Fprintf(&b, "Provisioning %s is not finished after %.0fs.", r.ref(), r.Seconds)
	case "failed":
		fmt.Fprintf(&b, "Provisioning %s stopped: a step failed.", r.ref())
	}
	for _, s := range r.Steps {
		fmt.Fprintf(&b, "\n- %s: %s", s.Step, strings.ReplaceAll(s.Status, "_", " "))
		if s.Request != "" {
			fmt.Fprintf(&b, " %s", s.Request)
		}
		if s.UPID != "" {
			fmt.Fprintf(&b, ", task %s", s.UPID)
		}
		if s.Seconds > 0 {
			fmt.Fprintf(&b, " (%.1fs)", s.Seconds)
		}
		if s.Note != "" {
			b.WriteString(". " + s.Note)
		}
	}
	if r.Next != "" {
		b.WriteString("\n" + r.Next)
	}
	b.WriteString("\n" + inlineLegend)
	return b.String()
}

func ipList(ips []string) string {
	if len(ips) == 0 {
		return "no address reported"
	}
	return "address " + strings.Join(ips, ", ")
}

// outcome is the audit record of the whole call: every write it sent, in order.
func (r *provisionResult) outcome() gate.Outcome {
	o := gate.Outcome{Target: r.ref(), Request: strings.Join(r.requests, "; "), UPID: r.lastUPID, Result: r.Status}
	switch {
	case r.Status == "dry_run":
		o.Decision, o.Result = gate.DryRun, ""
	case r.Status == "failed":
		o.Decision = gate.Failed
		for _, s := range r.Steps {
			if s.Status == "failed" {
				o.Error = s.Step + ": " + s.Note
			}
		}
	case r.sent:
		o.Decision = gate.Sent
	default:
		o.Decision = gate.Unneeded
	}
	return o
}

// provision is one call's run through the steps.
type provision struct {
	e        *env
	c        *call
	a        *provisionArgs
	res      *provisionResult
	ref      pve.GuestRef
	tpl      pve.Guest
	set      map[string]string // the options the configure step makes sure of
	cfg      pve.GuestConfig   // the new VM's (in a dry run of a new VM: the template's)
	exists   bool              // the VM existed before this step ran
	start    time.Time
	deadline time.Time
}

func provisionVM(ctx context.Context, e *env, c *call, a *provisionArgs) (*provisionResult, error) {
	p := &provision{e: e, c: c, a: a, start: time.Now()}
	budget := e.defaultWait
	if a.WaitSeconds > 0 {
		budget = time.Duration(a.WaitSeconds) * time.Second
	}
	p.deadline = p.start.Add(budget)
	// Everything is checked before the first request.
	ca := configArgs{CIUser: a.CIUser, Cores: a.Cores, Memory: a.Memory}
	if a.SSHKeys != nil {
		if strings.TrimSpace(*a.SSHKeys) == "" {
			// `sshkeys="$(cat ~/.ssh/id_ed25519.pub)"` with no such file: a VM nobody can log in to.
			return nil, &ArgError{Problems: []string{"sshkeys: empty; give the public keys (what a .pub file holds), or leave sshkeys out"}}
		}
		ca.SSHKeys = a.SSHKeys
	}
	if a.IPConfig != "" {
		ca.IPConfig = []string{a.IPConfig}
	}
	set, _, err := ca.options()
	var ae *ArgError
	if errors.As(err, &ae) {
		// configArgs names the NICs' list; this tool's argument is the first NIC's own.
		for i, p := range ae.Problems {
			if rest, ok := strings.CutPrefix(p, "ipconfig[0]"); ok {
				ae.Problems[i] = "ipconfig0" + rest
			}
		}
	}
	if err != nil {
		return nil, err
	}
	p.set = set
	if a.VMID == a.Template {
		return nil, &ArgError{Problems: []string{"vmid: it is the template's own; give another, or none for the next free one"}}
	}
	if p.tpl, err = e.target(ctx, c, vmidArg{VMID: a.Template}); err != nil {
		return nil, err
	}
	if p.tpl.Type != pve.Qemu || !p.tpl.Template {
		return nil, &ArgError{Problems: []string{fmt.Sprintf("template: %d is not a VM template (proxmox_list_templates lists them)", a.Template)}}
	}
	if len(set) > 0 {
		// The configure step's request, checked against the schema now (on the template's path: the new VM's
		// is alike), so that a value Proxmox would refuse stops the call before a clone exists.
		if _, err := pve.ConfigRequest(pve.GuestRef{Node: p.tpl.Node, Type: pve.Qemu, VMID: p.tpl.VMID}, pve.ConfigChange{Set: set}); err != nil {
			return nil, err
		}
	}
	vmid := a.VMID
	if vmid != 0 {
		g, err := c.pve.Locate(ctx, vmid, "")
		switch {
		case err == nil:
			// a clone in progress may not carry its name yet
			if g.Type != pve.Qemu || g.Template || g.Name != a.Name && g.Lock != "clone" || g.Node != p.tpl.Node {
				return nil, &ArgError{Problems: []string{fmt.Sprintf("vmid: %d exists and is not the VM %s a provision from %d would have made; give another vmid, or none for the next free one", vmid, a.Name, a.Template)}}
			}
			p.exists = true
		case !errors.Is(err, pve.ErrNotFound):
			return nil, err
		}
	} else if vmid, err = c.pve.NextID(ctx); err != nil {
		return nil, err
	}
	p.ref = pve.GuestRef{Node: p.tpl.Node, Type: pve.Qemu, VMID: vmid}
	p.res = &provisionResult{VMID: vmid, Node: clean(p.tpl.Node, maxName), Name: a.Name, IPs: []string{}, Steps: []stepView{}}
	if e.clusters.declared && len(c.targets) > 0 {
		p.res.Cluster = c.targets[0].Name
	}
	p.c = p.monotonic(c)
	for _, step := range []func(context.Context) stepView{p.clone, p.configure, p.resize, p.power, p.agent} {
		s := step(ctx)
		p.res.Steps = append(p.res.Steps, s)
		if s.Status == "running" || s.Status == "failed" {
			break
		}
	}
	p.finish(ctx)
	return p.res, nil
}

// withWait is the env for a call whose writes wait for their tasks at most d (a provision spends one budget
// across its steps), instead of PROXMOX_WAIT_SECONDS.
func (e *env) withWait(d time.Duration) *env {
	cp := *e
	cp.defaultWait = max(d, time.Millisecond)
	return &cp
}

// monotonic makes the call's progress count up across the steps' tasks, as MCP wants progress to grow.
func (p *provision) monotonic(c *call) *call {
	if c.progress == nil {
		return c
	}
	var n atomic.Int64
	cp := *c
	cp.progress = func(label string, pr pve.Progress) {
		pr.Polls = int(n.Add(1))
		c.progress(label, pr)
	}
	return &cp
}

func (p *provision) remaining() time.Duration { return time.Until(p.deadline) }

// send runs one step's task-starting write through the one write path, waiting at most what is left.
func (p *provision) send(ctx context.Context, s *stepView, req pve.Request, what string) {
	p.note(req)
	view := guestView{VMID: p.ref.VMID, Type: string(pve.Qemu), Name: p.a.Name, Node: p.ref.Node}
	w, err := p.e.withWait(p.remaining()).send(ctx, p.c, &writeResult{action: "provision " + s.Step, Target: &view, what: what}, req)
	s.Request = req.Method() + " /api2/json" + req.Path()
	if v := viewRequest(req); len(v.Params) > 0 {
		s.Request += " with " + formatParams(v.Params)
	}
	if err != nil {
		s.Status, s.Note = "failed", explain(err)
		return
	}
	s.UPID, s.Seconds = w.UPID, w.Seconds
	if w.consent != "" {
		s.addNote(w.Note) // what became of the person's approval
	}
	if w.UPID != "" {
		p.res.sent, p.res.lastUPID = true, w.UPID
	}
	switch w.Status {
	case "dry_run", "ok", "running":
		s.Status = w.Status
		if w.lost {
			s.Note = w.Note
		}
	default:
		s.Status, s.Note = "failed", "The task ended "+statusText(w.ExitStatus)
		if len(w.LogTail) > 0 {
			s.Note += "; its log ends: " + inline(w.LogTail[len(w.LogTail)-1], maxValue)
		}
	}
}

// note records a write for the audit and the dry run.
func (p *provision) note(req pve.Request) {
	p.res.requests = append(p.res.requests, req.String())
}

// due says whether the bound leaves time for a step.
func (p *provision) due(name string) (stepView, bool) {
	if p.remaining() <= 0 && !p.c.dryRun() {
		return stepView{Step: name, Status: "running", Note: "The bound wait_seconds was reached before this step began"}, false
	}
	return stepView{Step: name}, true
}

func (p *provision) clone(ctx context.Context) stepView {
	s, ok := p.due(stepClone)
	if !ok {
		return s
	}
	if p.exists {
		st, err := p.c.pve.GuestStatus(ctx, p.ref)
		if err != nil {
			s.Status, s.Note = "failed", explain(err)
			return s
		}
		if st.Lock == "clone" && !p.c.dryRun() {
			// an earlier call's clone is still copying: wait for it as for any task of this call
			lock, err := p.c.pve.WaitUnlocked(ctx, p.ref, p.remaining())
			switch {
			case err != nil:
				s.Status, s.Note = "failed", explain(err)
				return s
			case lock != "":
				s.Status, s.Note = "running", "The clone an earlier call started is still copying"
				return s
			}
		}
		s.Status = "done"
		return p.readConfig(ctx, s)
	}
	req, err := pve.CloneRequest(p.tpl.Ref(), pve.CloneOptions{NewID: p.ref.VMID, Name: p.a.Name, Full: p.a.Full})
	if err != nil {
		s.Status, s.Note = "failed", explain(err)
		return s
	}
	how := "linked"
	if p.a.Full {
		how = "full"
	}
	p.send(ctx, &s, req, fmt.Sprintf("%s clone of template %d to VM %d", how, p.a.Template, p.ref.VMID))
	switch s.Status {
	case "dry_run":
		// what the clone will have: the template's configuration under the new name
		cfg, err := p.c.pve.GuestConfig(ctx, p.tpl.Ref())
		if err != nil {
			s.Status, s.Note = "failed", explain(err)
			return s
		}
		cfg["name"] = p.a.Name
		p.cfg = cfg
		return s
	case "ok":
		return p.readConfig(ctx, s)
	}
	return s
}

// readConfig reads the new VM's configuration for the steps after the clone.
func (p *provision) readConfig(ctx context.Context, s stepView) stepView {
	cfg, err := p.c.pve.GuestConfig(ctx, p.ref)
	if err != nil {
		s.Status, s.Note = "failed", "The VM's configuration could not be read: "+explain(err)
		return s
	}
	p.cfg = cfg
	return s
}

func (p *provision) configure(ctx context.Context) stepView {
	s, ok := p.due(stepConfigure)
	if !ok {
		return s
	}
	diff := map[string]string{}
	var keys []string
	for _, k := range sortedKeys(p.set) {
		if !sameOption(k, p.cfg.String(k), p.set[k]) {
			diff[k] = p.set[k]
			keys = append(keys, k)
		}
	}
	switch {
	case len(p.set) == 0:
		s.Status = "skipped"
		return s
	case len(diff) == 0:
		s.Status = "done"
		return s
	}
	req, err := pve.ConfigRequest(p.ref, pve.ConfigChange{Set: diff, Digest: p.cfg.String("digest")})
	if err != nil {
		s.Status, s.Note = "failed", explain(err)
		return s
	}
	p.note(req)
	s.Request = req.Method() + " /api2/json" + req.Path()
	s.Note = "Sets " + strings.Join(keys, ", ")
	view := guestView{VMID: p.ref.VMID, Type: string(pve.Qemu), Name: p.a.Name, Node: p.ref.Node}
	w, err := p.e.send(ctx, p.c, &writeResult{action: "provision configure", Target: &view,
		what: fmt.Sprintf("set %s of VM %d", strings.Join(keys, ", "), p.ref.VMID)}, req)
	if err != nil {
		s.Status, s.Note = "failed", explain(err)
		return s
	}
	if w.Status == "dry_run" {
		s.Status = "dry_run"
		for k, v := range diff {
			p.cfg[k] = v
		}
		return s
	}
	p.res.sent = true
	s.Status = "ok"
	if w.consent != "" {
		s.addNote(w.Note)
	}
	return p.readConfig(ctx, s)
}

// bootDisk is the VM's first disk in its boot order, else its first disk.
func bootDisk(cfg pve.GuestConfig) string {
	isDisk := func(k string) bool {
		v := cfg.String(k)
		return v != "" && pve.ValidDiskKey(k) == nil && k != "efidisk0" && k != "tpmstate0" && !strings.Contains(v, "media=cdrom")
	}
	if order, ok := strings.CutPrefix(cfg.String("boot"), "order="); ok {
		for _, k := range strings.Split(order, ";") {
			if isDisk(k) {
				return k
			}
		}
	}
	for _, k := range []string{"scsi0", "virtio0", "sata0", "ide0"} {
		if isDisk(k) {
			return k
		}
	}
	return ""
}

func (p *provision) resize(ctx context.Context) stepView {
	s, ok := p.due(stepResize)
	if !ok {
		return s
	}
	if p.a.DiskGiB == 0 {
		s.Status = "skipped"
		return s
	}
	disk := bootDisk(p.cfg)
	if disk == "" {
		s.Status, s.Note = "failed", "The VM has no disk to grow"
		return s
	}
	have, want := pve.DiskSize(p.cfg.String(disk)), int64(p.a.DiskGiB)<<30
	switch {
	case have == want:
		// found done: the clone has the size asked (the template's, or grown by an earlier call); nothing is sent
		s.Status, s.Note = "done", fmt.Sprintf("The disk %s is %s already, the size asked: nothing to grow", disk, fmtBytes(have))
		return s
	case have > want:
		s.Status, s.Note = "skipped", fmt.Sprintf("The disk %s is %s, more than the %s asked: a disk is never shrunk", disk, fmtBytes(have), fmtBytes(want))
		return s
	}
	req, err := pve.ResizeRequest(p.ref, disk, sizeParam(want))
	if err != nil {
		s.Status, s.Note = "failed", explain(err)
		return s
	}
	s.Note = fmt.Sprintf("Grows %s from %s to %s", disk, fmtBytes(have), fmtBytes(want))
	p.send(ctx, &s, req, fmt.Sprintf("grow %s of VM %d to %s", disk, p.ref.VMID, fmtBytes(want)))
	return s
}

func (p *provision) power(ctx context.Context) stepView {
	s, ok := p.due(stepStart)
	if !ok {
		return s
	}
	if !p.c.dryRun() || p.exists {
		st, err := p.c.pve.GuestStatus(ctx, p.ref)
		if err != nil {
			s.Status, s.Note = "failed", explain(err)
			return s
		}
		if st.Status == "running" {
			s.Status = "done"
			return s
		}
	}
	req, err := pve.PowerRequest(p.ref, pve.ActionStart, 0, false)
	if err != nil {
		s.Status, s.Note = "failed", explain(err)
		return s
	}
	p.send(ctx, &s, req, fmt.Sprintf("start VM %d", p.ref.VMID))
	return s
}

func (p *provision) agent(ctx context.Context) stepView {
	s, ok := p.due(stepAgent)
	if !ok {
		return s
	}
	if !agentOn(p.cfg.String("agent")) {
		s.Status, s.Note = "skipped", "The template does not enable the guest agent, so Proxmox cannot tell the VM's address: look it up in your DHCP server, or enable the agent in the template"
		return s
	}
	if p.c.dryRun() {
		s.Status, s.Request = "dry_run", "GET /api2/json"+fmt.Sprintf("/nodes/%s/qemu/%d/agent/network-get-interfaces", p.ref.Node, p.ref.VMID)
		s.Note = "Read until the agent reports an address"
		return s
	}
	began := time.Now()
	label := fmt.Sprintf("provision %d: guest agent", p.ref.VMID)
	progress := func(elapsed time.Duration) {
		if p.c.progress != nil {
			p.c.progress(label, pve.Progress{Elapsed: elapsed, Status: "running", UPID: pve.UPID{Type: "agent"}})
		}
	}
	ifs, found, err := p.c.pve.WaitAgent(ctx, p.ref, p.remaining(), progress)
	s.Seconds = time.Since(began).Round(100 * time.Millisecond).Seconds()
	switch {
	case err != nil:
		s.Status, s.Note = "failed", explain(err)
		if _, unavailable := pve.AgentUnavailable(err); unavailable {
			s.Note += " " + agentHint(err)
		}
	case !found:
		s.Status, s.Note = "running", "The guest agent has not reported an address yet"
	default:
		s.Status = "ok"
		p.res.IPs = routableIPs(viewInterfaces(ifs))
	}
	return s
}

// routableIPs are the interfaces' addresses other than loopback and link-local, IPv4 first.
func routableIPs(ifs []ifaceView) []string {
	var v4, v6 []string
	for _, i := range ifs {
		for _, list := range []struct {
			cidrs []string
			dst   *[]string
		}{{i.IPv4, &v4}, {i.IPv6, &v6}} {
			for _, a := range list.cidrs {
				if ip, _, _ := strings.Cut(a, "/"); pve.Routable(ip) {
					*list.dst = append(*list.dst, ip)
				}
			}
		}
	}
	return append(append([]string{}, v4...), v6...)
}

// agentOn reads the agent option ("1", "enabled=1,…"): whether the VM has an agent channel.
func agentOn(v string) bool {
	for i, part := range strings.Split(v, ",") {
		if i == 0 && part == "1" || part == "enabled=1" {
			return true
		}
	}
	return false
}

// finish sets the overall status and says what to do next.
func (p *provision) finish(ctx context.Context) {
	r := p.res
	r.Seconds = time.Since(p.start).Round(100 * time.Millisecond).Seconds()
	r.Status = "ok"
	var last stepView
	for _, s := range r.Steps {
		last = s
		switch s.Status {
		case "dry_run", "running", "failed":
			r.Status = s.Status
		}
	}
	for _, name := range []string{stepClone, stepConfigure, stepResize, stepStart, stepAgent}[len(r.Steps):] {
		r.Steps = append(r.Steps, stepView{Step: name, Status: "not_reached"})
	}
	again := fmt.Sprintf("call proxmox_provision_vm again with the same arguments and vmid=%d", r.VMID)
	switch r.Status {
	case "dry_run":
		r.Next = gate.DryRunNote(p.c.tool, p.c.permit.Tier, p.c.permit)
	case "running":
		r.Next = fmt.Sprintf("The %s step goes on. To continue, %s: finished steps are not repeated.", last.Step, again)
	case "failed":
		switch exists := p.exists || p.vmExists(ctx); {
		case exists:
			r.Next = fmt.Sprintf("What exists: VM %d %s on %s, from template %d. Nothing was destroyed. Fix the cause and %s to continue, or remove the VM with proxmox_destroy_resource vmid=%d (a destructive tool).",
				r.VMID, inline(r.Name, maxName), nodeText(r.Node), p.a.Template, again, r.VMID)
		default:
			r.Next = fmt.Sprintf("Nothing exists: no VM %d was made. Fix the cause and call again.", r.VMID)
		}
	}
}

// vmExists asks whether the VM is there now (a failed clone removes what it made).
func (p *provision) vmExists(ctx context.Context) bool {
	_, err := p.c.pve.GuestStatus(ctx, p.ref)
	return err == nil
}

// sameOption reports whether an option already has the value wanted; SSH keys are compared decoded, as
// Proxmox may store their encoding differently from how they were sent.
func sameOption(key, have, want string) bool {
	if key != "sshkeys" {
		return have == want
	}
	h, err1 := url.PathUnescape(have)
	w, err2 := url.PathUnescape(want)
	return err1 == nil && err2 == nil && strings.TrimSpace(h) == strings.TrimSpace(w)
}
