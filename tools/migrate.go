package tools

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp/pve"
)

// A migration moves a guest to another node. A running VM moves online (it keeps running) and takes its
// disks on node-local storage along only when asked; a running container moves by a restart, as Proxmox has
// no live migration for containers. The dry run shows Proxmox's own preconditions (GET …/migrate): the nodes
// that may take the guest and why others may not, its local disks and the host devices that pin it.

type migrateArgs struct {
	vmidArg
	Target         string `json:"target" arg:"required" check:"node" desc:"Target node"`
	WithLocalDisks bool   `json:"with_local_disks" desc:"Copy a running VM's local disks"`
	writeArgs
}

type migrateResult struct {
	writeResult
	Mode   string         `json:"mode" out:"-"` // online, offline or restart
	Checks *migrationView `json:"preconditions,omitempty" out:"-"`
	// needsLocalDisks: an online migration of a VM with disks on node-local storage, without with_local_disks.
	needsLocalDisks bool
	// localCDROMs are CD-ROM images on node-local storage (not cloud-init drives): the task stops at them.
	localCDROMs []string
}

// migrationView is what Proxmox says of a planned migration, cleaned.
type migrationView struct {
	Allowed        []string            `json:"allowed_nodes"`
	NotAllowed     map[string][]string `json:"not_allowed_nodes,omitempty"`
	LocalDisks     []string            `json:"local_disks,omitempty"`
	LocalResources []string            `json:"local_resources,omitempty"`
	TargetAllowed  bool                `json:"target_allowed"`
}

func (r *migrateResult) Summary() string {
	s := r.writeResult.Summary()
	if r.Checks == nil {
		return s
	}
	var b strings.Builder
	b.WriteString(s)
	m := r.Checks
	fmt.Fprintf(&b, "\nProxmox's preconditions: %s migration; nodes allowed: %s.", r.Mode, nodeList(m.Allowed))
	for _, n := range sortedKeys(flatten(m.NotAllowed)) {
		fmt.Fprintf(&b, " Not %s: %s.", nodeText(n), strings.Join(m.NotAllowed[n], "; "))
	}
	if len(m.LocalResources) > 0 {
		fmt.Fprintf(&b, " Host devices that keep it on its node: %s.", strings.Join(m.LocalResources, ", "))
	}
	if len(m.LocalDisks) > 0 {
		fmt.Fprintf(&b, " Local disks: %s.", strings.Join(m.LocalDisks, ", "))
	}
	if r.needsLocalDisks {
		b.WriteString(" An online migration takes these disks along only with with_local_disks: true; without it the task fails.")
	}
	if len(r.localCDROMs) > 0 {
		fmt.Fprintf(&b, " A CD-ROM image on node-local storage cannot migrate (%s): eject it (set the drive to none) first; without that the task fails.", strings.Join(r.localCDROMs, ", "))
	}
	if !m.TargetAllowed || len(m.LocalResources) > 0 || r.needsLocalDisks || len(r.localCDROMs) > 0 {
		b.WriteString(" This migration would not go through as it stands.")
	}
	return b.String()
}

func nodeList(nodes []string) string {
	if len(nodes) == 0 {
		return "none"
	}
	out := make([]string, len(nodes))
	for i, n := range nodes {
		out[i] = nodeText(n)
	}
	return strings.Join(out, ", ")
}

func flatten(m map[string][]string) map[string]string {
	out := make(map[string]string, len(m))
	for k := range m {
		out[k] = ""
	}
	return out
}

