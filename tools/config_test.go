package tools

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mcp/proxmox-mcp/pve/pvesim"
)

const testKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFfa5q2XLY3OruD+5x7U9K+MINP32BTBaoI2h+wENaXF ops@laptop"

func TestUpdateConfig(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(*harness)
		args    string
		isErr   bool
		changes []configChange
		text    []string
		writes  int
		check   func(t *testing.T, h *harness)
	}{
		{name: "running VM: CPU waits, name is live", args: `{"vmid":104,"cores":4,"memory":8192,"name":"k3s-main","onboot":false}`, writes: 1,
			changes: []configChange{{"cores", "2", "4", "pending"}, {"memory", "4096", "8192", "pending"}, {"name", "k3s-server", "k3s-main", "live"}, {"onboot", "1", "0", "live"}},
			text:    []string{"cores: 2 → 4 (pending until the next boot", "name: k3s-server → k3s-main (live now)"},
			check: func(t *testing.T, h *harness) {
				g, _ := h.sim.Guest(104)
				if g.Config["cores"] != "2" || g.Pending["cores"] != "4" || g.Name != "k3s-main" {
					t.Errorf("sim: %+v", g)
				}
			}},
		{name: "cloud-init of a stopped VM", args: `{"vmid":103,"ciuser":"ops","sshkeys":"` + testKey + `","ipconfig":["ip=192.168.1.70/24,gw=192.168.1.1"],"nameserver":"192.168.1.53","searchdomain":"home.example"}`, writes: 1,
			changes: []configChange{{"ciuser", "", "ops", "stopped"}, {"ipconfig0", "", "ip=192.168.1.70/24,gw=192.168.1.1", "stopped"}, {"nameserver", "", "192.168.1.53", "stopped"},
				{"searchdomain", "", "home.example", "stopped"}, {"sshkeys", "", "1 key", "stopped"}},
			text: []string{"ciuser: (none) → ops (in the config now; cloud-init gives it to the guest when it starts)"},
			check: func(t *testing.T, h *harness) {
				g, _ := h.sim.Guest(103)
				if g.Config["sshkeys"] != "ssh-ed25519%20AAAAC3NzaC1lZDI1NTE5AAAAIFfa5q2XLY3OruD%2B5x7U9K%2BMINP32BTBaoI2h%2BwENaXF%20ops%40laptop%0A" {
					t.Errorf("sshkeys stored as %q", g.Config["sshkeys"])
				}
			}},
		{name: "container", args: `{"vmid":201,"cores":3,"name":"proxy","tags":[]}`, writes: 1,
			changes: []configChange{{"cores", "2", "3", "live"}, {"hostname", "nginx-proxy", "proxy", "live"}, {"tags", "prod;web", "", "live"}},
			check: func(t *testing.T, h *harness) {
				if g, _ := h.sim.Guest(201); g.Name != "proxy" || g.Tags != "" {
					t.Errorf("sim: %+v", g)
				}
			}},
		{name: "description", args: `{"vmid":104,"description":"Kubernetes control plane"}`, writes: 1,
			changes: []configChange{{"description", "", "Kubernetes control plane", "live"}}},
		{name: "description cleared", args: `{"vmid":100,"description":""}`, writes: 1,
			changes: []configChange{{"description", "OPNsense firewall. WAN on vmbr1 (ISP modem), LAN on vmbr0.", "", "live"}},
			check: func(t *testing.T, h *harness) {
				if g, _ := h.sim.Guest(100); g.Config["description"] != "" {
					t.Errorf("the notes are still %q", g.Config["description"])
				}
			}},
		{name: "empty ssh keys", args: `{"vmid":9000,"sshkeys":" "}`, isErr: true, text: []string{"sshkeys: empty; give the public keys", "delete=sshkeys"}},
		{name: "nothing given", args: `{"vmid":104}`, isErr: true, text: []string{"nothing to change: give at least one setting"}},
		{name: "already so", args: `{"vmid":104,"cores":2}`, isErr: true, text: []string{"nothing to change: guest 104 already has these settings"}},
		{name: "bad ipconfig", args: `{"vmid":104,"ipconfig":["ip=192.168.1.70"]}`, isErr: true, text: []string{"ipconfig[0]", "with its prefix"}},
		{name: "bad ssh key", args: `{"vmid":104,"sshkeys":"not a key"}`, isErr: true, text: []string{`sshkeys: line 1 starts with "not", not a key type OpenSSH accepts`}},
		{name: "bad user", args: `{"vmid":104,"ciuser":"Root User"}`, isErr: true, text: []string{"ciuser: expected a Linux user name"}},
		{name: "bad nameserver", args: `{"vmid":104,"nameserver":"dns.example"}`, isErr: true, text: []string{"nameserver \"dns.example\" is not an IP address"}},
		{name: "cloud-init on a container", args: `{"vmid":201,"ciuser":"ops","sockets":2}`, isErr: true, text: []string{"201 is a container, which has no ciuser, sockets"}},
		{name: "locked guest", args: `{"vmid":106,"cores":2}`, isErr: true, text: []string{"«VM is locked (backup)»"}, writes: 1},
		{name: "node offline", args: `{"vmid":104,"cores":4}`, setup: func(h *harness) { h.sim.SetNodeOnline("pve3", false) }, isErr: true,
			text: []string{"595", "could not reach that node"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, harnessOpts{})
			if tc.setup != nil {
				tc.setup(h)
			}
			h.sim.ResetLog()
			res, _ := h.confirmed(t, "proxmox_update_config", tc.args, tc.isErr, tc.text)
			if n := len(h.sim.Writes()); n != tc.writes {
				t.Errorf("%d writes, want %d: %v", n, tc.writes, h.writes())
			}
			if tc.isErr {
				if tc.writes == 0 && strings.HasPrefix(tc.name, "bad") && len(h.sim.Requests()) != 0 {
					t.Errorf("bad input made requests: %v", h.sim.Requests())
				}
				return
			}
			var r configResult
			structured(t, res, &r)
			if diff := cmp.Diff(tc.changes, r.Changes); diff != "" || r.Status != "ok" {
				t.Errorf("status %s, changes (-want +got)\n%s", r.Status, diff)
			}
			if tc.check != nil {
				tc.check(t, h)
			}
		})
	}
}

