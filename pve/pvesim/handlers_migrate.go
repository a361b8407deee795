package pvesim

import (
	"strconv"
	"strings"
)

func addMigrateRoutes(add func(method, path, kind string, h func(*call) (reply, *apiError))) {
	for _, kind := range []string{"qemu", "lxc"} {
		add("GET", "/nodes/{node}/"+kind+"/{vmid}/migrate", kind, (*call).migratePreconditions)
		add("POST", "/nodes/{node}/"+kind+"/{vmid}/migrate", kind, (*call).migrate)
	}
}

// migratePreconditions is GET …/migrate: whether the guest runs, the nodes it may go to, and for a VM its
// local disks and the local resources that keep it where it is. Nothing is locked or started.
func (c *call) migratePreconditions() (reply, *apiError) {
	g, err := c.guest()
	if err != nil {
		return reply{}, err
	}
	p := c.s.planMigration(g)
	var w jsonWriter
	w.Open()
	w.Bit("running", p.running)
	allowedKey, notAllowedKey := "allowed_nodes", "not_allowed_nodes"
	if g.kind == "lxc" {
		allowedKey, notAllowedKey = "allowed-nodes", "not-allowed-nodes"
	}
	w.Arr(allowedKey)
	for _, n := range p.allowed {
		w.StrElem(n)
	}
	w.EndArr()
	w.Obj(notAllowedKey)
	w.End()
	if g.kind == "qemu" {
		w.Arr("local_disks")
		for _, d := range p.localDisks {
			w.Open()
			w.Str("volid", d.volid)
			w.Int("size", d.size)
			if d.cdrom {
				w.Bit("cdrom", true)
			}
			if d.unused {
				w.Bit("is_unused", true)
			}
			w.End()
		}
		w.EndArr()
		w.Arr("local_resources")
		for _, r := range p.localResources {
			w.StrElem(r)
		}
		w.EndArr()
		w.Arr("mapped-resources")
		w.EndArr()
		w.Obj("mapped-resource-info")
		w.End()
		w.Bit("has-dbus-vmstate", true)
	}
	w.End()
	return reply{data: rawJSON(w.b)}, nil
}

// migrate is POST …/migrate: refusals qemu-server and pve-container make before they fork the worker, then a
// qmigrate or vzmigrate task that holds the guest's migrate lock and moves it when it ends (or fails with what
// the worker would have found).
func (c *call) migrate() (reply, *apiError) {
	g, err := c.guest()
	if err != nil {
		return reply{}, err
	}
	target := c.p["target"]
	if target == c.n.name {
		return reply{}, badParam("target", "target is local node.")
	}
	tn := c.s.c.node(target)
	if tn == nil {
		return reply{}, fail("no such cluster node '%s'", target)
	}
	p := c.s.planMigration(g)
	online, restart := c.p["online"] == "1", c.p["restart"] == "1"
	switch {
	case g.kind == "qemu" && len(p.localResources) > 0:
		return reply{}, fail("can't migrate VM which uses local devices: %s", strings.Join(p.localResources, ", "))
	case g.kind == "qemu" && g.running && !online:
		return reply{}, fail("can't migrate running VM without --online")
	case g.kind == "lxc" && g.running && !online && !restart:
		return reply{}, fail("can't migrate running container without --online or --restart")
	}
	if err := writable(g); err != nil {
		return reply{}, err
	}
	op := taskOp{vmids: []int{g.vmid}, params: map[string]string{"target": target}}
	if lines := p.migrationFailure(g.kind, online, c.p["with-local-disks"] == "1"); lines != nil {
		op.fail, op.lines = "migration aborted", lines
	} else if !tn.online {
		op.fail = "migration aborted"
		op.lines = []string{"ERROR: migration aborted (duration 00:00:03): Can't connect to destination address using public key"}
	}
	if restart {
		op.params["restart"] = "1"
	}
	t := c.s.newTask(c.n.name, taskType(g.kind, "migrate"), strconv.Itoa(g.vmid), c.user(), c.now, op, "migrate")
	return reply{data: t.upid}, nil
}