func migrateGuest(ctx context.Context, e *env, c *call, a *migrateArgs) (*migrateResult, error) {
	g, err := e.target(ctx, c, a.vmidArg)
	if err != nil {
		return nil, err
	}
	if a.Target == g.Node {
		return nil, &ArgError{Problems: []string{fmt.Sprintf("target: guest %d is on %s already; give another node", g.VMID, g.Node)}}
	}
	if err := checkNode(ctx, c, g, a.Target); err != nil {
		return nil, err
	}
	if a.WithLocalDisks && g.Type == pve.LXC {
		return nil, &ArgError{Problems: []string{"with_local_disks: a container's volumes always move with it; the option is for VMs"}}
	}
	running := g.Status == "running"
	o := pve.MigrateOptions{Target: a.Target, WithLocalDisks: a.WithLocalDisks}
	mode := "offline"
	switch {
	case running && g.Type == pve.Qemu:
		o.Online, mode = true, "online"
	case running:
		o.Restart, mode = true, "restart"
	}
	req, err := pve.MigrateRequest(g.Ref(), o)
	if err != nil {
		return nil, err
	}
	view := viewLocated(g)
	// The mode follows a comma: the result adds its own parenthesis ("(OK in 0.1s)").
	what := fmt.Sprintf("migrate %s to %s, %s", view.ref(), a.Target, mode)
	if mode == "restart" {
		what = fmt.Sprintf("migrate %s to %s, stopped, moved and started again as containers have no live migration", view.ref(), a.Target)
	}
	res := &migrateResult{Mode: mode}
	if c.dryRun() {
		m, err := c.pve.MigrationCheck(ctx, g.Ref(), a.Target)
		if err != nil {
			return nil, err
		}
		res.Checks = viewMigration(m, a.Target)
		// What the task will find, as qemu-server's scan of the local volumes does (the preconditions list
		// the disks but do not judge them).
		for _, d := range m.LocalDisks {
			switch {
			case g.Type != pve.Qemu:
			case bool(d.CDROM) && !d.CloudInit():
				res.localCDROMs = append(res.localCDROMs, volumeText(clean(d.VolID, maxValue)))
			case mode == "online" && !a.WithLocalDisks && !bool(d.CDROM) && !bool(d.Unused):
				res.needsLocalDisks = true
			}
		}
	}
	w, err := e.send(ctx, c, &writeResult{action: "migrate", Target: &view, what: what}, req)
	if err != nil {
		return nil, err
	}
	res.writeResult = *w
	return res, nil
}

func viewMigration(m pve.Migration, target string) *migrationView {
	v := &migrationView{Allowed: []string{}}
	for _, n := range m.Allowed {
		v.Allowed = append(v.Allowed, clean(n, maxName))
	}
	v.TargetAllowed = slices.Contains(m.Allowed, target)
	for n, why := range m.NotAllowed {
		if v.NotAllowed == nil {
			v.NotAllowed = map[string][]string{}
		}
		for _, w := range why {
			v.NotAllowed[clean(n, maxName)] = append(v.NotAllowed[clean(n, maxName)], clean(w, maxValue))
		}
	}
	for _, d := range m.LocalDisks {
		s := volumeText(clean(d.VolID, maxValue))
		switch {
		case bool(d.CDROM) && d.CloudInit():
			s += " (cloud-init drive: copied to the target)"
		case bool(d.CDROM):
			s += " (CD-ROM)"
		case bool(d.Unused):
			s += " (unused)"
		default:
			s += " " + fmtBytes(int64(d.Size))
		}
		v.LocalDisks = append(v.LocalDisks, s)
	}
	for _, r := range m.LocalResources {
		v.LocalResources = append(v.LocalResources, clean(r, 32))
	}
	return v
}

// clusterNodes is the cluster's node names, sorted, from one GET /cluster/resources?type=node (a name that is
// not one is left out).
func clusterNodes(ctx context.Context, cl *pve.Client) ([]string, error) {
	list, err := cl.ClusterResources(ctx, "node")
	if err != nil {
		return nil, err
	}
	var nodes []string
	for _, r := range list {
		if r.Type == "node" && pve.ValidNode(r.Node) == nil {
			nodes = append(nodes, r.Node)
		}
	}
	slices.Sort(nodes)
	return nodes, nil
}

// checkNode refuses a target the cluster does not have, naming its nodes, before anything is sent. A node the
// guest index puts a guest on exists, with no request; any other is looked up in the cluster's node list. When
// that list cannot be read, or hides the guest's own node (a token that may not see every node), the target
// goes to Proxmox unjudged: it refuses an unknown node itself.
func checkNode(ctx context.Context, c *call, g pve.Guest, target string) error {
	if slices.Contains(c.pve.NodesWithGuests(), target) {
		return nil
	}
	nodes, err := clusterNodes(ctx, c.pve)
	if err != nil || slices.Contains(nodes, target) || !slices.Contains(nodes, g.Node) {
		return nil
	}
	others := slices.DeleteFunc(nodes, func(n string) bool { return n == g.Node })
	return &ArgError{Problems: []string{fmt.Sprintf("target: the cluster has no node %s; guest %d is on %s, the other nodes are %s",
		target, g.VMID, g.Node, nodeList(others))}}
}
