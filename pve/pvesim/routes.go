package pvesim

import (
	"strconv"
	"strings"
	"time"
)

// route is one API method pvesim serves.
type route struct {
	method  string
	pattern []string // path segments; "{name}" segments are variables
	key     string   // "METHOD /path" as in schema_gen.go
	kind    string   // qemu or lxc for guest routes
	write   bool     // changes the cluster: runs under the write lock
	perm    func(c *call) *apiError
	handle  func(c *call) (reply, *apiError)
}

// call is one request on its way through a handler.
type call struct {
	s      *Sim
	tok    *token
	method string
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

func vmPath(c *call) string { return "/vms/" + c.p["vmid"] }

func needVM(privs ...string) func(c *call) *apiError {
	return func(c *call) *apiError { return c.tok.need(vmPath(c), privs...) }
}

func needNode(priv string) func(c *call) *apiError {
	return func(c *call) *apiError { return c.tok.need("/nodes/"+c.p["node"], priv) }
}

var routes = buildRoutes()

func buildRoutes() []*route {
	var rs []*route
	add := func(method, path, kind string, write bool, perm func(*call) *apiError, h func(*call) (reply, *apiError)) {
		rs = append(rs, &route{
			method: method, pattern: strings.Split(strings.TrimPrefix(path, "/"), "/"), key: method + " " + path,
			kind: kind, write: write, perm: perm, handle: h,
		})
	}
	add("GET", "/version", "", false, nil, (*call).version)
	add("GET", "/cluster/status", "", false, func(c *call) *apiError { return c.tok.need("/", "Sys.Audit") }, (*call).clusterStatus)
	add("GET", "/cluster/resources", "", false, nil, (*call).clusterResources)
	add("GET", "/cluster/nextid", "", false, nil, (*call).nextID)
	add("GET", "/cluster/tasks", "", false, nil, (*call).clusterTasks)
	add("GET", "/nodes", "", false, nil, (*call).nodes)
	add("GET", "/nodes/{node}/status", "", false, needNode("Sys.Audit"), (*call).nodeStatus)
	add("GET", "/nodes/{node}/rrddata", "", false, needNode("Sys.Audit"), (*call).nodeRRD)
	add("GET", "/nodes/{node}/aplinfo", "", false, nil, (*call).aplinfo)
	add("GET", "/nodes/{node}/storage", "", false, nil, (*call).storages)
	add("GET", "/nodes/{node}/storage/{storage}/content", "", false, func(c *call) *apiError {
		return c.tok.needAny("/storage/"+c.p["storage"], "Datastore.Audit", "Datastore.AllocateSpace")
	}, (*call).storageContent)
	add("POST", "/nodes/{node}/vzdump", "", true, nil, (*call).vzdump)
	add("GET", "/nodes/{node}/tasks", "", false, nil, (*call).tasks)
	add("GET", "/nodes/{node}/tasks/{upid}/status", "", false, nil, (*call).taskStatus)
	add("GET", "/nodes/{node}/tasks/{upid}/log", "", false, nil, (*call).taskLog)
	add("DELETE", "/nodes/{node}/tasks/{upid}", "", true, nil, (*call).stopTask)
	add("GET", "/access/permissions", "", false, nil, (*call).permissions)
	add("GET", "/pools", "", false, nil, (*call).pools)
	for _, kind := range []string{"qemu", "lxc"} {
		base := "/nodes/{node}/" + kind
		g := base + "/{vmid}"
		add("GET", base, kind, false, nil, (*call).guestList)
		if kind == "qemu" {
			add("POST", base, kind, true, nil, (*call).createVM)
		} else {
			add("POST", base, kind, true, nil, (*call).createCT)
		}
		add("GET", g+"/status/current", kind, false, needVM("VM.Audit"), (*call).guestStatus)
		for _, action := range []string{"start", "stop", "shutdown", "reboot"} {
			add("POST", g+"/status/"+action, kind, true, needVM("VM.PowerMgmt"), powerHandler(action))
		}
		add("GET", g+"/config", kind, false, needVM("VM.Audit"), (*call).guestConfig)
		add("GET", g+"/snapshot", kind, false, needVM("VM.Audit"), (*call).snapshotList)
		add("POST", g+"/snapshot", kind, true, needVM("VM.Snapshot"), (*call).snapshotCreate)
		add("DELETE", g+"/snapshot/{snapname}", kind, true, needVM("VM.Snapshot"), (*call).snapshotDelete)
		add("POST", g+"/snapshot/{snapname}/rollback", kind, true, func(c *call) *apiError {
			return c.tok.needAny(vmPath(c), "VM.Snapshot", "VM.Snapshot.Rollback")
		}, (*call).snapshotRollback)
		add("POST", g+"/clone", kind, true, clonePermission, (*call).clone)
		add("DELETE", g, kind, true, needVM("VM.Allocate"), (*call).destroy)
		add("GET", g+"/rrddata", kind, false, needVM("VM.Audit"), (*call).guestRRD)
	}
	return rs
}

// matchRoute finds the method for a path. Variable segments match any non-empty segment; the values are
// checked later against the schema.
func matchRoute(method string, segs []string) (*route, map[string]string) {
	for _, rt := range routes {
		if rt.method != method || len(rt.pattern) != len(segs) {
			continue
		}
		var vars map[string]string
		ok := true
		for i, p := range rt.pattern {
			if len(p) > 2 && p[0] == '{' {
				if vars == nil {
					vars = map[string]string{}
				}
				vars[p[1:len(p)-1]] = segs[i]
				continue
			}
			if p != segs[i] {
				ok = false
				break
			}
		}
		if ok {
			if vars == nil {
				vars = map[string]string{}
			}
			return rt, vars
		}
	}
	return nil, nil
}

// clonePermission is the schema's check: VM.Clone on the source, and VM.Allocate on the new vmid or on the
// pool it goes into. The "or" part fails without naming a privilege, as PVE's does.
func clonePermission(c *call) *apiError {
	if err := c.tok.need(vmPath(c), "VM.Clone"); err != nil {
		return err
	}
	if c.tok.has("VM.Allocate") {
		return nil
	}
	return &apiError{status: 403, msg: "Permission check failed\n"}
}
