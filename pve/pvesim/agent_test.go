package pvesim

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestAgentAvailability: the three distinct 500s of assert_agent_available, in its order, and the boot delay.
func TestAgentAvailability(t *testing.T) {
	e := newEnv(t, nil, WithAgentBootDelay(5*time.Second))
	if err := e.srv.SetGuestConfig(105, "agent", "0"); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.SetAgentInstalled(104, false); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path   string
		status int
		reason string
	}{
		{"/nodes/pve1/qemu/100/agent/get-osinfo", 500, "No QEMU guest agent configured"},  // no agent key
		{"/nodes/pve2/qemu/103/agent/get-osinfo", 500, "VM 103 is not running"},           // stopped
		{"/nodes/pve3/qemu/104/agent/get-osinfo", 500, "QEMU guest agent is not running"}, // not installed
		{"/nodes/pve3/qemu/105/agent/get-osinfo", 500, "QEMU guest agent is not running"}, // agent: 0
		{"/nodes/pve1/qemu/101/agent/get-osinfo", 200, ""},                                // running for days
		{"/nodes/pve1/qemu/9999/agent/get-osinfo", 500, "Configuration file 'nodes/pve1/qemu-server/9999.conf' does not exist"},
	}
	for _, tc := range tests {
		r := e.get(tc.path, nil)
		if r.status != tc.status || tc.reason != "" && r.reason != tc.reason {
			t.Errorf("%s: %d %q, want %d %q", tc.path, r.status, r.reason, tc.status, tc.reason)
		}
	}
	// a VM that just started: the agent answers only after the boot delay
	upid := e.upid("POST", "/nodes/pve2/qemu/103/status/start", nil)
	e.finish(upid) // the clock moves 1s past the start task
	if r := e.get("/nodes/pve2/qemu/103/agent/get-host-name", nil); r.reason != "QEMU guest agent is not running" {
		t.Errorf("1s after boot: %d %q", r.status, r.reason)
	}
	e.clock.Advance(5 * time.Second)
	var host struct {
		Result struct {
			Name string `json:"host-name"`
		}
	}
	e.get("/nodes/pve2/qemu/103/agent/get-host-name", nil).data(t, &host)
	if host.Result.Name != "win11-desktop" {
		t.Errorf("host name %q", host.Result.Name)
	}
	if r := e.post("/nodes/pve2/qemu/103/agent/ping", nil); r.status != 200 || string(r.body) != `{"data":{"result":{}}}` {
		t.Errorf("ping: %d %s", r.status, r.body)
	}
}

// TestAgentReads: what get-osinfo, network-get-interfaces and get-fsinfo report, from the guest's config.
func TestAgentReads(t *testing.T) {
	e := newEnv(t, nil)
	var os struct{ Result map[string]string }
	e.get("/nodes/pve3/qemu/104/agent/get-osinfo", nil).data(t, &os)
	if os.Result["pretty-name"] != "Debian GNU/Linux 12 (bookworm)" || os.Result["kernel-release"] == "" || os.Result["id"] != "debian" {
		t.Errorf("osinfo %v", os.Result)
	}
	e.get("/nodes/pve1/qemu/101/agent/get-osinfo", nil).data(t, &os)
	if os.Result["name"] != "Home Assistant OS" {
		t.Errorf("101 osinfo %v", os.Result)
	}
	var nics struct {
		Result []struct {
			Name string `json:"name"`
			MAC  string `json:"hardware-address"`
			IPs  []struct {
				IP     string `json:"ip-address"`
				Type   string `json:"ip-address-type"`
				Prefix int    `json:"prefix"`
			} `json:"ip-addresses"`
		}
	}
	e.get("/nodes/pve3/qemu/104/agent/network-get-interfaces", nil).data(t, &nics)
	var got []string
	for _, n := range nics.Result {
		for _, ip := range n.IPs {
			got = append(got, fmt.Sprintf("%s %s %s %s/%d", n.Name, n.MAC, ip.Type, ip.IP, ip.Prefix))
		}
	}
	want := []string{
		"lo 00:00:00:00:00:00 ipv4 127.0.0.1/8",
		"lo 00:00:00:00:00:00 ipv6 ::1/128",
		"ens18 bc:24:11:41:00:68 ipv4 192.168.1.41/24", // the ipconfig0 of its config
		"ens18 bc:24:11:41:00:68 ipv6 fe80::be24:11ff:fe41:68/64",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("interfaces of 104 (-want +got):\n%s", diff)
	}
	var fs struct {
		Result []struct {
			Mount string `json:"mountpoint"`
			Type  string `json:"type"`
			Total int64  `json:"total-bytes"`
			Used  int64  `json:"used-bytes"`
		}
	}
	e.get("/nodes/pve2/qemu/102/agent/get-fsinfo", nil).data(t, &fs)
	if len(fs.Result) != 2 || fs.Result[0].Mount != "/" || fs.Result[1].Mount != "/srv/disk1" {
		t.Fatalf("filesystems of 102: %+v", fs.Result)
	}
	for _, f := range fs.Result {
		if f.Type != "ext4" || f.Total <= 0 || f.Used <= 0 || f.Used >= f.Total {
			t.Errorf("filesystem %+v", f)
		}
	}
	if fs.Result[1].Total < 190<<30 || fs.Result[1].Total > 200<<30 {
		t.Errorf("the 200G disk holds a %d-byte filesystem", fs.Result[1].Total)
	}
}

