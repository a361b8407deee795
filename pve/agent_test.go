package pve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mcp/proxmox-mcp/pve/pvesim"
	"github.com/proxmox-mcp/proxmox-mcp/redact"
)

// simClient is a client of a fresh demo cluster over TLS, polling fast.
func simClient(t testing.TB, opts ...pvesim.Option) (*pvesim.Server, *Client) {
	t.Helper()
	srv := pvesim.Serve(pvesim.New(pvesim.Default(), append([]pvesim.Option{pvesim.WithTaskDuration(10 * time.Millisecond)}, opts...)...))
	t.Cleanup(srv.Close)
	u, err := ParseBaseURL(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	fp, err := ParseFingerprint(srv.Fingerprint)
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Config{BaseURL: u, TokenID: pvesim.DefaultTokenID, Secret: redact.NewSecret(pvesim.DefaultTokenSecret),
		Fingerprint: fp, Timeout: 10 * time.Second}, WithTaskPolling(2*time.Millisecond, 10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return srv, c
}

// write sends a write that answers with data and decodes the data.
func write[T any](ctx context.Context, c *Client, req Request) (T, error) {
	var out T
	data, err := c.Write(ctx, req)
	if err == nil {
		err = json.Unmarshal(data, &out)
	}
	return out, err
}

var (
	vm101 = GuestRef{Node: "pve1", Type: Qemu, VMID: 101}
	vm104 = GuestRef{Node: "pve3", Type: Qemu, VMID: 104}
	ct200 = GuestRef{Node: "pve1", Type: LXC, VMID: 200}
)

func TestAgentReads(t *testing.T) {
	_, c := simClient(t)
	ctx := context.Background()
	os, err := c.AgentOSInfo(ctx, vm104)
	if err != nil || os.PrettyName != "Debian GNU/Linux 12 (bookworm)" || os.KernelRelease == "" {
		t.Errorf("osinfo %+v %v", os, err)
	}
	if h, err := c.AgentHostName(ctx, vm104); h != "k3s-server" || err != nil {
		t.Errorf("host name %q %v", h, err)
	}
	ifs, err := c.AgentInterfaces(ctx, vm104)
	if err != nil || len(ifs) != 2 || ifs[1].HardwareAddress() != "bc:24:11:41:00:68" || !HasRoutableAddress(ifs) || HasRoutableAddress(ifs[:1]) {
		t.Errorf("interfaces %+v %v", ifs, err)
	}
	fs, err := c.AgentFilesystems(ctx, vm104)
	if err != nil || len(fs) != 1 || fs[0].Mountpoint != "/" || fs[0].TotalBytes <= fs[0].UsedBytes {
		t.Errorf("filesystems %+v %v", fs, err)
	}
	cifs, err := c.ContainerInterfaces(ctx, ct200)
	var addrs []string
	for _, i := range cifs {
		for _, a := range i.Addrs() {
			addrs = append(addrs, fmt.Sprintf("%s %s/%d v4=%v", i.Name, a.Address, a.Prefix, a.IPv4()))
		}
	}
	if err != nil || !cmp.Equal(addrs[:3], []string{"lo 127.0.0.1/8 v4=true", "lo ::1/128 v4=false", "eth0 192.168.1.53/24 v4=true"}) {
		t.Errorf("container interfaces %v %v", addrs, err)
	}
	// the agent is a VM's; a container has its own interfaces call
	if _, err := c.AgentOSInfo(ctx, ct200); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("agent of a container: %v", err)
	}
	if _, err := c.ContainerInterfaces(ctx, vm101); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("container interfaces of a VM: %v", err)
	}
}

// TestAgentUnavailable tells qemu-server's three refusals apart, and nothing else for one of them.
func TestAgentUnavailable(t *testing.T) {
	srv, c := simClient(t)
	if err := srv.SetAgentInstalled(104, false); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		g    GuestRef
		want AgentProblem
	}{
		{GuestRef{Node: "pve1", Type: Qemu, VMID: 100}, AgentNotConfigured},
		{GuestRef{Node: "pve2", Type: Qemu, VMID: 103}, AgentVMStopped},
		{vm104, AgentNotRunning},
	} {
		_, err := c.AgentOSInfo(ctx, tc.g)
		if got, ok := AgentUnavailable(err); !ok || got != tc.want {
			t.Errorf("%s: %v %v (%v), want %v", tc.g, got, ok, err, tc.want)
		}
	}
	for _, err := range []error{nil, errors.New("x"), &APIError{Status: 500, Reason: "VM 100 is locked"}, &APIError{Status: 403, Reason: "No QEMU guest agent configured"}} {
		if p, ok := AgentUnavailable(err); ok {
			t.Errorf("%v counted as %v", err, p)
		}
	}
}

