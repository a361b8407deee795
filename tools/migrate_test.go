package tools

import (
	"strings"
	"testing"
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
			text: []string{"Done: migrate VM 102 «docker-host» on pve2 to pve3 (online)"}},
		{name: "offline container", args: `{"vmid":204,"target":"pve1"}`, writes: 1, vmid: 204, node: "pve1", status: "stopped", requests: -1},
		{name: "running container by restart", args: `{"vmid":202,"target":"pve1"}`, writes: 1, vmid: 202, node: "pve1", status: "running", requests: -1,
			text: []string{"stopped, moved and started again"}},
		{name: "online without its local disks fails in the task", args: `{"vmid":102,"target":"pve3"}`, isErr: true, writes: 1, vmid: 102, node: "pve2", requests: -1,
			text: []string{"Failed: migrate", "«migration aborted»", "without with-local-disks option"}},
		{name: "a host device pins it", args: `{"vmid":101,"target":"pve3"}`, isErr: true, writes: 1, vmid: 101, node: "pve1", requests: -1,
			text: []string{"«can't migrate VM which uses local devices: usb0»"}},
		{name: "already there", args: `{"vmid":102,"target":"pve2"}`, isErr: true, requests: -1, text: []string{"target: guest 102 is on pve2 already"}},
		{name: "local disks option on a container", args: `{"vmid":204,"target":"pve1","with_local_disks":true}`, isErr: true, requests: -1, text: []string{"a container's volumes always move"}},
		{name: "no such node", args: `{"vmid":102,"target":"pve9"}`, isErr: true, writes: 1, requests: -1, text: []string{"«no such cluster node 'pve9'»"}},
		{name: "bad node name", args: `{"vmid":102,"target":"pve_9"}`, isErr: true, text: []string{"target"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, harnessOpts{})
			res := h.call(t, "proxmox_migrate_resource", strings.TrimSuffix(tc.args, "}")+`,"confirm":true}`)
			got := text(res)
			if res.IsError != tc.isErr {
				t.Fatalf("isError %v: %s", res.IsError, got)
			}
			for _, w := range tc.text {
				if !strings.Contains(got, w) {
					t.Errorf("text does not say %q:\n%s", w, got)
				}
			}
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