// execStatus is GET …/exec-status of one pid, as a map.
func (e *env) execStatus(node string, vmid, pid int) (response, map[string]any) {
	e.t.Helper()
	r := e.get(fmt.Sprintf("/nodes/%s/qemu/%d/agent/exec-status", node, vmid), params("pid", fmt.Sprint(pid)))
	var st map[string]any
	if r.status == 200 {
		r.data(e.t, &st)
	}
	return r, st
}

func (e *env) exec(node string, vmid int, input string, argv ...string) (response, int) {
	e.t.Helper()
	p := url.Values{}
	for _, a := range argv {
		p.Add("command", a)
	}
	if input != "" {
		p.Set("input-data", input)
	}
	r := e.request("POST", fmt.Sprintf("/nodes/%s/qemu/%d/agent/exec", node, vmid), adminAuth, p)
	var started struct{ PID int }
	if r.status == 200 {
		r.data(e.t, &started)
	}
	return r, started.PID
}

// TestAgentExec: the programs a guest has, a program it lacks, the shell's 127, stdin, and exec-status as
// qemu-ga answers it: running, then exited with the output once, then no such pid.
func TestAgentExec(t *testing.T) {
	e := newEnv(t, nil)
	tests := []struct {
		argv  []string
		input string
		exit  string
		out   string // a substring of stdout
		err   string // a substring of stderr
	}{
		{[]string{"hostname"}, "", "0", "k3s-server\n", ""},
		{[]string{"uname", "-a"}, "", "0", "Linux k3s-server 6.1.0-28-cloud-amd64 #1 SMP PREEMPT_DYNAMIC Debian", ""},
		{[]string{"cat", "/etc/os-release"}, "", "0", `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"`, ""},
		{[]string{"cat", "/nope"}, "", "1", "", "cat: /nope: No such file or directory"},
		{[]string{"/usr/bin/df", "-h"}, "", "0", "/dev/sda1", ""},
		{[]string{"ip", "-4", "addr"}, "", "0", "inet 192.168.1.41/24 scope global ens18", ""},
		{[]string{"sh", "-c", "hostname"}, "", "0", "k3s-server", ""},
		{[]string{"sh", "-c", "nosuchthing --flag"}, "", "127", "", "sh: 1: nosuchthing: not found"},
		{[]string{"sh", "-c", "exit 3"}, "", "3", "", ""},
		{[]string{"cat"}, "from stdin\n", "0", "from stdin\n", ""},
		{[]string{"false"}, "", "1", "", ""},
	}
	for _, tc := range tests {
		r, pid := e.exec("pve3", 104, tc.input, tc.argv...)
		if r.status != 200 || pid == 0 {
			t.Errorf("%v: %d %s", tc.argv, r.status, r.reason)
			continue
		}
		_, st := e.execStatus("pve3", 104, pid)
		out, _ := st["out-data"].(string)
		errOut, _ := st["err-data"].(string)
		if fmt.Sprint(st["exited"]) != "1" || fmt.Sprint(st["exitcode"]) != tc.exit || !strings.Contains(out, tc.out) || !strings.Contains(errOut, tc.err) {
			t.Errorf("%v: status %v", tc.argv, st)
		}
		if r, _ := e.execStatus("pve3", 104, pid); r.status != 500 || r.reason != "VM 104 qmp command 'guest-exec-status' failed - Invalid parameter 'pid'" {
			t.Errorf("%v: a second collection answered %d %q", tc.argv, r.status, r.reason)
		}
	}
	// a program the guest lacks: the exec itself fails, nothing is started
	if r, _ := e.exec("pve3", 104, "", "/opt/nosuch", "-x"); r.status != 500 || !strings.Contains(r.reason, "Failed to execute child process “/opt/nosuch” (No such file or directory)") {
		t.Errorf("missing program: %d %q", r.status, r.reason)
	}
	if r, _ := e.exec("pve3", 104, "", "/home/user/hostname"); r.status != 500 {
		t.Errorf("a program outside the bin directories ran: %d", r.status)
	}
	// a long command: exited 0 until it ends
	_, pid := e.exec("pve3", 104, "", "sleep", "30")
	if _, st := e.execStatus("pve3", 104, pid); fmt.Sprint(st["exited"]) != "0" || st["exitcode"] != nil {
		t.Errorf("a running process: %v", st)
	}
	if _, st := e.execStatus("pve3", 104, pid); fmt.Sprint(st["exited"]) != "0" {
		t.Errorf("polling a running process collected it: %v", st)
	}
	e.clock.Advance(30 * time.Second)
	if _, st := e.execStatus("pve3", 104, pid); fmt.Sprint(st["exited"]) != "1" || fmt.Sprint(st["exitcode"]) != "0" {
		t.Errorf("after 30s: %v", st)
	}
	// a large output comes whole
	_, pid = e.exec("pve3", 104, "", "seq", "200000")
	_, st := e.execStatus("pve3", 104, pid)
	if out := st["out-data"].(string); !strings.HasSuffix(out, "\n199999\n200000\n") || len(out) < 1<<20 {
		t.Errorf("seq output: %d bytes", len(out))
	}
	// the agent must answer: a stopped VM's exec fails like any agent command
	if r, _ := e.exec("pve2", 103, "", "hostname"); r.reason != "VM 103 is not running" {
		t.Errorf("exec on a stopped VM: %d %q", r.status, r.reason)
	}
	// exec needs VM.GuestAgent.Unrestricted: the auditor token has none
	r := e.request("POST", "/nodes/pve3/qemu/104/agent/exec", readOnlyAuth, params("command", "hostname"))
	if r.status != 403 || !strings.Contains(r.reason, "VM.GuestAgent.Unrestricted") {
		t.Errorf("exec with the auditor token: %d %q", r.status, r.reason)
	}
}

// TestContainerInterfaces: a running container's interfaces, and null for a stopped one.
func TestContainerInterfaces(t *testing.T) {
	e := newEnv(t, nil)
	var ifs []map[string]any
	e.get("/nodes/pve1/lxc/200/interfaces", nil).data(t, &ifs)
	if len(ifs) != 2 || ifs[1]["name"] != "eth0" || ifs[1]["inet"] != "192.168.1.53/24" || ifs[1]["hwaddr"] != "bc:24:11:20:00:c8" {
		t.Errorf("interfaces of 200: %v", ifs)
	}
	if r := e.get("/nodes/pve3/lxc/204/interfaces", nil); r.status != 200 || string(r.body) != `{"data":null}` {
		t.Errorf("a stopped container: %d %s", r.status, r.body)
	}
}
