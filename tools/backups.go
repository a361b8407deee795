package tools

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve"
)

func backupTools() []Def {
	return []Def{
		define("proxmox_list_backups", gate.Read,
			"backup volumes by storage, filterable by vmid",
			"Backups on the backup storages, newest first.",
			privs("Datastore.Audit"), listBackups),
		define("proxmox_run_backup", gate.Write,
			"vzdump one guest",
			"Back up one guest now (vzdump).",
			privs("VM.Backup", "Datastore.AllocateSpace"), runBackup),
	}
}

type backupListArgs struct {
	VMID    int    `json:"vmid" check:"vmid" desc:"Guest filter"`
	Storage string `json:"storage" check:"storage" desc:"Storage filter"`
	Node    string `json:"node" check:"node" desc:"Node filter"`
	pageArgs
}

type backupView struct {
	VolID     string   `json:"volid"`
	VMID      int      `json:"vmid,omitempty"`
	Storage   string   `json:"storage"`
	Node      string   `json:"node"`
	Size      int64    `json:"size"`
	CTime     int64    `json:"ctime"`
	Format    string   `json:"format,omitempty"`
	Protected bool     `json:"protected,omitempty"`
	Notes     []string `json:"notes,omitempty"`
}

type backupsResult struct {
	Total      int          `json:"total"`
	Backups    []backupView `json:"backups"`
	NextCursor int          `json:"next_cursor,omitempty"`
	Skipped    []string     `json:"skipped,omitempty" out:"-"` // storages that could not be read
}

func (r *backupsResult) Summary() string {
	var b strings.Builder
	if r.Total == 0 {
		b.WriteString("No backups found.")
	} else if len(r.Backups) == 0 {
		b.WriteString(count(r.Total, "backup", "backups") + " found, and " + pastTheEnd)
	} else {
		b.WriteString(count(r.Total, "backup", "backups"))
		if len(r.Backups) < r.Total {
			fmt.Fprintf(&b, ", showing %d", len(r.Backups))
			if r.NextCursor != 0 {
				fmt.Fprintf(&b, " (next_cursor %d)", r.NextCursor)
			}
		}
		b.WriteString(", newest first. " + inlineLegend + "\n")
		for _, v := range r.Backups {
			fmt.Fprintf(&b, "%s vmid %d %s %s", v.VolID, v.VMID, fmtBytes(v.Size), fmtTime(v.CTime))
			if v.Protected {
				b.WriteString(" protected")
			}
			if len(v.Notes) > 0 {
				b.WriteString(" notes " + inline(strings.Join(v.Notes, " / "), 120))
			}
			b.WriteByte('\n')
		}
	}
	for _, s := range r.Skipped {
		fmt.Fprintf(&b, "\nNot read: %s", s)
	}
	return strings.TrimRight(b.String(), "\n")
}

// storageTarget is one storage to read on one node; a shared storage is read once, on the first online node.
type storageTarget struct{ node, storage string }

// backupStorages finds the storages that hold content (backup, vztmpl) with one /cluster/resources request.
func (e *env) storagesWith(ctx context.Context, c *call, content, node, storage string) ([]storageTarget, error) {
	all, err := c.pve.ClusterResources(ctx, pve.ResourceStorage)
	if err != nil {
		return nil, err
	}
	var out []storageTarget
	seen := map[string]bool{}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	for _, r := range all {
		if r.Type != "storage" || r.Status != "available" || !(pve.Storage{Content: r.Content}).HasContent(content) {
			continue
		}
		if node != "" && r.Node != node || storage != "" && r.Storage != storage {
			continue
		}
		if r.Shared {
			if seen[r.Storage] {
				continue
			}
			seen[r.Storage] = true
		}
		out = append(out, storageTarget{node: r.Node, storage: r.Storage})
	}
	return out, nil
}

func listBackups(ctx context.Context, e *env, c *call, a *backupListArgs) (*backupsResult, error) {
	targets, err := e.storagesWith(ctx, c, "backup", a.Node, a.Storage)
	if err != nil {
		return nil, err
	}
	if len(targets) == 0 && a.Storage != "" {
		return nil, fmt.Errorf("no available backup storage %s%s", a.Storage, onNode(a.Node))
	}
	res := &backupsResult{Backups: []backupView{}}
	var all []backupView
	for _, t := range targets {
		vols, err := c.pve.StorageContent(ctx, t.node, t.storage, "backup", a.VMID)
		if err != nil {
			// One unreachable storage should not hide the others' backups.
			res.Skipped = append(res.Skipped, fmt.Sprintf("%s on %s: %s", t.storage, t.node, explain(err)))
			continue
		}
		for _, v := range vols {
			if a.VMID != 0 && int(v.VMID) != a.VMID {
				continue
			}
			all = append(all, backupView{VolID: clean(v.VolID, maxValue), VMID: int(v.VMID), Storage: t.storage, Node: t.node,
				Size: int64(v.Size), CTime: int64(v.CTime), Format: clean(v.Format, 32), Protected: bool(v.Protected),
				Notes: cleanLines(v.Notes, 5, 200, false)})
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].CTime > all[j].CTime })
	from, to, next := a.bounds(len(all), defaultPage)
	res.Total, res.NextCursor = len(all), next
	res.Backups = append(res.Backups, all[from:to]...)
	return res, nil
}

func onNode(node string) string {
	if node == "" {
		return ""
	}
	return " on " + node
}

type backupArgs struct {
	vmidArg
	Storage string `json:"storage" check:"storage" desc:"Default: the node's"`
	Mode    string `json:"mode" enum:"snapshot|suspend|stop" desc:"Default snapshot"`
	Notes   string `json:"notes" maxlen:"1024" desc:"Backup notes"`
	writeArgs
}

func runBackup(ctx context.Context, e *env, c *call, a *backupArgs) (*writeResult, error) {
	opts := pve.BackupOptions{Storage: a.Storage, Mode: a.Mode, Notes: a.Notes}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	r, err := e.target(ctx, c, a.vmidArg)
	if err != nil {
		return nil, err
	}
	// vzdump only backs up guests of the node it runs on: send it to the guest's node.
	req, err := pve.BackupRequest(r.Ref(), opts)
	if err != nil {
		return nil, err
	}
	g := viewLocated(r)
	return e.send(ctx, c, &writeResult{action: "backup", Target: &g, what: "back up " + g.ref()}, req)
}
