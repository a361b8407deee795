package tools

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve"
)

func statusTools() []Def {
	return []Def{
		spread(define("proxmox_status", gate.Read,
			"cluster name, quorum, version; each node: online, CPU, memory, uptime",
			"Cluster overview: quorum, version, each node's load and guests. Start here.",
			privs("Sys.Audit"), status)),
	}
}

type noArgs struct{}

type nodeView struct {
	Node    string  `json:"node"`
	Online  bool    `json:"online"`
	CPU     float64 `json:"cpu"`
	MaxCPU  int     `json:"maxcpu,omitempty"`
	Mem     int64   `json:"mem"`
	MaxMem  int64   `json:"maxmem"`
	Uptime  int64   `json:"uptime"`
	Guests  int     `json:"guests"`
	Running int     `json:"running"`
}

// statusResult is one cluster's status, its fields at the top level as they always were; or, with cluster "*",
// every cluster's, in clusters.
type statusResult struct {
	*clusterStatus
	Clusters   []*clusterStatus `json:"clusters,omitempty" out:"-"`
	Unanswered []unanswered     `json:"unanswered,omitempty" out:"-"`
}

// clusterStatus is what one cluster says of itself. Without a targets file, cluster is Proxmox's name for
// it; with one, cluster is the name calls give (the cluster argument's) and Proxmox's own is pve_cluster.
type clusterStatus struct {
	Cluster    string     `json:"cluster,omitempty"`
	PVECluster string     `json:"pve_cluster,omitempty" out:"-"`
	Quorate    bool       `json:"quorate"`
	Version    string     `json:"version"`
	Nodes      []nodeView `json:"nodes"`
	named      bool       // Cluster is the targets file's name
}

func (s *statusResult) Summary() string {
	if s.clusterStatus != nil {
		return s.clusterStatus.summary(true)
	}
	var b strings.Builder
	for i, c := range s.Clusters {
		if i > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(c.summary(i == 0)) // the legend once
	}
	writeUnanswered(&b, s.Unanswered)
	return strings.TrimRight(b.String(), "\n")
}

func (s *clusterStatus) summary(legend bool) string {
	var b strings.Builder
	name := "standalone node"
	pveName := s.Cluster
	if s.named {
		pveName = s.PVECluster
	}
	if pveName != "" {
		name = inline(pveName, maxName)
	}
	if s.named {
		name = s.Cluster + " (Proxmox: " + name + ")"
	}
	q := "quorate"
	if !s.Quorate {
		q = "NOT quorate"
	}
	online := 0
	for _, n := range s.Nodes {
		if n.Online {
			online++
		}
	}
	fmt.Fprintf(&b, "Cluster %s: %s, Proxmox VE %s, %d of %d nodes online.", name, q, versionText(s.Version), online, len(s.Nodes))
	if legend {
		b.WriteString(" " + inlineLegend)
	}
	b.WriteString("\n")
	for _, n := range s.Nodes {
		if !n.Online {
			fmt.Fprintf(&b, "%s OFFLINE\n", nodeText(n.Node))
			continue
		}
		fmt.Fprintf(&b, "%s online cpu %s of %d mem %s/%s up %s guests %d (%d running)\n",
			nodeText(n.Node), fmtPercent(n.CPU), n.MaxCPU, fmtGiB(n.Mem), fmtBytes(n.MaxMem), fmtUptime(n.Uptime), n.Guests, n.Running)
	}
	return strings.TrimRight(b.String(), "\n")
}

// status reads the status of the call's cluster, or with cluster "*" of every cluster at once.
func status(ctx context.Context, e *env, c *call, _ *noArgs) (*statusResult, error) {
	answers, failed, err := split(each(ctx, c, readStatus))
	if err != nil {
		return nil, err
	}
	for _, a := range answers {
		if e.clusters.declared {
			a.val.named, a.val.PVECluster, a.val.Cluster = true, a.val.Cluster, a.target.Name
		}
	}
	if !c.several() {
		return &statusResult{clusterStatus: answers[0].val}, nil
	}
	res := &statusResult{Unanswered: failed}
	for _, a := range answers {
		res.Clusters = append(res.Clusters, a.val)
	}
	return res, nil
}

// readStatus reads three things: the version, the cluster's quorum, and every node and guest in one
// /cluster/resources request.
func readStatus(ctx context.Context, cl *pve.Client) (*clusterStatus, error) {
	v, err := cl.Version(ctx)
	if err != nil {
		return nil, err
	}
	cs, err := cl.ClusterStatus(ctx)
	if err != nil {
		return nil, err
	}
	all, err := cl.ClusterResources(ctx, "")
	if err != nil {
		return nil, err
	}
	res := &clusterStatus{Version: clean(v.Version, 32), Quorate: true}
	online := map[string]bool{}
	for _, c := range cs {
		switch c.Type {
		case "cluster":
			res.Cluster, res.Quorate = clean(c.Name, maxName), bool(c.Quorate)
		case "node":
			online[c.Name] = bool(c.Online)
		}
	}
	nodes := map[string]*nodeView{}
	for _, r := range all {
		if r.Type == "node" {
			n := &nodeView{Node: clean(r.Node, maxName), Online: r.Status == "online", CPU: percent(float64(r.CPU)), MaxCPU: int(r.MaxCPU),
				Mem: int64(r.Mem), MaxMem: int64(r.MaxMem), Uptime: int64(r.Uptime)}
			if o, ok := online[r.Node]; ok {
				n.Online = o
			}
			nodes[r.Node] = n
		}
	}
	for _, r := range all {
		if n := nodes[r.Node]; n != nil && r.IsGuest() && !bool(r.Template) {
			n.Guests++
			if r.Status == "running" {
				n.Running++
			}
		}
	}
	for _, n := range nodes {
		res.Nodes = append(res.Nodes, *n)
	}
	sort.Slice(res.Nodes, func(i, j int) bool { return res.Nodes[i].Node < res.Nodes[j].Node })
	return res, nil
}

// versionPattern is what a Proxmox VE version looks like: 9.1.3, 8.4.0~rc1.
var versionPattern = regexp.MustCompile(`^[0-9]+(\.[0-9]+)*[a-z0-9.~+-]*$`)

func versionText(v string) string {
	if len(v) <= 32 && versionPattern.MatchString(v) {
		return v
	}
	return inline(v, 32)
}