func TestUpdateConfigDryRun(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	res := h.call(t, "proxmox_update_config", `{"vmid":104,"memory":8192,"dry_run":true}`)
	got := text(res)
	if res.IsError || !strings.Contains(got, "It would send PUT /api2/json/nodes/pve3/qemu/104/config, changing:\nmemory: 4096 → 8192") {
		t.Errorf("dry run: %s", got)
	}
	if len(h.sim.Writes()) != 0 {
		t.Errorf("a dry run wrote: %v", h.writes())
	}
	if g, _ := h.sim.Guest(104); g.Config["memory"] != "4096" || g.Pending != nil {
		t.Errorf("a dry run changed the guest: %+v", g)
	}
}

// TestUpdateConfigPermissions: Proxmox checks the privilege each option needs; a token that lacks one gets
// its 403 with the privilege named, and the guest stays as it was.
func TestUpdateConfigPermissions(t *testing.T) {
	h := newHarness(t, harnessOpts{sim: []pvesim.Option{pvesim.WithToken(pvesim.DefaultTokenID, pvesim.DefaultTokenSecret, "VM.Audit", "Sys.Audit")}})
	res := h.call(t, "proxmox_update_config", `{"vmid":104,"cores":4,"confirm":true}`)
	if !res.IsError || !strings.Contains(text(res), "permission denied") {
		t.Errorf("without VM.Config.*: %s", text(res))
	}
	if g, _ := h.sim.Guest(104); g.Pending != nil {
		t.Errorf("the refused change was made: %+v", g.Pending)
	}
}

