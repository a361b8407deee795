package tools

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve"
)

func guestTools() []Def {
	return []Def{
		spread(define("proxmox_list_vms", gate.Read,
			"QEMU guests across the cluster in one request; filters; paged",
			"QEMU VMs with state and usage; filters combine.",
			privs("VM.Audit"), listGuests(pve.Qemu))),
		spread(define("proxmox_list_containers", gate.Read,
			"the same for LXC",
			"LXC containers with state and usage; filters combine.",
			privs("VM.Audit"), listGuests(pve.LXC))),
		define("proxmox_get_resource", gate.Read,
			"one guest's status and config by vmid",
			"One guest by vmid: live status, config and notes.",
			privs("VM.Audit"), getResource),
	}
}

type listArgs struct {
	Node      string `json:"node" check:"node" desc:"Node filter"`
	Status    string `json:"status" enum:"running|stopped|paused|unknown" desc:"State filter"`
	Name      string `json:"name" maxlen:"64" desc:"Name substring"`
	Tag       string `json:"tag" check:"tag" desc:"Tag filter"`
	Pool      string `json:"pool" check:"pool" desc:"Pool filter"`
	Templates *bool  `json:"templates" desc:"Template filter"`
	pageArgs
}

type listResult struct {
	Kind       string       `json:"kind" out:"-"`
	Total      int          `json:"total"`
	Items      []guestView  `json:"items"`
	NextCursor int          `json:"next_cursor,omitempty"`
	Unanswered []unanswered `json:"unanswered,omitempty" out:"-"` // cluster "*": the clusters that did not answer
	// Note says why nothing matched when a filter names what the cluster does not have (a node).
	Note string `json:"note,omitempty" out:"-"`
}

const defaultPage = 50

// pastTheEnd is what a page says that a cursor beyond the last item left empty.
const pastTheEnd = "the cursor is past the last of them: leave cursor out to start from the first."

func (l *listResult) kindOne() string { return strings.TrimSuffix(l.Kind, "s") }

func (l *listResult) Summary() string {
	var b strings.Builder
	if l.Total == 0 {
		fmt.Fprintf(&b, "No %s match.", l.Kind)
		if l.Note != "" {
			b.WriteString(" " + l.Note)
		}
		writeUnanswered(&b, l.Unanswered)
		return b.String()
	}
	verb := "match"
	if l.Total == 1 {
		verb = "matches"
	}
	fmt.Fprintf(&b, "%s %s", count(l.Total, l.kindOne(), l.Kind), verb)
	if len(l.Items) == 0 {
		b.WriteString(", and " + pastTheEnd)
		writeUnanswered(&b, l.Unanswered)
		return b.String()
	}
	if len(l.Items) < l.Total {
		fmt.Fprintf(&b, ", showing %d", len(l.Items))
		if l.NextCursor != 0 {
			fmt.Fprintf(&b, " (next_cursor %d)", l.NextCursor)
		}
	}
	b.WriteString(". " + inlineLegend + "\n")
	for _, g := range l.Items {
		b.WriteString(g.line())
		b.WriteByte('\n')
	}
	writeUnanswered(&b, l.Unanswered)
	return strings.TrimRight(b.String(), "\n")
}

// listGuests answers from one /cluster/resources request, whatever the cluster's size, and filters and pages
// here: per-node listing would cost a request per node. With cluster "*" it asks every cluster at once, one
// request each, and pages over the merged list: the clusters in the targets file's order, each by vmid.
func listGuests(typ pve.GuestType) func(ctx context.Context, e *env, c *call, a *listArgs) (*listResult, error) {
	kind := "VMs"
	if typ == pve.LXC {
		kind = "containers"
	}
	return func(ctx context.Context, e *env, c *call, a *listArgs) (*listResult, error) {
		var note string
		answers, failed, err := split(each(ctx, c, func(ctx context.Context, cl *pve.Client) ([]pve.Resource, error) {
			all, err := cl.ClusterResources(ctx, pve.ResourceVM)
			if err != nil {
				return nil, err
			}
			match := filterGuests(all, typ, a)
			if len(match) == 0 && a.Node != "" && !c.several() {
				note = unknownNode(ctx, cl, all, a.Node) // nothing matched: all is as listed
			}
			sort.Slice(match, func(i, j int) bool { return match[i].VMID < match[j].VMID })
			return match, nil
		}))
		if err != nil {
			return nil, err
		}
		total := 0
		for _, an := range answers {
			total += len(an.val)
		}
		from, to, next := a.bounds(total, defaultPage)
		res := &listResult{Kind: kind, Total: total, NextCursor: next, Items: make([]guestView, 0, to-from), Unanswered: failed, Note: note}
		at := 0 // position of the current cluster's first guest in the merged list
		for _, an := range answers {
			lo, hi := max(from-at, 0), min(to-at, len(an.val))
			for i := lo; i < hi; i++ {
				g := viewGuest(an.val[i])
				if c.several() {
					g.Cluster = an.target.Name
				}
				res.Items = append(res.Items, g)
			}
			at += len(an.val)
		}
		return res, nil
	}
}