func TestExec(t *testing.T) {
	_, c := simClient(t)
	ctx := context.Background()
	req, err := ExecRequest(vm104, []string{"cat"}, "hello from stdin", true)
	if err != nil {
		t.Fatal(err)
	}
	if got := req.Params(); got.Get("input-data") != "hello from stdin" || got["command"][0] != "cat" || req.Path() != "/nodes/pve3/qemu/104/agent/exec" {
		t.Errorf("request %s %v", req, got)
	}
	var started ExecStarted
	if started, err = write[ExecStarted](ctx, c, req); err != nil || started.PID == 0 {
		t.Fatalf("exec: %v %+v", err, started)
	}
	st, err := c.ExecStatus(ctx, vm104, int(started.PID))
	if err != nil || !bool(st.Exited) || st.ExitCode == nil || *st.ExitCode != 0 || st.OutData != "hello from stdin" {
		t.Errorf("status %+v %v", st, err)
	}
	req, _ = ExecRequest(vm104, []string{"sh", "-c", "missing-tool"}, "", false)
	if started, err = write[ExecStarted](ctx, c, req); err != nil {
		t.Fatal(err)
	}
	if st, _ := c.ExecStatus(ctx, vm104, int(started.PID)); *st.ExitCode != 127 || !strings.Contains(st.ErrData, "not found") {
		t.Errorf("sh -c of a missing tool: %+v", st)
	}
	// refused before anything is sent
	for _, tc := range []struct {
		g     GuestRef
		argv  []string
		input string
	}{
		{vm104, nil, ""},
		{vm104, []string{""}, ""},
		{vm104, []string{"echo", "a\x00b"}, ""},
		{vm104, []string{"cat"}, strings.Repeat("x", 64<<10+1)},
		{ct200, []string{"hostname"}, ""},
		{GuestRef{Node: "pve1/../x", Type: Qemu, VMID: 104}, []string{"hostname"}, ""},
	} {
		if _, err := ExecRequest(tc.g, tc.argv, tc.input, tc.input != ""); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("%s %q: %v", tc.g, tc.argv, err)
		}
	}
	// a read-only context never starts a command
	req, _ = ExecRequest(vm104, []string{"hostname"}, "", false)
	if _, err := c.Write(ReadOnly(ctx), req); !errors.Is(err, ErrReadOnly) {
		t.Errorf("exec in a read-only context: %v", err)
	}
	if _, err := c.ExecStatus(ctx, vm104, 0); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("pid 0: %v", err)
	}
}

