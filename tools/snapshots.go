package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve"
)

func snapshotTools() []Def {
	return []Def{
		define("proxmox_list_snapshots", gate.Read,
			"a guest's snapshots",
			"A guest's snapshots: name, time, parent, RAM, notes.",
			privs("VM.Audit"), listSnapshots),
		define("proxmox_snapshot_resource", gate.Write,
			"create a named snapshot",
			"Take a named snapshot of a guest.",
			privs("VM.Snapshot"), createSnapshot),
		define("proxmox_delete_snapshot", gate.Destructive,
			"delete a snapshot",
			"Delete a guest's snapshot. Irreversible.",
			privs("VM.Snapshot"), deleteSnapshot),
		define("proxmox_rollback_snapshot", gate.Destructive,
			"roll a guest back to a snapshot (discards current state)",
			"Return a guest to a snapshot, discarding all changes since.",
			privs("VM.Snapshot.Rollback|VM.Snapshot"), rollbackSnapshot),
	}
}

type snapshotView struct {
	Name    string   `json:"name"`
	Parent  string   `json:"parent,omitempty"`
	Time    int64    `json:"snaptime,omitempty"`
	VMState bool     `json:"vmstate,omitempty"`
	Notes   []string `json:"notes,omitempty"`
}

type snapshotsResult struct {
	Guest     guestView      `json:"guest" out:"-"`
	Snapshots []snapshotView `json:"snapshots"`
	Current   string         `json:"current_parent,omitempty" out:"-"`
}

func (s *snapshotsResult) Summary() string {
	var b strings.Builder
	if len(s.Snapshots) == 0 {
		fmt.Fprintf(&b, "%s has no snapshots.", s.Guest.ref())
		return b.String()
	}
	fmt.Fprintf(&b, "%s has %s", s.Guest.ref(), count(len(s.Snapshots), "snapshot", "snapshots"))
	if s.Current != "" {
		fmt.Fprintf(&b, "; the current state derives from %s", s.Current)
	}
	b.WriteString(". " + inlineLegend + "\n")
	for _, sn := range s.Snapshots {
		fmt.Fprintf(&b, "%s %s", sn.Name, fmtTime(sn.Time))
		if sn.Parent != "" {
			fmt.Fprintf(&b, " parent %s", sn.Parent)
		}
		if sn.VMState {
			b.WriteString(" with RAM")
		}
		if len(sn.Notes) > 0 {
			b.WriteString(" notes " + inline(strings.Join(sn.Notes, " / "), 120))
		}
		b.WriteByte('\n')
	}
	return strings.TrimRight(b.String(), "\n")
}

func listSnapshots(ctx context.Context, e *env, c *call, a *guestArgs) (*snapshotsResult, error) {
	r, err := e.resolve(ctx, c, *a)
	if err != nil {
		return nil, err
	}
	list, err := c.pve.Snapshots(ctx, r.Ref())
	if err != nil {
		return nil, err
	}
	res := &snapshotsResult{Guest: viewLocated(r), Snapshots: []snapshotView{}}
	for _, s := range list {
		if s.Name == "current" {
			// Proxmox's pseudo-entry for "you are here".
			res.Current = clean(s.Parent, 40)
			continue
		}
		res.Snapshots = append(res.Snapshots, snapshotView{
			Name: clean(s.Name, 40), Parent: clean(s.Parent, 40), Time: int64(s.SnapTime), VMState: bool(s.VMState),
			Notes: cleanLines(s.Description, 10, 200, false),
		})
	}
	return res, nil
}

type snapshotArgs struct {
	vmidArg
	Name        string `json:"name" arg:"required" check:"snapshot" desc:"Snapshot name"`
	Description string `json:"description" maxlen:"1024" desc:"Snapshot notes"`
	VMState     bool   `json:"vmstate" desc:"Include RAM"`
	writeArgs
}

func createSnapshot(ctx context.Context, e *env, c *call, a *snapshotArgs) (*writeResult, error) {
	r, err := e.target(ctx, c, a.vmidArg)
	if err != nil {
		return nil, err
	}
	req, err := pve.SnapshotRequest(r.Ref(), a.Name, a.Description, a.VMState)
	if err != nil {
		return nil, err
	}
	g := viewLocated(r)
	return e.send(ctx, c, &writeResult{action: "snapshot", Target: &g, what: "snapshot " + g.ref() + " as " + a.Name}, req)
}

type snapshotNameArgs struct {
	vmidArg
	Name string `json:"name" arg:"required" check:"snapshot" desc:"Snapshot name"`
	destructiveArgs
}

func deleteSnapshot(ctx context.Context, e *env, c *call, a *snapshotNameArgs) (*writeResult, error) {
	r, err := e.target(ctx, c, a.vmidArg)
	if err != nil {
		return nil, err
	}
	req, err := pve.DeleteSnapshotRequest(r.Ref(), a.Name)
	if err != nil {
		return nil, err
	}
	g := viewLocated(r)
	return e.send(ctx, c, &writeResult{action: "delete_snapshot", Target: &g, what: "delete snapshot " + a.Name + " of " + g.ref()}, req)
}

type rollbackArgs struct {
	vmidArg
	Name  string `json:"name" arg:"required" check:"snapshot" desc:"Snapshot name"`
	Start bool   `json:"start" desc:"Start afterwards"`
	destructiveArgs
}

func rollbackSnapshot(ctx context.Context, e *env, c *call, a *rollbackArgs) (*writeResult, error) {
	r, err := e.target(ctx, c, a.vmidArg)
	if err != nil {
		return nil, err
	}
	req, err := pve.RollbackRequest(r.Ref(), a.Name, a.Start)
	if err != nil {
		return nil, err
	}
	g := viewLocated(r)
	return e.send(ctx, c, &writeResult{action: "rollback", Target: &g, what: "roll back " + g.ref() + " to snapshot " + a.Name}, req)
}
