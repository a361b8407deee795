package tools

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
)

func statusTools() []Def {
	return []Def{
		define("proxmox_status", gate.Read,
			"cluster name, quorum, version; each node: online, CPU, memory, uptime",
			"Cluster overview: quorum, version, each node's load and guests. Start here.",
			privs("Sys.Audit"), clusterStatus),
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

type statusResult struct {
	Cluster string     `json:"cluster,omitempty"`
	Quorate bool       `json:"quorate"`
	Version string     `json:"version"`
	Nodes   []nodeView `json:"nodes"`
}

func (s *statusResult) Summary() string {
	var b strings.Builder
	name := "standalone node"
	if s.Cluster != "" {
		name = inline(s.Cluster, maxName)
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
	fmt.Fprintf(&b, "Cluster %s: %s, Proxmox VE %s, %d of %d nodes online. %s\n", name, q, versionText(s.Version), online, len(s.Nodes), inlineLegend)
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

// clusterStatus reads three things: the version, the cluster's quorum, and every node and guest in one
// /cluster/resources request.
func clusterStatus(ctx context.Context, e *env, c *call, _ *noArgs) (*statusResult, error) {
	v, err := c.pve.Version(ctx)
	if err != nil {
		return nil, err
	}
	cs, err := c.pve.ClusterStatus(ctx)
	if err != nil {
		return nil, err
	}
	all, err := c.pve.ClusterResources(ctx, "")
	if err != nil {
		return nil, err
	}
	res := &statusResult{Version: clean(v.Version, 32), Quorate: true}
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
