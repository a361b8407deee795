package tools

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mcp/proxmox-mcp/pve/pvesim"
)

func TestMigrateResource(t *testing.T) {
	tests := []struct {
		name     string
		args     string
		isErr    bool
		text     []string
		writes   int
		vmid     int
		node     string // where the guest is afterwards
		status   string
		requests int // -1: not checked
	}{
		{name: "online with local disks", args: `{"vmid":102,"target":"pve3","with_local_disks":true}`, writes: 1, vmid: 102, node: "pve3", status: "running", requests: -1,
			text: []string{"Done: migrate VM 102 «docker-host» on pve2 to pve3, online (OK in "}},
		{name: "offline container", args: `{"vmid":204,"target":"pve1"}`, writes: 1, vmid: 204, node: "pve1", status: "stopped", requests: -1},
		{name: "running container by restart", args: `{"vmid":202,"target":"pve1"}`, writes: 1, vmid: 202, node: "pve1", status: "running", requests: -1,
			text: []string{"to pve1, stopped, moved and started again as containers have no live migration (OK in "}},
		{name: "online without its local disks fails in the task", args: `{"vmid":102,"target":"pve3"}`, isErr: true, writes: 1, vmid: 102, node: "pve2", requests: -1,
			text: []string{"Failed: migrate", "«migration aborted»", "without with-local-disks option"}},
		{name: "a host device pins it", args: `{"vmid":101,"target":"pve3"}`, isErr: true, writes: 1, vmid: 101, node: "pve1", requests: -1,
			text: []string{"«can't migrate VM which uses local devices: usb0»"}},
		{name: "already there", args: `{"vmid":102,"target":"pve2"}`, isErr: true, requests: -1, text: []string{"target: guest 102 is on pve2 already"}},
		{name: "local disks option on a container", args: `{"vmid":204,"target":"pve1","with_local_disks":true}`, isErr: true, requests: -1, text: []string{"a container's volumes always move"}},
		{name: "no such node", args: `{"vmid":102,"target":"pve9"}`, isErr: true, requests: -1, text: []string{"target: the cluster has no node pve9"}},
		{name: "bad node name", args: `{"vmid":102,"target":"pve_9"}`, isErr: true, text: []string{"target"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, harnessOpts{})
			h.confirmed(t, "proxmox_migrate_resource", tc.args, tc.isErr, tc.text)
			if n := len(h.sim.Writes()); n != tc.writes {
				t.Errorf("%d writes, want %d: %v", n, tc.writes, h.writes())
			}
			if n := len(h.sim.Requests()); tc.requests >= 0 && n != tc.requests {
				t.Errorf("%d requests, want %d", n, tc.requests)
			}
			if tc.vmid != 0 {
				g, _ := h.sim.Guest(tc.vmid)
				if g.Node != tc.node || tc.status != "" && g.Status != tc.status {
					t.Errorf("guest afterwards: %s %s, want %s %s", g.Node, g.Status, tc.node, tc.status)
				}
			}
		})
	}
}

// TestMigrateDryRun: the dry run shows Proxmox's own preconditions, and says when they stand in the way.
func TestMigrateDryRun(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	for _, tc := range []struct {
		args string
		want []string
		not  []string
	}{
		{`{"vmid":102,"target":"pve3","dry_run":true}`,
			[]string{"It would send POST /api2/json/nodes/pve2/qemu/102/migrate with online=1 target=pve3", "Proxmox's preconditions: online migration; nodes allowed: pve1, pve3",
				"Local disks: local-lvm:vm-102-disk-0 64.0 GiB, local-lvm:vm-102-disk-1 200.0 GiB", "only with with_local_disks: true", "would not go through"}, nil},
		{`{"vmid":102,"target":"pve3","with_local_disks":true,"dry_run":true}`, []string{"with online=1 target=pve3 with-local-disks=1"},
			[]string{"would not go through"}},
		{`{"vmid":101,"target":"pve3","dry_run":true}`, []string{"Host devices that keep it on its node: usb0", "This migration would not go through as it stands"}, nil},
		{`{"vmid":103,"target":"pve1","dry_run":true}`, []string{"offline migration", "hostpci0", "local:iso/virtio-win-0.1.271.iso (CD-ROM)"}, nil},
	} {
		res := h.call(t, "proxmox_migrate_resource", tc.args)
		got := text(res)
		if res.IsError {
			t.Fatalf("%s: %s", tc.args, got)
		}
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: does not say %q:\n%s", tc.args, w, got)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(got, w) {
				t.Errorf("%s: says %q:\n%s", tc.args, w, got)
			}
		}
	}
	if n := len(h.sim.Writes()); n != 0 {
		t.Errorf("dry runs wrote: %v", h.writes())
	}
}

// requestLines are the requests that reached the simulated cluster, as "METHOD /path?query".
func (h *harness) requestLines() []string {
	var out []string
	for _, r := range h.sim.Requests() {
		line := r.Method + " " + r.Path
		if len(r.Query) > 0 {
			line += "?" + r.Query.Encode()
		}
		out = append(out, line)
	}
	return out
}

