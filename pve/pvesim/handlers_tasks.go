package pvesim

import (
	"slices"
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp/pve/internal/lazyre"
	"github.com/proxmox-mcp/proxmox-mcp/pve/schema"
)

// upidRE is pve-common's UPID.pm decode pattern.
var upidRE = &lazyre.Regexp{Src: `^UPID:([a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8,9}):([0-9A-Fa-f]{8}):([^:\s/]+):([^:\s/]*):([^:\s/]+):$`}

// upidOwner is the user a UPID names (a token's full id for a token's task).
func upidOwner(upid string) string {
	m := upidRE.FindStringSubmatch(upid)
	if m == nil {
		return ""
	}
	return m[8]
}

// taskAccess is the check for reading or stopping a task: its owner may, anyone else needs priv on the node.
func (c *call) taskAccess(upid, priv string) *apiError {
	if upidOwner(upid) == c.tok.id {
		return nil
	}
	return c.tok.need("/nodes/"+c.n.name, priv)
}

// lookupTask finds the path's task on the path's node; PVE looks for the task's file there, so a UPID of
// another node is "no such task".
func (c *call) lookupTask() (*task, *apiError) {
	upid := c.p["upid"]
	if !upidRE.MatchString(upid) {
		return nil, badParam("upid", "unable to parse worker upid")
	}
	t := c.s.taskIndex[upid]
	if t == nil || t.node != c.n.name {
		return nil, badParam("upid", "no such task")
	}
	return t, nil
}

func (c *call) taskStatus() (reply, *apiError) {
	t, err := c.lookupTask()
	if err != nil {
		return reply{}, err
	}
	if err := c.taskAccess(t.upid, "Sys.Audit"); err != nil {
		return reply{}, err
	}
	var w jsonWriter
	w.Open()
	writeTaskID(&w, t)
	if t.done {
		w.Str("status", "stopped")
		w.Str("exitstatus", t.exit)
	} else {
		w.Str("status", "running")
	}
	w.End()
	return reply{data: rawJSON(w.b)}, nil
}

// taskLog pages through a task's log: lines numbered from 1, start skips, limit 0 means all; a total member
// gives the number of lines. Like PVE it does not check that the task exists: a UPID with no log reads as
// one line saying the file cannot be opened.
func (c *call) taskLog() (reply, *apiError) {
	upid := c.p["upid"]
	if !upidRE.MatchString(upid) {
		return reply{}, badParam("upid", "unable to parse worker upid")
	}
	if err := c.taskAccess(upid, "Sys.Audit"); err != nil {
		return reply{}, err
	}
	var lines []string
	t := c.s.taskIndex[upid]
	switch {
	case t == nil || t.node != c.n.name:
		lines = []string{"unable to open file - No such file or directory"}
	case len(t.log) == 0:
		lines = []string{"no content"} // PVE's hack: an empty array upsets the GUI
	default:
		lines = t.log
	}
	start, limit := c.intParam("start", 0), c.intParam("limit", 50)
	var w jsonWriter
	w.OpenArr()
	for i := start; i < len(lines) && (limit == 0 || i < start+limit); i++ {
		w.Open()
		w.Int("n", int64(i+1))
		w.Str("t", lines[i])
		w.End()
	}
	w.EndArr()
	return reply{data: rawJSON(w.b), total: len(lines), hasTotal: true}, nil
}

// stopTask interrupts a running task: its effect never happens. Stopping a finished task does nothing.
func (c *call) stopTask() (reply, *apiError) {
	t, err := c.lookupTask()
	if err != nil {
		return reply{}, err
	}
	if err := c.taskAccess(t.upid, "Sys.Modify"); err != nil {
		return reply{}, err
	}
	if !t.done {
		c.s.finish(t, c.now, true)
	}
	return reply{}, nil
}

