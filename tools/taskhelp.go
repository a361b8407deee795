package tools

import (
	"fmt"

	"github.com/proxmox-mcp/proxmox-mcp/pve"
)

// taskHelp is how a write's result tells the model to follow up on tasks: with the task tools where this
// server exposes them, else with the generic read, else in words, so that no result names a tool the model
// does not have (PROXMOX_TOOLS and PROXMOX_TOOLSETS can leave the task tools out).
type taskHelp struct {
	hasStatus, hasRecent, hasAPIGet bool
}

func newTaskHelp(defs []Def) taskHelp {
	var h taskHelp
	for _, d := range defs {
		switch d.Name {
		case "proxmox_get_task_status":
			h.hasStatus = true
		case "proxmox_recent_tasks":
			h.hasRecent = true
		case "proxmox_api_get":
			h.hasAPIGet = true
		}
	}
	return h
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
