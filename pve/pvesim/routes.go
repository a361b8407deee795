package pvesim

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp/pve/schema"
)

// route is an API method the simulator models: its handler answers from the cluster's state. Every other
// operation of the schema is answered by unmodelled, from the operation's returns schema.
type route struct {
	kind   string // qemu or lxc for guest routes
	handle func(c *call) (reply, *apiError)
}

// call is one request on its way through a handler.
type call struct {
	s      *Sim
	tok    *token
	method string
	op     *schema.Operation
	vars   map[string]string
	p      map[string]string // parameters: body, query and path variables, validated
	now    time.Time
	kind   string // qemu or lxc on guest routes
	n      *node  // the path's node, once known to exist and be online
}

// vmid is the path's (validated) vmid.
func (c *call) vmid() int {
	v, _ := strconv.Atoi(c.p["vmid"])
	return v
}

// guest is the path's guest on the path's node: PVE looks for the configuration file there, so a vmid that
// lives on another node "does not exist" here.
func (c *call) guest() (*guest, *apiError) {
	vmid := c.vmid()
	g := c.s.c.guests[vmid]
	if g == nil || g.node != c.n.name || g.kind != c.kind {
		return nil, fail("Configuration file '%s' does not exist", confPath(c.n.name, c.kind, vmid))
	}
	return g, nil
}

// intParam reads an optional integer parameter (already validated).
func (c *call) intParam(name string, def int) int {
	if v, ok := c.p[name]; ok {
		if n, err := strconv.Atoi(strings.TrimPrefix(v, "+")); err == nil {
			return n
		}
	}
	return def
}

// user is what PVE calls the authuser of a token: its full id, which tasks carry in their UPID.
func (c *call) user() string { return c.tok.id }

// routes are the modelled operations, keyed "METHOD /path/template" as in the schema.
var routes = sync.OnceValue(buildRoutes)

func buildRoutes() map[string]*route {
	rs := map[string]*route{}
	add := func(method, path, kind string, h func(*call) (reply, *apiError)) {
		rs[method+" "+path] = &route{kind: kind, handle: h}
	}
	add("GET", "/version", "", (*call).version)
	add("GET", "/cluster/status", "", (*call).clusterStatus)
	add("GET", "/cluster/resources", "", (*call).clusterResources)
	add("GET", "/cluster/nextid", "", (*call).nextID)
	add("GET", "/cluster/tasks", "", (*call).clusterTasks)
	add("GET", "/nodes", "", (*call).nodes)
	add("GET", "/nodes/{node}/status", "", (*call).nodeStatus)
	add("GET", "/nodes/{node}/rrddata", "", (*call).nodeRRD)
	add("GET", "/nodes/{node}/aplinfo", "", (*call).aplinfo)
	add("GET", "/nodes/{node}/storage", "", (*call).storages)
	add("GET", "/nodes/{node}/storage/{storage}/content", "", (*call).storageContent)
	add("POST", "/nodes/{node}/vzdump", "", (*call).vzdump)
	add("GET", "/nodes/{node}/tasks", "", (*call).tasks)
	add("GET", "/nodes/{node}/tasks/{upid}/status", "", (*call).taskStatus)
	add("GET", "/nodes/{node}/tasks/{upid}/log", "", (*call).taskLog)
	add("DELETE", "/nodes/{node}/tasks/{upid}", "", (*call).stopTask)
	add("GET", "/access/permissions", "", (*call).permissions)
	add("GET", "/pools", "", (*call).pools)
	for _, kind := range []string{"qemu", "lxc"} {
		base := "/nodes/{node}/" + kind
		g := base + "/{vmid}"
		add("GET", base, kind, (*call).guestList)
		if kind == "qemu" {
			add("POST", base, kind, (*call).createVM)
		} else {
			add("POST", base, kind, (*call).createCT)
		}
		add("GET", g+"/status/current", kind, (*call).guestStatus)
		for _, action := range []string{"start", "stop", "shutdown", "reboot"} {
			add("POST", g+"/status/"+action, kind, powerHandler(action))
		}
		add("GET", g+"/config", kind, (*call).guestConfig)
		add("GET", g+"/snapshot", kind, (*call).snapshotList)
		add("POST", g+"/snapshot", kind, (*call).snapshotCreate)
		add("DELETE", g+"/snapshot/{snapname}", kind, (*call).snapshotDelete)
		add("POST", g+"/snapshot/{snapname}/rollback", kind, (*call).snapshotRollback)
		add("POST", g+"/clone", kind, (*call).clone)
		add("DELETE", g, kind, (*call).destroy)
		add("GET", g+"/rrddata", kind, (*call).guestRRD)
	}
	addHARoutes(add)
	addFirewallRoutes(add)
	addAgentRoutes(add)
	addConfigRoutes(add)
	addMigrateRoutes(add)
	return rs
}