// tasks is GET /nodes/{node}/tasks, filtered and paged like pve-manager's node_tasks: running tasks first
// (source active or all, status "RUNNING"), then finished ones, the most recently finished first.
func (c *call) tasks() (reply, *apiError) {
	auditor := c.tok.has("Sys.Audit")
	start, limit := c.intParam("start", 0), c.intParam("limit", 50)
	source := c.p["source"]
	if source == "" {
		source = "archive"
	}
	statuses := map[string]bool{"ok": true, "warning": true, "error": true, "unknown": true}
	errorsOnly := c.p["errors"] == "1"
	if sf, ok := c.p["statusfilter"]; ok && !errorsOnly {
		statuses = map[string]bool{}
		for _, s := range schema.SplitList(sf) {
			statuses[strings.ToLower(s)] = true
		}
	} else if errorsOnly {
		statuses["ok"] = false
	}
	userfilter := strings.ToLower(c.p["userfilter"])
	since, hasSince := c.p["since"]
	until, hasUntil := c.p["until"]
	sinceN, _ := strconv.ParseInt(since, 10, 64)
	untilN, _ := strconv.ParseInt(until, 10, 64)

	count := 0
	keep := func(t *task) bool {
		user, _ := tokenUser(t.user)
		if userfilter != "" && !strings.Contains(strings.ToLower(user), userfilter) {
			return false
		}
		if !auditor && !c.tok.ownsTask(t) {
			return false
		}
		if tf := c.p["typefilter"]; tf != "" && t.typ != tf {
			return false
		}
		if v := c.p["vmid"]; v != "" && t.id != v {
			return false
		}
		if hasSince && t.start.Unix() < sinceN {
			return false
		}
		if hasUntil && t.start.Unix() > untilN {
			return false
		}
		if !statuses[statusType(t)] {
			return false
		}
		count++
		if count <= start || limit <= 0 {
			return false
		}
		limit--
		return true
	}
	var running, finished []*task
	for _, t := range c.s.c.tasks {
		if t.node != c.n.name {
			continue
		}
		if t.done {
			finished = append(finished, t)
		} else {
			running = append(running, t)
		}
	}
	slices.SortStableFunc(running, func(a, b *task) int { return b.start.Compare(a.start) })
	slices.SortStableFunc(finished, func(a, b *task) int { return b.end.Compare(a.end) })
	var w jsonWriter
	w.OpenArr()
	if source == "active" || source == "all" {
		for _, t := range running {
			if keep(t) {
				writeTask(&w, t, "RUNNING")
			}
		}
	}
	if source != "active" {
		for _, t := range finished {
			if keep(t) {
				writeTask(&w, t, "")
			}
		}
	}
	w.EndArr()
	return reply{data: rawJSON(w.b), total: count, hasTotal: true}, nil
}

// vzdump is POST /nodes/{node}/vzdump: it backs up only the requested guests that live on this node, and
// answers "OK" without a task when there are none (pve-manager: "silent exit if specified VMs run on other
// nodes").
func (c *call) vzdump() (reply, *apiError) {
	p := c.p
	all := p["all"] == "1"
	if all && p["vmid"] != "" {
		return reply{}, badParam("all", "option conflicts with option 'vmid'")
	}
	if !all && p["pool"] == "" && p["stop"] != "1" && p["vmid"] == "" {
		return reply{}, badParam("vmid", "property is missing and it is not optional")
	}
	storageID := p["storage"]
	if storageID == "" {
		storageID = "local"
	}
	st := c.s.c.storage(storageID)
	if st == nil {
		return reply{}, fail("storage '%s' does not exist", storageID)
	}
	if !st.hasContent("backup") {
		return reply{}, fail("storage '%s' does not support backups", storageID)
	}
	if err := c.tok.need("/storage/"+storageID, "Datastore.AllocateSpace"); err != nil {
		return reply{}, err
	}
	var local []int
	switch {
	case all || p["pool"] != "":
		excluded := map[string]bool{}
		for _, id := range schema.SplitList(p["exclude"]) {
			excluded[id] = true
		}
		for _, g := range c.s.c.sortedGuests() {
			if g.node != c.n.name || excluded[strconv.Itoa(g.vmid)] || (!all && g.pool != p["pool"]) {
				continue
			}
			local = append(local, g.vmid)
		}
	default:
		for _, id := range schema.SplitList(p["vmid"]) {
			vmid, _ := strconv.Atoi(id)
			if g := c.s.c.guests[vmid]; g != nil && g.node != c.n.name {
				continue // someone else's job
			}
			if !slices.Contains(local, vmid) {
				local = append(local, vmid)
			}
		}
	}
	if len(local) == 0 {
		return reply{data: "OK"}, nil
	}
	for _, vmid := range local {
		if err := c.tok.need("/vms/"+strconv.Itoa(vmid), "VM.Backup"); err != nil {
			return reply{}, err
		}
	}
	params := map[string]string{}
	for k, v := range p {
		if k != "node" || v != c.n.name {
			params[k] = v
		}
	}
	params["node"] = c.n.name
	params["storage"] = storageID
	plan := c.s.planBackup(c.n.name, local, params, c.now)
	op := taskOp{vmids: local, params: params, vzdump: plan}
	t := c.s.newTask(c.n.name, "vzdump", vzdumpTaskID(local), c.user(), c.now, op, "backup")
	return reply{data: t.upid}, nil
}
