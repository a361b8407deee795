package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp/pve"
)

// A disk only grows: Proxmox cannot shrink one, so a size below the current one is refused here, before
// anything is sent, with the disk's size to plan with. The filesystem inside grows by itself only where the
// guest does that (cloud-init's growpart at boot, a container's resize2fs, which Proxmox runs).

type resizeArgs struct {
	vmidArg
	Disk string `json:"disk" arg:"required" maxlen:"16" desc:"scsi0, virtio0, rootfs…"`
	Size string `json:"size" arg:"required" maxlen:"24" check:"disksize" desc:"+NG adds, NG sets"`
	writeArgs
}

type resizeResult struct {
	writeResult
	Disk   string `json:"disk" out:"-"`
	Before int64  `json:"before" out:"-"`
	After  int64  `json:"after" out:"-"`
}

func resizeDisk(ctx context.Context, e *env, c *call, a *resizeArgs) (*resizeResult, error) {
	var problems []string
	if err := pve.ValidDiskKey(a.Disk); err != nil {
		problems = append(problems, argProblem("disk", err))
	}
	n, relative, err := pve.ParseDiskSize(a.Size)
	if err != nil {
		problems = append(problems, argProblem("size", err))
	}
	if len(problems) > 0 {
		return nil, &ArgError{Problems: problems}
	}
	g, err := e.target(ctx, c, a.vmidArg)
	if err != nil {
		return nil, err
	}
	cfg, err := c.pve.GuestConfig(ctx, g.Ref())
	if err != nil {
		return nil, err
	}
	value := cfg.String(a.Disk)
	switch {
	case value == "":
		return nil, &ArgError{Problems: []string{fmt.Sprintf("disk: guest %d has no disk %s; it has %s", g.VMID, a.Disk, strings.Join(diskKeys(cfg), ", "))}}
	case strings.Contains(value, "media=cdrom"):
		return nil, &ArgError{Problems: []string{fmt.Sprintf("disk: %s of guest %d is a CD-ROM drive, which has no size to grow", a.Disk, g.VMID)}}
	}
	before := pve.DiskSize(value)
	after := n
	if relative {
		after = before + n
	}
	switch {
	case after < before:
		return nil, &ArgError{Problems: []string{fmt.Sprintf("size: %s of guest %d is %s; Proxmox cannot shrink a disk, only grow it (+NG, or a size above %s)",
			a.Disk, g.VMID, fmtBytes(before), fmtBytes(before))}}
	case after == before:
		return nil, &ArgError{Problems: []string{fmt.Sprintf("size: %s of guest %d is %s already; nothing to change", a.Disk, g.VMID, fmtBytes(before))}}
	}
	// The size sent is the absolute one: sent twice, it asks for the same result, never for a second growth.
	req, err := pve.ResizeRequest(g.Ref(), a.Disk, sizeParam(after))
	if err != nil {
		return nil, err
	}
	view := viewLocated(g)
	w, err := e.send(ctx, c, &writeResult{action: "resize", Target: &view,
		what: fmt.Sprintf("grow %s of %s from %s to %s", a.Disk, view.ref(), fmtBytes(before), fmtBytes(after))}, req)
	if err != nil {
		return nil, err
	}
	return &resizeResult{writeResult: *w, Disk: a.Disk, Before: before, After: after}, nil
}

// sizeParam writes bytes in the largest unit that holds them exactly, as resize takes a size.
func sizeParam(n int64) string {
	for _, u := range []struct {
		suffix string
		shift  uint
	}{{"T", 40}, {"G", 30}, {"M", 20}, {"K", 10}} {
		if n%(1<<u.shift) == 0 {
			return fmt.Sprint(n>>u.shift) + u.suffix
		}
	}
	return fmt.Sprint(n)
}

// diskKeys are the guest's disks that can grow, for an error message.
func diskKeys(cfg pve.GuestConfig) []string {
	var out []string
	for _, k := range sortedConfigKeys(cfg) {
		if pve.ValidDiskKey(k) == nil && !strings.Contains(cfg.String(k), "media=cdrom") {
			out = append(out, k)
		}
	}
	if len(out) == 0 {
		return []string{"none"}
	}
	return out
}

func sortedConfigKeys(cfg pve.GuestConfig) []string {
	m := make(map[string]string, len(cfg))
	for k := range cfg {
		m[k] = ""
	}
	return sortedKeys(m)
}
