package tools

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp/pve"
)

// Caps on cluster text in results.
const (
	maxName  = 64
	maxTag   = 32
	maxTags  = 16
	maxValue = 256
)

// vmidArg addresses the guest a write acts on; the server finds its node and type.
type vmidArg struct {
	VMID int `json:"vmid" arg:"required" check:"vmid" desc:"Guest id"`
}

// guestArgs address the guest a read looks at; a caller that knows its node saves the lookup.
type guestArgs struct {
	vmidArg
	Node string `json:"node" check:"node" desc:"Its node, if known"`
}

// target resolves the guest a write acts on.
func (e *env) target(ctx context.Context, c *call, a vmidArg) (pve.Guest, error) {
	return e.resolve(ctx, c, guestArgs{vmidArg: a})
}

// resolve finds a guest from the client's guest index, or on the node the caller named.
func (e *env) resolve(ctx context.Context, c *call, a guestArgs) (pve.Guest, error) {
	return c.pve.Locate(ctx, a.VMID, a.Node)
}

// guestView is the part of a guest an operator scans.
type guestView struct {
	Cluster  string   `json:"cluster,omitempty" out:"-"` // in a list of several clusters (cluster "*")
	VMID     int      `json:"vmid"`
	Type     string   `json:"type"`
	Name     string   `json:"name,omitempty"`
	Node     string   `json:"node"`
	Status   string   `json:"status"`
	Template bool     `json:"template,omitempty"`
	Lock     string   `json:"lock,omitempty"`
	Pool     string   `json:"pool,omitempty"`
	Tags     []string `json:"tags,omitempty"`
	// The usage figures are set only where a read measured them (a listing, a guest's status): a write's
	// target comes from the guest index, which does not keep them, and a guest whose node is offline has none.
	CPU    *float64 `json:"cpu,omitempty"` // percent of its CPUs
	Mem    *int64   `json:"mem,omitempty"`
	MaxMem *int64   `json:"maxmem,omitempty"`
	Uptime *int64   `json:"uptime,omitempty"`
}

// withUsage is the view with the usage a read measured.
func (g guestView) withUsage(cpuFraction float64, mem, maxMem, uptime int64) guestView {
	g.CPU, g.Mem, g.MaxMem, g.Uptime = ptrTo(percent(cpuFraction)), ptrTo(mem), ptrTo(maxMem), ptrTo(uptime)
	return g
}

func viewGuest(r pve.Resource) guestView {
	g := guestView{
		VMID:     int(r.VMID),
		Type:     r.Type,
		Name:     clean(r.Name, maxName),
		Node:     clean(r.Node, maxName),
		Status:   clean(r.Status, 16),
		Template: bool(r.Template),
		Lock:     clean(r.Lock, 24),
		Pool:     clean(r.Pool, maxName),
		Tags:     cleanTags(r.Tags),
	}
	if r.Status == "unknown" {
		return g // its node is offline: Proxmox has no usage of it (the fields are absent, not zero)
	}
	return g.withUsage(float64(r.CPU), int64(r.Mem), int64(r.MaxMem), int64(r.Uptime))
}

// viewLocated is a located guest, without usage (resolution does not read it).
func viewLocated(g pve.Guest) guestView {
	return guestView{
		VMID:     g.VMID,
		Type:     string(g.Type),
		Name:     clean(g.Name, maxName),
		Node:     clean(g.Node, maxName),
		Status:   clean(g.Status, 16),
		Template: g.Template,
		Lock:     clean(g.Lock, 24),
		Pool:     clean(g.Pool, maxName),
		Tags:     cleanTags(g.Tags),
	}
}