// TestWaitAgent: the wait ends when the agent reports an address, after the boot delay; it ends at once for a
// VM whose agent cannot come, and at the bound for one whose agent never answers.
func TestWaitAgent(t *testing.T) {
	srv, c := simClient(t, pvesim.WithAgentBootDelay(150*time.Millisecond))
	ctx := context.Background()
	g := GuestRef{Node: "pve2", Type: Qemu, VMID: 103}
	req, _ := PowerRequest(g, ActionStart, 0, false)
	u, err := c.Submit(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := c.WaitTask(ctx, u, WaitOptions{}); err != nil || !res.OK() {
		t.Fatalf("start: %+v %v", res, err)
	}
	polls := 0
	ifs, ok, err := c.WaitAgent(ctx, g, time.Minute, func(time.Duration) { polls++ })
	if err != nil || !ok || !HasRoutableAddress(ifs) {
		t.Errorf("wait: %v %v %+v", ok, err, ifs)
	}
	if polls == 0 {
		t.Error("the agent answered at once, before its boot delay")
	}
	if _, _, err := c.WaitAgent(ctx, GuestRef{Node: "pve1", Type: Qemu, VMID: 100}, time.Minute, nil); func() bool { p, _ := AgentUnavailable(err); return p != AgentNotConfigured }() {
		t.Errorf("no agent configured: %v", err)
	}
	if err := srv.SetAgentInstalled(104, false); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := c.WaitAgent(ctx, vm104, 30*time.Millisecond, nil); ok || err != nil {
		t.Errorf("an agent that never answers: %v %v", ok, err)
	}
}

func TestConfigRequests(t *testing.T) {
	srv, c := simClient(t)
	ctx := context.Background()
	req, err := ConfigRequest(vm104, ConfigChange{Set: map[string]string{"cores": "4", "name": "k3s-main", "ipconfig0": "ip=192.168.1.60/24,gw=192.168.1.1"}, Delete: []string{"tags"}})
	if err != nil {
		t.Fatal(err)
	}
	if req.ReturnsTask() {
		t.Error("a config change is said to start a task: Submit would take it")
	}
	if _, err := c.Submit(ctx, req); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("Submit of a change that starts no task: %v", err)
	}
	if req.Method() != "PUT" || req.Path() != "/nodes/pve3/qemu/104/config" || req.Params().Get("delete") != "tags" {
		t.Errorf("request %s %v", req, req.Params())
	}
	if _, err := c.Write(ctx, req); err != nil {
		t.Fatal(err)
	}
	pending, err := c.PendingConfig(ctx, vm104)
	if err != nil {
		t.Fatal(err)
	}
	var changed []string
	for _, p := range pending {
		if p.IsPending() {
			changed = append(changed, p.Key+"="+string(*p.Pending))
		}
	}
	if !cmp.Equal(changed, []string{"cores=4"}) {
		t.Errorf("pending: %v", changed)
	}
	if g, _ := srv.Guest(104); g.Name != "k3s-main" || g.Config["ipconfig0"] != "ip=192.168.1.60/24,gw=192.168.1.1" || g.Tags != "" {
		t.Errorf("after the change: %+v", g)
	}
	// the schema refuses before anything is sent
	for _, ch := range []ConfigChange{
		{},
		{Set: map[string]string{"cores": "0"}},
		{Set: map[string]string{"memory": "lots"}},
		{Set: map[string]string{"ipconfig0": "ip=not-an-address"}},
		{Set: map[string]string{"no-such-option": "1"}},
		{Set: map[string]string{"cores": "2"}, Delete: []string{"cores"}},
		{Set: map[string]string{"name": "bad name"}},
	} {
		if _, err := ConfigRequest(vm104, ch); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("%+v: %v", ch, err)
		}
	}
	if _, err := ConfigRequest(ct200, ConfigChange{Set: map[string]string{"ciuser": "ops"}}); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("cloud-init on a container: %v", err)
	}
}

func TestResizeAndMigrateRequests(t *testing.T) {
	srv, c := simClient(t)
	ctx := context.Background()
	req, err := ResizeRequest(vm104, "scsi0", "+8G")
	if err != nil {
		t.Fatal(err)
	}
	if !req.ReturnsTask() {
		t.Error("a resize is said to start no task")
	}
	u, err := c.Submit(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := c.WaitTask(ctx, u, WaitOptions{}); err != nil || !res.OK() {
		t.Fatalf("resize %+v %v", res, err)
	}
	if g, _ := srv.Guest(104); !strings.HasSuffix(g.Config["scsi0"], "size=40G") {
		t.Errorf("scsi0 %s", g.Config["scsi0"])
	}
	for _, tc := range [][2]string{{"scsi0", "-1G"}, {"scsi0", "ten"}, {"rootfs", "+1G"}, {"scsi99", "+1G"}} {
		if _, err := ResizeRequest(vm104, tc[0], tc[1]); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("resize %v: %v", tc, err)
		}
	}
	m, err := c.MigrationCheck(ctx, vm101, "pve2")
	if err != nil || !m.Running || !cmp.Equal(m.LocalResources, []string{"usb0"}) || !cmp.Equal(m.Allowed, []string{"pve2", "pve3"}) || len(m.LocalDisks) != 2 {
		t.Errorf("preconditions of 101: %+v %v", m, err)
	}
	if m, err := c.MigrationCheck(ctx, ct200, ""); err != nil || !m.Running || len(m.Allowed) != 2 {
		t.Errorf("preconditions of 200: %+v %v", m, err)
	}
	req, err = MigrateRequest(vm104, MigrateOptions{Target: "pve1", Online: true, WithLocalDisks: true})
	if err != nil {
		t.Fatal(err)
	}
	if p := req.Params(); p.Get("online") != "1" || p.Get("with-local-disks") != "1" || p.Get("target") != "pve1" {
		t.Errorf("migrate params %v", p)
	}
	for _, o := range []struct {
		g GuestRef
		o MigrateOptions
	}{
		{vm104, MigrateOptions{Target: "pve3"}},
		{vm104, MigrateOptions{Target: "-bad"}},
		{vm104, MigrateOptions{Target: "pve1", Restart: true}},
		{ct200, MigrateOptions{Target: "pve2", WithLocalDisks: true}},
	} {
		if _, err := MigrateRequest(o.g, o.o); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("%s %+v: %v", o.g, o.o, err)
		}
	}
}

