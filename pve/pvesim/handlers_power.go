package pvesim

import (
	"strconv"
	"strings"
)

// taskType names a guest task: qm… for VMs, vz… for containers.
func taskType(kind, action string) string {
	if kind == "lxc" {
		return "vz" + action
	}
	return "qm" + action
}

// writable refuses to touch a guest that is locked or whose config file another task holds.
func writable(g *guest) *apiError {
	if l := g.lock(); l != "" {
		return fail("%s is locked (%s)", g.noun(), l)
	}
	if g.busy != "" {
		return fail("can't lock file '%s' - got timeout", g.lockFile())
	}
	return nil
}

// noSkiplock: only root@pam may skip locks, and a token is never root@pam.
func (c *call) noSkiplock() *apiError {
	if c.p["skiplock"] == "1" {
		return badParam("skiplock", "Only root may use this option.")
	}
	return nil
}

// powerHandler starts, stops, shuts down or reboots a guest. Where errors surface differs between guest types
// exactly as in PVE: a running VM's start is a task that fails, a running CT's start fails at once; stopping a
// stopped VM is a task that succeeds, a stopped CT answers 500; rebooting anything stopped answers 500.
func powerHandler(action string) func(*call) (reply, *apiError) {
	return func(c *call) (reply, *apiError) {
		if err := c.noSkiplock(); err != nil {
			return reply{}, err
		}
		g, err := c.guest()
		if err != nil {
			return reply{}, err
		}
		op := taskOp{vmids: []int{g.vmid}, params: c.p}
		switch action {
		case "start":
			if g.kind == "lxc" && g.running {
				return reply{}, fail("CT %d already running", g.vmid)
			}
			if g.template() {
				if g.kind == "lxc" {
					return reply{}, fail("you can't start a CT if it's a template")
				}
				return reply{}, fail("you can't start a vm if it's a template")
			}
			if g.running {
				op.fail = "VM " + strconv.Itoa(g.vmid) + " already running"
			}
		case "stop", "shutdown":
			if g.kind == "lxc" && !g.running {
				return reply{}, fail("CT %d not running", g.vmid)
			}
		case "reboot":
			if !g.running {
				return reply{}, fail("VM %d not running", g.vmid) // pve-container says "VM" here too
			}
		}
		if err := writable(g); err != nil {
			return reply{}, err
		}
		t := c.s.newTask(c.n.name, taskType(g.kind, action), strconv.Itoa(g.vmid), c.user(), c.now, op, "")
		return reply{data: t.upid}, nil
	}
}

func (c *call) snapshotCreate() (reply, *apiError) {
	g, err := c.guest()
	if err != nil {
		return reply{}, err
	}
	name := c.p["snapname"]
	if g.kind == "qemu" && (name == "current" || strings.ToLower(name) == "pending") {
		return reply{}, fail("unable to use snapshot name '%s' (reserved name)", name)
	}
	if err := writable(g); err != nil {
		return reply{}, err
	}
	if g.snapshot(name) != nil {
		return reply{}, fail("snapshot name '%s' already used", name)
	}
	op := taskOp{vmids: []int{g.vmid}, snap: name, params: c.p}
	t := c.s.newTask(c.n.name, taskType(g.kind, "snapshot"), strconv.Itoa(g.vmid), c.user(), c.now, op, "snapshot")
	return reply{data: t.upid}, nil
}

func (c *call) snapshotDelete() (reply, *apiError) {
	return c.onSnapshot("delsnapshot", "snapshot-delete")
}

func (c *call) snapshotRollback() (reply, *apiError) { return c.onSnapshot("rollback", "rollback") }

// onSnapshot starts a task on an existing snapshot of a writable guest, holding lock while it runs.
func (c *call) onSnapshot(action, lock string) (reply, *apiError) {
	g, err := c.guest()
	if err != nil {
		return reply{}, err
	}
	name := c.p["snapname"]
	if g.snapshot(name) == nil {
		return reply{}, fail("snapshot '%s' does not exist", name)
	}
	if err := writable(g); err != nil {
		return reply{}, err
	}
	op := taskOp{vmids: []int{g.vmid}, snap: name, params: c.p}
	t := c.s.newTask(c.n.name, taskType(g.kind, action), strconv.Itoa(g.vmid), c.user(), c.now, op, lock)
	return reply{data: t.upid}, nil
}

// destroy removes a guest and its disks when its task ends; its backups stay.
func (c *call) destroy() (reply, *apiError) {
	if err := c.noSkiplock(); err != nil {
		return reply{}, err
	}
	g, err := c.guest()
	if err != nil {
		return reply{}, err
	}
	if g.conf["protection"] == "1" {
		return reply{}, fail("can't remove %s %d - protection mode enabled", g.noun(), g.vmid)
	}
	if g.running {
		if g.kind == "qemu" {
			return reply{}, fail("VM %d is running - destroy failed", g.vmid)
		}
		if c.p["force"] != "1" {
			return reply{}, fail("unable to destroy CT %d - container is running", g.vmid)
		}
	}
	if err := writable(g); err != nil {
		return reply{}, err
	}
	lock := ""
	if g.kind == "lxc" {
		lock = "destroyed"
	}
	op := taskOp{vmids: []int{g.vmid}, params: c.p}
	t := c.s.newTask(c.n.name, taskType(g.kind, "destroy"), strconv.Itoa(g.vmid), c.user(), c.now, op, lock)
	return reply{data: t.upid}, nil
}
