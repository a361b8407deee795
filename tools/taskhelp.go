package tools

import (
	"fmt"
	"slices"

	"github.com/proxmox-mcp/proxmox-mcp/pve"
)

// taskHelp is how a write's result tells the model to follow up on tasks: with the task tools where this
// server exposes them, else with the generic read, else in words, so that no result names a tool the model
// does not have (PROXMOX_TOOLS and PROXMOX_TOOLSETS can leave the task tools out).
type taskHelp struct {
	hasStatus, hasRecent, hasAPIGet bool
}

func newTaskHelp(defs []Def) taskHelp {
	return taskHelp{hasStatus: exposes(defs, "proxmox_get_task_status"), hasRecent: exposes(defs, "proxmox_recent_tasks"),
		hasAPIGet: exposes(defs, "proxmox_api_get")}
}

// exposes reports whether the server's tools include the one named.
func exposes(defs []Def, name string) bool {
	return slices.ContainsFunc(defs, func(d Def) bool { return d.Name == name })
}

// follow is the sentence for a task that has not ended yet.
func (h taskHelp) follow(upid string) string {
	switch {
	case h.hasStatus:
		return "Follow it with proxmox_get_task_status."
	case h.hasAPIGet:
		if u, err := pve.ParseUPID(upid); err == nil {
			return fmt.Sprintf("Follow it with proxmox_api_get of /nodes/%s/tasks/%s/status.", u.Node, upid)
		}
	}
	return "Its end shows in the cluster's task list."
}

// recent is what to do before repeating a write that may have reached Proxmox.
func (h taskHelp) recent() string {
	switch {
	case h.hasRecent:
		return "check proxmox_recent_tasks"
	case h.hasAPIGet:
		return "check the cluster's tasks (proxmox_api_get of /cluster/tasks)"
	}
	return "check the cluster's task list"
}