// TestUpdateConfigCloudInitEffect: a VM's cloud-init option is said to be in the config now and to reach the
// guest at its next boot, never "live now", whether the VM runs, is stopped, or the change is a dry run; other
// options keep their own effect, and a container's nameserver is no cloud-init option.
func TestUpdateConfigCloudInitEffect(t *testing.T) {
	tests := []struct {
		name    string
		args    string
		lines   []string // the lines of the text that name a change
		effects []string
	}{
		{"running VM", `{"vmid":104,"ciuser":"ops","ipconfig":["ip=dhcp"],"name":"k3s-main","confirm":true}`, []string{
			"ciuser: debian → ops (in the config now; cloud-init gives it to the guest at its next boot)",
			"ipconfig0: ip=192.168.1.41/24,gw=192.168.1.1 → ip=dhcp (in the config now; cloud-init gives it to the guest at its next boot)",
			"name: k3s-server → k3s-main (live now)",
		}, []string{"next_boot", "next_boot", "live"}},
		{"stopped VM", `{"vmid":103,"ciuser":"ops","cores":4,"confirm":true}`, []string{
			"ciuser: (none) → ops (in the config now; cloud-init gives it to the guest when it starts)",
			"cores: 8 → 4 (the guest is stopped: it has it when it starts)",
		}, []string{"stopped", "stopped"}},
		{"dry run", `{"vmid":104,"ciuser":"ops","dry_run":true}`, []string{
			"ciuser: debian → ops (cloud-init gives it to the guest at its next boot)",
		}, []string{""}},
		{"running container", `{"vmid":201,"nameserver":"192.168.1.53","confirm":true}`, []string{
			"nameserver: (none) → 192.168.1.53 (live now)",
		}, []string{"live"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, harnessOpts{})
			res := h.call(t, "proxmox_update_config", tc.args)
			if res.IsError {
				t.Fatal(text(res))
			}
			var lines []string
			for _, l := range strings.Split(text(res), "\n") {
				if strings.Contains(l, " → ") {
					lines = append(lines, l)
				}
			}
			if diff := cmp.Diff(tc.lines, lines); diff != "" {
				t.Errorf("text (-want +got)\n%s", diff)
			}
			var r configResult
			structured(t, res, &r)
			var effects []string
			for _, ch := range r.Changes {
				effects = append(effects, ch.Effect)
			}
			if diff := cmp.Diff(tc.effects, effects); diff != "" {
				t.Errorf("effects (-want +got)\n%s", diff)
			}
		})
	}
	// A cloud-init option Proxmox keeps pending on a running VM waits for the boot that gives it to the guest.
	r := &configResult{writeResult: writeResult{Status: "ok", Target: &guestView{VMID: 104, Type: "qemu", Name: "k3s-server", Node: "pve3"}},
		Changes: []configChange{{Key: "ciuser", Before: "debian", After: "ops", Effect: "pending"}}}
	want := "ciuser: debian → ops (pending until the next boot: proxmox_reboot_resource applies it, and cloud-init gives it to the guest then)"
	if got := strings.Split(r.Summary(), "\n")[1]; got != want {
		t.Errorf("pending cloud-init option:\n got %s\nwant %s", got, want)
	}
}

// TestUpdateConfigDescriptionShown: a description's change shows the texts, cleaned onto one line and quoted
// as cluster text, capped with an ellipsis and the whole length.
func TestUpdateConfigDescriptionShown(t *testing.T) {
	long := strings.Repeat("x", 100)
	tests := []struct {
		name, args, want string
	}{
		{"set", `{"vmid":104,"description":"hello"}`, "description: (none) → «hello» (live now)"},
		{"replaced, multi-line before, hostile after", `{"vmid":100,"description":"a «b»\u001b[31m\nc\u200bd"}`,
			"description: «OPNsense firewall. WAN on vmbr1 (ISP modem), LAN on vmbr0.» → «a b cd» (live now)"},
		{"long", `{"vmid":104,"description":"` + long + `"}`,
			"description: (none) → «" + strings.Repeat("x", 80) + "…» (100 characters) (live now)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, harnessOpts{})
			res := h.call(t, "proxmox_update_config", strings.TrimSuffix(tc.args, "}")+`,"confirm":true}`)
			if res.IsError {
				t.Fatal(text(res))
			}
			got := strings.Split(text(res), "\n")[1]
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

// TestSSHKeysChecked: update_config and provision_vm check each key line the same way (pve.ValidSSHKeys: a
// known type, base64 that decodes to a whole key of that type), before any request.
func TestSSHKeysChecked(t *testing.T) {
	const prefix = "Invalid arguments, nothing was sent to Proxmox: sshkeys: "
	tests := []struct{ keys, want string }{
		{"ssh-rsa AAAA", prefix + "line 1 has key data that is not a ssh-rsa public key."},
		{testKey + "\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFfa5q2XLY3OruD+", prefix + "line 2 has key data that is not a whole ssh-ed25519 key (cut short in the paste?)."},
		{"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA", prefix + "line 1 is part of a private key: give the public key (the .pub file), never the private one."},
	}
	for _, tc := range tests {
		for _, call := range []struct{ tool, args string }{
			{"proxmox_update_config", `{"vmid":104,"sshkeys":%s,"confirm":true}`},
			{"proxmox_provision_vm", `{"template":9000,"name":"web1","sshkeys":%s,"confirm":true}`},
		} {
			t.Run(call.tool+"/"+tc.keys[:12], func(t *testing.T) {
				h := newHarness(t, harnessOpts{})
				keys, _ := json.Marshal(tc.keys)
				got := text(h.call(t, call.tool, fmt.Sprintf(call.args, keys)))
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("(-want +got)\n%s", diff)
				}
				if n := len(h.sim.Requests()); n != 0 {
					t.Errorf("refused keys made %d requests", n)
				}
			})
		}
	}
}