func TestText(t *testing.T) {
	for in, want := range map[string]Text{`"4096"`: "4096", `4096`: "4096", `1.5`: "1.5", `true`: "1", `false`: "0", `null`: ""} {
		var got Text
		if err := got.UnmarshalJSON([]byte(in)); err != nil || got != want {
			t.Errorf("%s: %q %v", in, got, err)
		}
	}
	for _, in := range []string{`{}`, `[1]`, `nope`} {
		var got Text
		if err := got.UnmarshalJSON([]byte(in)); err == nil {
			t.Errorf("%s decoded as %q", in, got)
		}
	}
}

// TestWaitExecAndUnlocked: a wait ends when the process exits or the lock goes, and at the bound otherwise,
// leaving the process to a later collection.
func TestWaitExecAndUnlocked(t *testing.T) {
	srv, c := simClient(t)
	ctx := context.Background()
	start := func(argv ...string) int {
		req, err := ExecRequest(vm104, argv, "", false)
		if err != nil {
			t.Fatal(err)
		}
		s, err := write[ExecStarted](ctx, c, req)
		if err != nil {
			t.Fatal(err)
		}
		return int(s.PID)
	}
	pid := start("sleep", "0.05")
	if st, done, err := c.WaitExec(ctx, vm104, pid, time.Minute); !done || err != nil || *st.ExitCode != 0 {
		t.Errorf("sleep 0.05: %+v %v %v", st, done, err)
	}
	pid = start("sleep", "3600")
	if _, done, err := c.WaitExec(ctx, vm104, pid, 20*time.Millisecond); done || err != nil {
		t.Errorf("sleep 3600 within 20ms: %v %v", done, err)
	}
	if st, err := c.ExecStatus(ctx, vm104, pid); err != nil || st.Exited {
		t.Errorf("the process was lost after the bound: %+v %v", st, err)
	}
	srv.SetTaskDuration("qmclone", 80*time.Millisecond)
	req, _ := CloneRequest(GuestRef{Node: "pve1", Type: Qemu, VMID: 9000}, CloneOptions{NewID: 150, Name: "w"})
	if _, err := c.Submit(ctx, req); err != nil {
		t.Fatal(err)
	}
	g := GuestRef{Node: "pve1", Type: Qemu, VMID: 150}
	if lock, err := c.WaitUnlocked(ctx, g, time.Millisecond); lock != "clone" || err != nil {
		t.Errorf("during the clone: %q %v", lock, err)
	}
	if lock, err := c.WaitUnlocked(ctx, g, time.Minute); lock != "" || err != nil {
		t.Errorf("after the clone: %q %v", lock, err)
	}
}

func TestDiskSizes(t *testing.T) {
	for in, want := range map[string][2]int64{"+10G": {10 << 30, 1}, "40G": {40 << 30, 0}, "512M": {512 << 20, 0}, "1.5T": {3 << 39, 0}, "1024": {1024, 0}, "+1K": {1024, 1}} {
		n, rel, err := ParseDiskSize(in)
		if err != nil || n != want[0] || rel != (want[1] == 1) {
			t.Errorf("%s: %d %v %v", in, n, rel, err)
		}
	}
	for _, in := range []string{"", "-1G", "10GB", "ten", "+", "1e3G", "10g", "99999999999999G"} {
		if _, _, err := ParseDiskSize(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
	if n := DiskSize("local-lvm:vm-100-disk-0,iothread=1,size=32G"); n != 32<<30 {
		t.Errorf("size of a disk: %d", n)
	}
	if n := DiskSize("local:iso/x.iso,media=cdrom"); n != 0 {
		t.Errorf("a cdrom's size: %d", n)
	}
	for _, k := range []string{"scsi0", "scsi30", "virtio15", "sata5", "ide3", "efidisk0", "tpmstate0", "rootfs", "mp255"} {
		if ValidDiskKey(k) != nil {
			t.Errorf("%s refused", k)
		}
	}
	for _, k := range []string{"", "scsi", "net0", "scsi0 ", "unused0", "rootfs0", "../scsi0"} {
		if ValidDiskKey(k) == nil {
			t.Errorf("%q accepted", k)
		}
	}
}