// unknownNode says, when a node filter names a node the cluster does not have, which nodes it has: "" when it
// has it, or its nodes cannot be read. A node some guest is on exists, with no request; any other costs one
// GET of the cluster's nodes, made only when the filter left nothing.
func unknownNode(ctx context.Context, cl *pve.Client, guests []pve.Resource, node string) string {
	for _, r := range guests {
		if r.Node == node {
			return ""
		}
	}
	nodes, err := clusterNodes(ctx, cl)
	if err != nil || slices.Contains(nodes, node) {
		return ""
	}
	return fmt.Sprintf("The cluster has no node %s; its nodes are %s.", node, nodeList(nodes))
}

// filterGuests keeps the guests of one type that pass every filter given, in all's own array (a listing of
// 5,000 guests is 1.6 MB of them): a guest moves only to a place already read, and when none passes, all is
// unchanged.
func filterGuests(all []pve.Resource, typ pve.GuestType, a *listArgs) []pve.Resource {
	name := strings.ToLower(a.Name)
	match := all[:0]
	for _, r := range all {
		if r.Type != string(typ) ||
			a.Node != "" && r.Node != a.Node ||
			a.Status != "" && r.Status != a.Status ||
			name != "" && !strings.Contains(strings.ToLower(r.Name), name) ||
			a.Tag != "" && !slices.Contains(r.TagList(), a.Tag) ||
			a.Pool != "" && r.Pool != a.Pool ||
			a.Templates != nil && bool(r.Template) != *a.Templates {
			continue
		}
		match = append(match, r)
	}
	return match
}

type resourceResult struct {
	guestView `json:"guest"`
	liveView  `json:"live" out:"-"`
	Config    map[string]string `json:"config"`
	Notes     []string          `json:"notes,omitempty" out:"-"`
}

// liveView is what only the guest's own status tells.
type liveView struct {
	QMPStatus string  `json:"qmpstatus,omitempty"`
	CPUs      float64 `json:"cpus,omitempty"`
	Disk      int64   `json:"disk,omitempty"`
	MaxDisk   int64   `json:"maxdisk,omitempty"`
	HA        string  `json:"ha,omitempty"`
}

// Config keys never shown: digest is noise; the cloud-init password is a secret even when Proxmox masks it.
var hiddenConfig = map[string]bool{"digest": true, "cipassword": true, "description": true}

func (r *resourceResult) Summary() string {
	var b strings.Builder
	b.WriteString(r.line())
	if r.QMPStatus != "" && r.QMPStatus != r.Status {
		fmt.Fprintf(&b, " (qemu: %s)", r.QMPStatus)
	}
	if r.HA != "" {
		fmt.Fprintf(&b, " ha:%s", r.HA)
	}
	b.WriteString("\nconfig:")
	keys := make([]string, 0, len(r.Config))
	for k := range r.Config {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	quoted := false
	for _, k := range keys {
		v := r.Config[k]
		// Most values are property strings (virtio=…,bridge=vmbr0); free-text ones (ciuser, args, a
		// searchdomain) can say anything, so whatever is not plain is quoted as cluster text.
		if !plainConfig(k) {
			k, quoted = inline(k, 40), true
		}
		if !plainConfig(v) {
			v, quoted = inline(v, maxValue), true
		}
		fmt.Fprintf(&b, " %s=%s", k, v)
	}
	if quoted {
		b.WriteString("\n" + inlineLegend)
	}
	b.WriteByte('\n')
	fence(&b, "notes", r.Notes)
	return strings.TrimRight(b.String(), "\n")
}

// plainConfig reports whether a config key or value is made only of the characters property strings use:
// no spaces, no quotes, nothing that could read as a sentence.
func plainConfig(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("=,:;._/@+%-[]", c) >= 0) {
			return false
		}
	}
	return true
}

func getResource(ctx context.Context, e *env, c *call, a *guestArgs) (*resourceResult, error) {
	d, err := c.pve.ReadGuest(ctx, a.VMID, a.Node)
	if err != nil {
		return nil, err
	}
	st, cfg := d.Status, d.Config
	g := viewLocated(d.Guest).withUsage(float64(st.CPU), int64(st.Mem), int64(st.MaxMem), int64(st.Uptime))
	res := &resourceResult{
		guestView: g,
		liveView:  liveView{QMPStatus: clean(st.QMPStatus, 16), CPUs: float64(st.CPUs), Disk: int64(st.Disk), MaxDisk: int64(st.MaxDisk)},
		Config:    map[string]string{},
		Notes:     cleanLines(cfg.String("description"), 40, 200, false),
	}
	if st.HA.Managed {
		res.HA = clean(st.HA.State, 24)
	}
	for k := range cfg {
		if hiddenConfig[k] || len(res.Config) >= 120 {
			continue
		}
		res.Config[clean(k, 40)] = clean(cfg.String(k), maxValue)
	}
	return res, nil
}