func cleanTags(s string) []string {
	tags := pve.SplitTags(s)
	if len(tags) > maxTags {
		tags = tags[:maxTags]
	}
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		if c := clean(t, maxTag); c != "" {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// line is the one-line text form of a guest: "100 «opnsense» (qemu) pve1 running cpu 3% mem 1.2/4.0 GiB up 3d4h
// tags «network,prod»". Whatever a guest's editor chose (name, pool, tags) is quoted as cluster text.
func (g guestView) line() string {
	var b strings.Builder
	if g.Cluster != "" {
		b.WriteString(g.Cluster + " ")
	}
	fmt.Fprintf(&b, "%d %s (%s) %s %s", g.VMID, quotedName(g.Name), g.Type, nodeText(g.Node), known(g.Status, guestStates))
	if g.Template {
		b.WriteString(" template")
	}
	if g.Lock != "" {
		fmt.Fprintf(&b, " locked:%s", known(g.Lock, lockNames))
	}
	switch {
	case g.Status == "running" && g.MaxMem != nil && *g.MaxMem > 0 && g.CPU != nil && g.Mem != nil && g.Uptime != nil:
		fmt.Fprintf(&b, " cpu %s mem %s/%s up %s", fmtPercent(*g.CPU), fmtGiB(*g.Mem), fmtBytes(*g.MaxMem), fmtUptime(*g.Uptime))
	case g.MaxMem != nil && *g.MaxMem > 0:
		fmt.Fprintf(&b, " mem %s", fmtBytes(*g.MaxMem))
	}
	if g.Pool != "" {
		fmt.Fprintf(&b, " pool %s", inline(g.Pool, maxName))
	}
	if len(g.Tags) > 0 {
		fmt.Fprintf(&b, " tags %s", inline(strings.Join(g.Tags, ","), maxTags*(maxTag+1)))
	}
	return b.String()
}

// quotedName quotes a guest's name, or says it has none.
func quotedName(s string) string {
	if s == "" {
		return "-"
	}
	return inline(s, maxName)
}

// Proxmox's own words for a guest's state and locks pass as they are; anything else came from somewhere else.
var (
	guestStates = []string{"running", "stopped", "paused", "unknown", "prelaunch", "suspended"}
	taskStates  = []string{"running", "stopped"}
	lockNames   = []string{"backup", "clone", "create", "migrate", "rollback", "snapshot", "snapshot-delete",
		"suspending", "suspended", "disk", "fstrim", "mounted", "destroyed"}
)

// known shows s as it is when it is one of Proxmox's own values, else quoted as cluster text.
func known(s string, values []string) string {
	if slices.Contains(values, s) {
		return s
	}
	return inline(s, 24)
}

// nodeText shows a node name; one that is not a valid node name did not come from Proxmox's own checks.
func nodeText(s string) string {
	if pve.ValidNode(s) == nil {
		return s
	}
	return inline(s, maxName)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// percent turns Proxmox's 0..1 CPU fraction into a percentage with one decimal.
func percent(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		return 0
	}
	return math.Round(f*1000) / 10
}

func fmtPercent(p float64) string { return strconv.FormatFloat(p, 'f', -1, 64) + "%" }

// fmtBytes writes a size in binary units, one decimal.
func fmtBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// fmtGiB writes a size as GiB without the unit, for "used/total" pairs.
func fmtGiB(n int64) string {
	return strconv.FormatFloat(math.Round(float64(n)/(1<<30)*10)/10, 'f', 1, 64)
}

// fmtUptime writes seconds as "3d4h", "5h12m" or "42s".
func fmtUptime(s int64) string {
	d := time.Duration(s) * time.Second
	switch {
	case d >= 24*time.Hour:
		return fmt.Sprintf("%dd%dh", d/(24*time.Hour), d%(24*time.Hour)/time.Hour)
	case d >= time.Hour:
		return fmt.Sprintf("%dh%dm", d/time.Hour, d%time.Hour/time.Minute)
	case d >= time.Minute:
		return fmt.Sprintf("%dm%ds", d/time.Minute, d%time.Minute/time.Second)
	}
	return fmt.Sprintf("%ds", s)
}

// fmtTime writes a unix time in UTC.
func fmtTime(unix int64) string {
	if unix <= 0 {
		return "-"
	}
	return time.Unix(unix, 0).UTC().Format("2006-01-02 15:04:05Z")
}

// pageArgs page a list by offset: the cursor is the position of the next item, as next_cursor gave it. A
// client may echo it back as a number or as a string of digits; both are accepted.
type pageArgs struct {
	Limit  int `json:"limit" min:"1" max:"500" desc:"Default 50"`
	Cursor int `json:"cursor" min:"0" accept:"string" desc:"From next_cursor"`
}

func (p pageArgs) bounds(total, defaultLimit int) (from, to, next int) {
	limit := p.Limit
	if limit == 0 {
		limit = defaultLimit
	}
	from = min(p.Cursor, total)
	to = min(from+limit, total)
	if to < total {
		next = to
	}
	return from, to, next
}

// count writes "1 VM", "2 VMs", "0 tasks".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// volumeText shows a volume id: STORAGE:PATH as Proxmox writes it passes, anything else is quoted.
func volumeText(s string) string {
	if pve.ValidVolumeID(s) == nil && plainConfig(s) {
		return s
	}
	return inline(s, maxValue)
}