// TestMigrateTargetNode: a target the cluster does not have is refused as invalid input, dry run or not, naming
// the nodes, with nothing sent; a node the guest index knows costs no request, another is looked up once.
func TestMigrateTargetNode(t *testing.T) {
	const noNode = "Invalid arguments, nothing was sent to Proxmox: target: the cluster has no node pve9; guest 104 is on pve3, the other nodes are pve1, pve2."
	tests := []struct {
		name     string
		args     string
		isErr    bool
		text     string // the whole text, when an error
		requests []string
	}{
		{"no such node", `{"vmid":104,"target":"pve9","confirm":true}`, true, noNode,
			[]string{"GET /cluster/resources?type=vm", "GET /cluster/resources?type=node"}},
		{"no such node, dry run", `{"vmid":104,"target":"pve9","dry_run":true}`, true, noNode,
			[]string{"GET /cluster/resources?type=vm", "GET /cluster/resources?type=node"}},
		{"its own node", `{"vmid":104,"target":"pve3","confirm":true}`, true,
			"Invalid arguments, nothing was sent to Proxmox: target: guest 104 is on pve3 already; give another node.",
			[]string{"GET /cluster/resources?type=vm"}},
		{"a node the index knows", `{"vmid":104,"target":"pve1","dry_run":true}`, false, "",
			[]string{"GET /cluster/resources?type=vm", "GET /nodes/pve3/qemu/104/migrate?target=pve1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, harnessOpts{})
			res := h.call(t, "proxmox_migrate_resource", tc.args)
			if res.IsError != tc.isErr {
				t.Fatalf("isError %v: %s", res.IsError, text(res))
			}
			if tc.isErr {
				if diff := cmp.Diff(tc.text, text(res)); diff != "" {
					t.Errorf("text (-want +got)\n%s", diff)
				}
			}
			if diff := cmp.Diff(tc.requests, h.requestLines()); diff != "" {
				t.Errorf("requests (-want +got)\n%s", diff)
			}
		})
	}
	// A node that holds no guest is not in the index: the node list says it exists.
	cl := pvesim.Generate(pvesim.GenSpec{Nodes: 3, Guests: 2, Seed: 1})
	h := newHarness(t, harnessOpts{cluster: cl})
	used := map[string]bool{}
	for _, id := range cl.VMIDs() {
		g, _ := h.sim.Guest(id)
		used[g.Node] = true
	}
	var empty string
	for _, n := range cl.NodeNames() {
		if !used[n] {
			empty = n
		}
	}
	if empty == "" {
		t.Fatal("the generated cluster has a guest on every node")
	}
	res := h.call(t, "proxmox_migrate_resource", fmt.Sprintf(`{"vmid":%d,"target":%q,"dry_run":true}`, cl.VMIDs()[0], empty))
	if res.IsError {
		t.Fatalf("a node without guests was refused: %s", text(res))
	}
	if !slices.Contains(h.requestLines(), "GET /cluster/resources?type=node") {
		t.Errorf("the node list was not read: %v", h.requestLines())
	}
}

// TestMigrateDryRunAgreesWithTheTask: for VMs with a cloud-init drive, a local ISO, local disks with and
// without with_local_disks, the dry run says the migration would not go through exactly when its task fails.
func TestMigrateDryRunAgreesWithTheTask(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*harness)
		args  string
		ok    bool
		note  string // what the dry run says of the disks
	}{
		{"cloud-init drive, with local disks", nil, `{"vmid":104,"target":"pve1","with_local_disks":true}`, true,
			"Local disks: local-lvm:vm-104-cloudinit (cloud-init drive: copied to the target), local-lvm:vm-104-disk-0 32.0 GiB."},
		{"cloud-init drive, without local disks", nil, `{"vmid":104,"target":"pve1"}`, false,
			"Local disks: local-lvm:vm-104-cloudinit (cloud-init drive: copied to the target), local-lvm:vm-104-disk-0 32.0 GiB. " +
				"An online migration takes these disks along only with with_local_disks: true; without it the task fails. This migration would not go through as it stands."},
		{"a local ISO", func(h *harness) {
			_ = h.sim.SetGuestConfig(105, "ide2", "local:iso/virtio-win-0.1.271.iso,media=cdrom")
		},
			`{"vmid":105,"target":"pve1","with_local_disks":true}`, false,
			"Local disks: local:iso/virtio-win-0.1.271.iso (CD-ROM), local-lvm:vm-105-disk-0 32.0 GiB. " +
				"A CD-ROM image on node-local storage cannot migrate (local:iso/virtio-win-0.1.271.iso): eject it (set the drive to none) first; without that the task fails. This migration would not go through as it stands."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, harnessOpts{})
			if tc.setup != nil {
				tc.setup(h)
			}
			dry := text(h.call(t, "proxmox_migrate_resource", strings.TrimSuffix(tc.args, "}")+`,"dry_run":true}`))
			_, disks, _ := strings.Cut(dry, "nodes allowed: pve1, pve2. ")
			if diff := cmp.Diff(tc.note, disks); diff != "" {
				t.Errorf("dry run (-want +got)\n%s\n%s", diff, dry)
			}
			res := h.call(t, "proxmox_migrate_resource", strings.TrimSuffix(tc.args, "}")+`,"confirm":true}`)
			if res.IsError == tc.ok || strings.Contains(dry, "would not go through") == tc.ok {
				t.Errorf("the dry run says %q; the task: %s", dry, text(res))
			}
		})
	}
}
