package tools

import (
	"strings"
	"testing"
)

func TestResizeDisk(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(*harness)
		args     string
		isErr    bool
		text     []string
		writes   int
		requests int    // for bad input: how many requests at all (-1: not checked)
		vmid     int    // whose disk to look at afterwards
		key      string // and which
		want     string // its size= afterwards
	}{
		{name: "grow by", args: `{"vmid":102,"disk":"scsi0","size":"+16G"}`, writes: 1, requests: -1, vmid: 102, key: "scsi0", want: "size=80G",
			text: []string{"Done: grow scsi0 of VM 102 «docker-host» on pve2 from 64.0 GiB to 80.0 GiB"}},
		{name: "grow to", args: `{"vmid":104,"disk":"scsi0","size":"40G"}`, writes: 1, requests: -1, vmid: 104, key: "scsi0", want: "size=40G"},
		{name: "grow by MiB", args: `{"vmid":104,"disk":"scsi0","size":"+512M"}`, writes: 1, requests: -1, vmid: 104, key: "scsi0", want: "size=33280M"},
		{name: "container rootfs", args: `{"vmid":203,"disk":"rootfs","size":"+8G"}`, writes: 1, requests: -1, vmid: 203, key: "rootfs", want: "size=40G"},
		{name: "shrink", args: `{"vmid":102,"disk":"scsi0","size":"32G"}`, isErr: true, requests: -1, vmid: 102, key: "scsi0", want: "size=64G",
			text: []string{"scsi0 of guest 102 is 64.0 GiB; Proxmox cannot shrink a disk"}},
		{name: "same size", args: `{"vmid":102,"disk":"scsi0","size":"64G"}`, isErr: true, requests: -1, text: []string{"is 64.0 GiB already; nothing to change"}},
		{name: "no such disk", args: `{"vmid":102,"disk":"scsi5","size":"+1G"}`, isErr: true, requests: -1, text: []string{"guest 102 has no disk scsi5; it has scsi0, scsi1"}},
		{name: "cdrom", args: `{"vmid":104,"disk":"ide2","size":"+1G"}`, isErr: true, requests: -1, text: []string{"is a CD-ROM drive"}},
		{name: "bad disk name", args: `{"vmid":102,"disk":"net0","size":"+1G"}`, isErr: true, text: []string{`disk "net0" is not a disk's name`}},
		{name: "bad size", args: `{"vmid":102,"disk":"scsi0","size":"-1G"}`, isErr: true, text: []string{`size: got "-1G"; expected a size: +10G grows by 10 GiB`}},
		{name: "a size without its unit", args: `{"vmid":102,"disk":"scsi0","size":"+512"}`, isErr: true, text: []string{`size: got "+512"; expected a size: +10G grows by 10 GiB, 40G grows to 40 GiB (units K, M, G, T)`}},
		{name: "bad size unit", args: `{"vmid":102,"disk":"scsi0","size":"10GB"}`, isErr: true, text: []string{"size"}},
		{name: "locked guest", args: `{"vmid":106,"disk":"scsi0","size":"+1G"}`, isErr: true, writes: 1, requests: -1, text: []string{"«VM is locked (backup)»"}},
		{name: "task fails", args: `{"vmid":102,"disk":"scsi0","size":"+1G"}`, setup: func(h *harness) { h.sim.SetTaskFailure("resize", "storage is full") },
			isErr: true, writes: 1, requests: -1, text: []string{"Failed: grow scsi0", "«storage is full»"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, harnessOpts{})
			if tc.setup != nil {
				tc.setup(h)
			}
			h.sim.ResetLog()
			h.confirmed(t, "proxmox_resize_disk", tc.args, tc.isErr, tc.text)
			if n := len(h.sim.Writes()); n != tc.writes {
				t.Errorf("%d writes, want %d: %v", n, tc.writes, h.writes())
			}
			if n := len(h.sim.Requests()); tc.requests >= 0 && n != tc.requests {
				t.Errorf("%d requests, want %d", n, tc.requests)
			}
			if tc.vmid != 0 {
				g, _ := h.sim.Guest(tc.vmid)
				if !strings.HasSuffix(g.Config[tc.key], tc.want) {
					t.Errorf("%s afterwards: %s, want %s", tc.key, g.Config[tc.key], tc.want)
				}
			}
		})
	}
}

// TestResizeSendsAnAbsoluteSize: a grow by is sent as the size it grows to, so a request that reached Proxmox
// twice cannot grow the disk twice.
func TestResizeSendsAnAbsoluteSize(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	res := h.call(t, "proxmox_resize_disk", `{"vmid":102,"disk":"scsi0","size":"+16G","dry_run":true}`)
	if got := text(res); !strings.Contains(got, "It would send PUT /api2/json/nodes/pve2/qemu/102/resize with disk=scsi0 size=80G") {
		t.Errorf("dry run: %s", got)
	}
	if len(h.sim.Writes()) != 0 {
		t.Error("a dry run wrote")
	}
}
