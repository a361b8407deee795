package pvesim

import (
	"strings"
	"sync"

	"github.com/proxmox-mcp/proxmox-mcp/pve/schema"
)

// unmodelled answers an operation the simulator keeps no state for, as the schema says it answers: a GET
// with data shaped by its returns schema (a directory index lists the paths below it), a write that forks a
// worker with a UPID whose task completes like any other, any other write with null or data of its returns
// shape. Nothing in the cluster changes; the request log has the call.
func (c *call) unmodelled() (reply, *apiError) {
	op := c.op
	if op.Method == "GET" {
		return reply{data: rawJSON(c.synthesize(op.Returns))}, nil
	}
	if op.ReturnsTask() {
		n := c.n
		if n == nil {
			n = c.s.c.firstOnline()
		}
		t := c.s.newTask(n.name, genericTaskType(op), c.p["vmid"], c.user(), c.now, taskOp{generic: true}, "")
		return reply{data: t.upid}, nil
	}
	switch op.Returns.Type {
	case "null", "":
		if len(op.Returns.Properties) == 0 {
			return reply{}, nil
		}
	}
	return reply{data: rawJSON(c.synthesize(op.Returns))}, nil
}

// firstOnline is the node that answers cluster-wide writes: the first one that is up.
func (c *Cluster) firstOnline() *node {
	for _, n := range c.nodes {
		if n.online {
			return n
		}
	}
	return c.nodes[0]
}

// taskTypes are the worker types PVE gives the tasks of some operations (pve-manager, qemu-server,
// pve-container, pve-storage); others get a type made from the path.
var taskTypes = sync.OnceValue(func() map[string]string {
	return map[string]string{
		"POST /nodes/{node}/qemu/{vmid}/migrate":                  "qmigrate",
		"POST /nodes/{node}/lxc/{vmid}/migrate":                   "vzmigrate",
		"POST /nodes/{node}/qemu/{vmid}/status/reset":             "qmreset",
		"POST /nodes/{node}/qemu/{vmid}/status/suspend":           "qmsuspend",
		"POST /nodes/{node}/qemu/{vmid}/status/resume":            "qmresume",
		"POST /nodes/{node}/lxc/{vmid}/status/suspend":            "vzsuspend",
		"POST /nodes/{node}/lxc/{vmid}/status/resume":             "vzresume",
		"POST /nodes/{node}/qemu/{vmid}/template":                 "qmtemplate",
		"POST /nodes/{node}/qemu/{vmid}/move_disk":                "qmmove",
		"PUT /nodes/{node}/qemu/{vmid}/resize":                    "resize",
		"PUT /nodes/{node}/lxc/{vmid}/resize":                     "resize",
		"POST /nodes/{node}/qemu/{vmid}/config":                   "qmconfig",
		"DELETE /nodes/{node}/storage/{storage}/content/{volume}": "imgdel",
		"POST /nodes/{node}/storage/{storage}/content/{volume}":   "imgcopy",
		"POST /nodes/{node}/startall":                             "startall",
		"POST /nodes/{node}/stopall":                              "stopall",
		"POST /nodes/{node}/suspendall":                           "suspendall",
		"POST /nodes/{node}/migrateall":                           "migrateall",
		"POST /nodes/{node}/apt/update":                           "aptupdate",
		"PUT /nodes/{node}/network":                               "srvreload",
		"PUT /nodes/{node}/disks/wipedisk":                        "wipedisk",
		"POST /nodes/{node}/services/{service}/start":             "srvstart",
		"POST /nodes/{node}/services/{service}/stop":              "srvstop",
		"POST /nodes/{node}/services/{service}/restart":           "srvrestart",
		"POST /nodes/{node}/services/{service}/reload":            "srvreload",
		"POST /nodes/{node}/storage/{storage}/download-url":       "download",
		"POST /nodes/{node}/aplinfo":                              "download",
		"POST /cluster/config/join":                               "clusterjoin",
		"POST /cluster/config":                                    "clustercreate",
		"POST /cluster/acme/account":                              "acmeregister",
	}
})

// genericTaskType is the operation's PVE worker type, or one made from its last fixed path segment
// ("qm"/"vz" in front for a guest's operations).
func genericTaskType(op *schema.Operation) string {
	if t, ok := taskTypes()[op.Key()]; ok {
		return t
	}
	segs := strings.Split(op.Path, "/")
	last := ""
	for i := len(segs) - 1; i >= 0; i-- {
		if !strings.HasPrefix(segs[i], "{") {
			last = segs[i]
			break
		}
	}
	last = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, strings.ToLower(last))
	switch {
	case strings.Contains(op.Path, "/qemu/{vmid}"):
		last = "qm" + last
	case strings.Contains(op.Path, "/lxc/{vmid}"):
		last = "vz" + last
	case strings.Contains(op.Path, "/ceph/"):
		last = "ceph" + last
	case strings.Contains(op.Path, "/disks/"):
		last = "disk" + last
	}
	if last == "" {
		last = "task"
	}
	return last
}
