package tools

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve"
)

func templateTools() []Def {
	return []Def{
		define("proxmox_list_templates", gate.Read,
			"VM templates and LXC templates available for clone and create",
			"VM templates to clone and container templates to create from.",
			privs("VM.Audit", "Datastore.Audit"), listTemplates),
	}
}

type templatesArgs struct {
	Node string `json:"node" check:"node" desc:"Node filter"`
}

// ctTemplate is one container template; a template on node-local storage is listed once with every node
// that has it.
type ctTemplate struct {
	VolID string   `json:"volid"`
	Nodes []string `json:"nodes"`
	Size  int64    `json:"size"`
}

type templatesResult struct {
	VMTemplates []guestView  `json:"vm_templates"`
	CTTemplates []ctTemplate `json:"ct_templates"`
	Skipped     []string     `json:"skipped,omitempty" out:"-"` // storages that could not be read
}

func (r *templatesResult) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (clone with proxmox_clone_resource). %s\n", count(len(r.VMTemplates), "VM template", "VM templates"), inlineLegend)
	for _, g := range r.VMTemplates {
		fmt.Fprintf(&b, "%d %s on %s\n", g.VMID, quotedName(g.Name), nodeText(g.Node))
	}
	fmt.Fprintf(&b, "%s (ostemplate for proxmox_create_container):\n", count(len(r.CTTemplates), "container template", "container templates"))
	for _, t := range r.CTTemplates {
		nodes := make([]string, len(t.Nodes))
		for i, n := range t.Nodes {
			nodes[i] = nodeText(n)
		}
		fmt.Fprintf(&b, "%s %s on %s\n", volumeText(t.VolID), fmtBytes(t.Size), strings.Join(nodes, ","))
	}
	for _, s := range r.Skipped {
		fmt.Fprintf(&b, "Not read: %s\n", s)
	}
	return strings.TrimRight(b.String(), "\n")
}

func listTemplates(ctx context.Context, e *env, c *call, a *templatesArgs) (*templatesResult, error) {
	guests, err := c.pve.ClusterResources(ctx, pve.ResourceVM)
	if err != nil {
		return nil, err
	}
	res := &templatesResult{VMTemplates: []guestView{}, CTTemplates: []ctTemplate{}}
	for _, r := range guests {
		if bool(r.Template) && r.IsGuest() && (a.Node == "" || r.Node == a.Node) {
			res.VMTemplates = append(res.VMTemplates, viewGuest(r))
		}
	}
	sort.Slice(res.VMTemplates, func(i, j int) bool { return res.VMTemplates[i].VMID < res.VMTemplates[j].VMID })
	targets, err := e.storagesWith(ctx, c, "vztmpl", a.Node, "")
	if err != nil {
		return nil, err
	}
	byVol := map[string]*ctTemplate{}
	for _, t := range targets {
		vols, err := c.pve.StorageContent(ctx, t.node, t.storage, "vztmpl", 0)
		if err != nil {
			res.Skipped = append(res.Skipped, fmt.Sprintf("%s on %s: %s", t.storage, t.node, explain(err)))
			continue
		}
		for _, v := range vols {
			id := clean(v.VolID, maxValue)
			ct := byVol[id]
			if ct == nil {
				ct = &ctTemplate{VolID: id, Size: int64(v.Size)}
				byVol[id] = ct
			}
			ct.Nodes = append(ct.Nodes, t.node)
		}
	}
	for _, ct := range byVol {
		sort.Strings(ct.Nodes)
		res.CTTemplates = append(res.CTTemplates, *ct)
	}
	sort.Slice(res.CTTemplates, func(i, j int) bool { return res.CTTemplates[i].VolID < res.CTTemplates[j].VolID })
	return res, nil
}
