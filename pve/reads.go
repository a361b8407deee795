package pve

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// Bounds on answers, by what a request reads: each typed read picks the one that fits it, so a server that
// sends without end, or far more than such an answer can hold, is cut off early instead of filling memory.
const (
	// objectBody bounds one object (a version, a node's, guest's or task's status, a guest's configuration,
	// a write's task id): the largest real ones, configs with notes, are tens of KiB.
	objectBody = 1 << 20
	// listBody bounds a list of one node or one guest, or one entry per node (snapshots, a node's tasks
	// or storages, appliances, nodes, pools, usage samples).
	listBody = 16 << 20
	// wholeCluster bounds lists that grow with the whole cluster (every guest, a backup storage's
	// content, every ACL path): the client's maximum, WithMaxResponseBytes.
	wholeCluster = 0
)

// get sends a GET whose answer may hold at most limit bytes (wholeCluster: the client's maximum) and
// decodes its data member.
func get[T any](ctx context.Context, c *Client, path string, q url.Values, limit int64, what string) (T, error) {
	var out T
	if _, err := c.do(ctx, Request{method: "GET", path: path, params: q, limit: limit}, &out); err != nil {
		return out, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// Version is GET /version.
func (c *Client) Version(ctx context.Context) (Version, error) {
	return get[Version](ctx, c, "/version", nil, objectBody, "read version")
}

// ClusterStatus is GET /cluster/status: the cluster entry (absent on a single node) and one per node.
func (c *Client) ClusterStatus(ctx context.Context) ([]ClusterStatusItem, error) {
	return get[[]ClusterStatusItem](ctx, c, "/cluster/status", nil, listBody, "read cluster status")
}

// Resource types accepted by ClusterResources (as are "node" and "sdn").
const (
	ResourceVM      = "vm"
	ResourceStorage = "storage"
)

// ClusterResources is GET /cluster/resources: every guest of the cluster in one request with typ "vm"; all
// resources with typ "".
func (c *Client) ClusterResources(ctx context.Context, typ string) ([]Resource, error) {
	var q url.Values
	switch typ {
	case "":
	case ResourceVM, "node", ResourceStorage, "sdn":
		q = url.Values{"type": {typ}}
	default:
		return nil, invalid(fmt.Errorf("resource type %s is not vm, node, storage or sdn", quote(typ)))
	}
	asked := time.Now()
	list, err := get[resourceList](ctx, c, "/cluster/resources", q, wholeCluster, "list cluster resources")
	all := []Resource(list)
	if err == nil && typ != "node" && typ != ResourceStorage && typ != "sdn" {
		// A listing of the guests is also what the guest index is made of.
		c.index.fill(indexOf(all, func(r *Resource) indexEntry {
			return indexEntry{VMID: r.VMID, Type: r.Type, Node: r.Node, Name: r.Name, Status: r.Status,
				Template: r.Template, Lock: r.Lock, Tags: r.Tags, Pool: r.Pool, HAState: r.HAState}
		}), asked)
	}
	return all, err
}

// NextID is GET /cluster/nextid: the lowest free vmid.
func (c *Client) NextID(ctx context.Context) (int, error) {
	// The schema says integer; servers send it as a string.
	n, err := get[Int](ctx, c, "/cluster/nextid", nil, objectBody, "next free vmid")
	return int(n), err
}

// ClusterTasks is GET /cluster/tasks: a short list of recent tasks cluster-wide, running ones included.
func (c *Client) ClusterTasks(ctx context.Context) ([]Task, error) {
	return get[[]Task](ctx, c, "/cluster/tasks", nil, listBody, "list cluster tasks")
}

// GuestStatus is GET .../status/current.
func (c *Client) GuestStatus(ctx context.Context, g GuestRef) (GuestStatus, error) {
	p, err := g.path("status", "current")
	if err != nil {
		return GuestStatus{}, err
	}
	return get[GuestStatus](ctx, c, p, nil, objectBody, "read status of "+g.String())
}

// GuestConfig is GET .../config (pending changes applied, as Proxmox returns by default).
func (c *Client) GuestConfig(ctx context.Context, g GuestRef) (GuestConfig, error) {
	p, err := g.path("config")
	if err != nil {
		return nil, err
	}
	return get[GuestConfig](ctx, c, p, nil, objectBody, "read config of "+g.String())
}

// Snapshots is GET .../snapshot; the list ends with the pseudo-snapshot "current".
func (c *Client) Snapshots(ctx context.Context, g GuestRef) ([]Snapshot, error) {
	p, err := g.path("snapshot")
	if err != nil {
		return nil, err
	}
	return get[[]Snapshot](ctx, c, p, nil, listBody, "list snapshots of "+g.String())
}

// Timeframes for RRD data; decade exists from PVE 9.0 and for nodes only.
var rrdTimeframes = map[string]bool{"hour": true, "day": true, "week": true, "month": true, "year": true, "decade": true}

// RRDData is GET .../rrddata of a node (g nil) or of a guest. cf is AVERAGE (default when "") or MAX.
func (c *Client) RRDData(ctx context.Context, node string, g *GuestRef, timeframe, cf string) ([]RRDPoint, error) {
	if !rrdTimeframes[timeframe] || (g != nil && timeframe == "decade") {
		return nil, invalid(fmt.Errorf("timeframe %s is not hour, day, week, month or year", quote(timeframe)))
	}
	if cf != "" && cf != "AVERAGE" && cf != "MAX" {
		return nil, invalid(fmt.Errorf("consolidation %s is not AVERAGE or MAX", quote(cf)))
	}
	var (
		p    string
		err  error
		what string
	)
	if g != nil {
		p, err = g.path("rrddata")
		what = "read usage of " + g.String()
	} else {
		p, err = nodePath(node, "rrddata")
		what = "read usage of node " + node
	}
	if err != nil {
		return nil, err
	}
	q := url.Values{"timeframe": {timeframe}}
	if cf != "" {
		q.Set("cf", cf)
	}
	return get[[]RRDPoint](ctx, c, p, q, listBody, what)
}

// TaskFilter narrows GET /nodes/{node}/tasks.
type TaskFilter struct {
	VMID       int    // 0: all guests
	ErrorsOnly bool   // only failed tasks
	Limit      int    // 0: Proxmox's default (50)
	Start      int    // offset
	Source     string // archive (default: finished only), active, all
	TypeFilter string // e.g. vzdump
	Since      int64  // unix seconds
}

// Tasks is GET /nodes/{node}/tasks.
func (c *Client) Tasks(ctx context.Context, node string, f TaskFilter) ([]Task, error) {
	p, err := nodePath(node, "tasks")
	if err != nil {
		return nil, err
	}
	q := params{}
	if f.VMID != 0 {
		if err := ValidVMID(f.VMID); err != nil {
			return nil, invalid(err)
		}
		q.setInt("vmid", f.VMID)
	}
	switch f.Source {
	case "", "archive", "active", "all":
		q.set("source", f.Source)
	default:
		return nil, invalid(fmt.Errorf("task source %s is not archive, active or all", quote(f.Source)))
	}
	if f.Limit < 0 || f.Start < 0 || f.Since < 0 {
		return nil, invalid(fmt.Errorf("task limit, start and since must not be negative"))
	}
	q.setBool("errors", f.ErrorsOnly)
	q.setInt("limit", f.Limit)
	q.setInt("start", f.Start)
	q.set("typefilter", f.TypeFilter)
	if f.Since > 0 {
		q.set("since", strconv.FormatInt(f.Since, 10))
	}
	return get[[]Task](ctx, c, p, url.Values(q), listBody, "list tasks on "+node)
}

var storageContent = map[string]bool{"backup": true, "images": true, "iso": true, "rootdir": true, "snippets": true, "vztmpl": true, "import": true}

// StorageContent is GET /nodes/{node}/storage/{storage}/content, filtered by content type and vmid (0: any).
func (c *Client) StorageContent(ctx context.Context, node, storage, content string, vmid int) ([]Volume, error) {
	if err := ValidStorage(storage); err != nil {
		return nil, invalid(err)
	}
	p, err := nodePath(node, "storage", storage, "content")
	if err != nil {
		return nil, err
	}
	q := params{}
	if content != "" {
		if !storageContent[content] {
			return nil, invalid(fmt.Errorf("content type %s is not one of backup, images, iso, rootdir, snippets, vztmpl, import", quote(content)))
		}
		q.set("content", content)
	}
	if vmid != 0 {
		if err := ValidVMID(vmid); err != nil {
			return nil, invalid(err)
		}
		q.setInt("vmid", vmid)
	}
	return get[[]Volume](ctx, c, p, url.Values(q), wholeCluster, fmt.Sprintf("list %s content on %s", storage, node))
}

// Permissions is GET /access/permissions: the token's own effective privileges, per ACL path.
func (c *Client) Permissions(ctx context.Context, path string) (Permissions, error) {
	var q url.Values
	if path != "" {
		q = url.Values{"path": {path}}
	}
	return get[Permissions](ctx, c, "/access/permissions", q, wholeCluster, "read token permissions")
}
