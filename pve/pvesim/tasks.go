package pvesim

import (
	"fmt"
	"slices"
	"time"
)

// Task types that work on disks take three times the base duration.
var slowTaskTypes = []string{"qmclone", "vzclone", "qmcreate", "vzcreate", "vzdump"}

// taskDuration is how long a new task of this type runs; negative: until stopped.
func (s *Sim) taskDuration(typ string) time.Duration {
	if d, ok := s.typeDur[typ]; ok {
		return d
	}
	if slices.Contains(slowTaskTypes, typ) {
		return 3 * s.baseDur
	}
	return s.baseDur
}

// upidFor formats a UPID as pve-common's UPID.pm does: pid, pstart and start time in upper-case hex.
func upidFor(nodeName string, pid int, pstart int64, start time.Time, typ, id, user string) string {
	return fmt.Sprintf("UPID:%s:%08X:%08X:%08X:%s:%s:%s:", nodeName, pid, pstart, start.Unix(), typ, id, user)
}

// newTask forks a worker on a node: it gets a pid and a UPID, appears in the task lists as running, and holds
// its guests (config lock lockName, if any, and the config file lock) until it ends.
func (s *Sim) newTask(nodeName, typ, id, user string, at time.Time, op taskOp, lockName string) *task {
	n := s.c.node(nodeName)
	n.nextPID++
	pstart := int64(at.Sub(n.boot) / (10 * time.Millisecond)) // clock ticks since boot, USER_HZ 100
	t := &task{
		node: nodeName, typ: typ, id: id, user: user,
		pid: n.nextPID, pstart: pstart, start: at, op: op,
	}
	t.upid = upidFor(nodeName, t.pid, pstart, at, typ, id, user)
	if f, ok := s.typeFail[typ]; ok && t.op.fail == "" {
		t.op.fail = f
	}
	if d := s.taskDuration(typ); d >= 0 {
		t.end = at.Add(d)
	}
	t.op.lockName = lockName
	for _, vmid := range s.heldGuests(t) {
		if g := s.c.guests[vmid]; g != nil {
			g.busy = t.upid
			if lockName != "" && locksGuest(t, vmid) {
				g.conf["lock"] = lockName
			}
		}
	}
	t.log = s.taskLogHead(t)
	s.c.tasks = append(s.c.tasks, t)
	s.taskIndex[t.upid] = t
	s.running = append(s.running, t)
	s.refreshNextDue()
	return t
}

// locksGuest reports whether a task's config lock goes on this guest: create and clone lock only the new
// guest (the source of a clone is held by the file lock alone).
func locksGuest(t *task, vmid int) bool {
	return t.op.newID == 0 || vmid == t.op.newID
}

// heldGuests are the guests a task holds while it runs.
func (s *Sim) heldGuests(t *task) []int {
	out := slices.Clone(t.op.vmids)
	if t.op.newID != 0 {
		out = append(out, t.op.newID)
	}
	if t.op.vzdump != nil {
		out = out[:0]
		for _, it := range t.op.vzdump.items {
			if it.failure == "" {
				out = append(out, it.vmid)
			}
		}
	}
	return out
}

func (s *Sim) refreshNextDue() {
	var next time.Time
	for _, t := range s.running {
		if !t.end.IsZero() && (next.IsZero() || t.end.Before(next)) {
			next = t.end
		}
	}
	s.nextDue = next
}

// due reports whether a running task should have finished by now.
func (s *Sim) due(now time.Time) bool {
	return !s.nextDue.IsZero() && !s.nextDue.After(now)
}

// advance finishes, in order of their end times, every task that has ended by now. Finishing one may start
// another (create with start=1 queues a start task), which may be due too.
func (s *Sim) advance(now time.Time) {
	for {
		var next *task
		for _, t := range s.running {
			if t.end.IsZero() || t.end.After(now) {
				continue
			}
			if next == nil || t.end.Before(next.end) {
				next = t
			}
		}
		if next == nil {
			s.refreshNextDue()
			return
		}
		s.finish(next, next.end, false)
	}
}

// finish ends a task at the given time: its effect is applied (unless interrupted), its log completed and its
// guests released.
func (s *Sim) finish(t *task, at time.Time, interrupted bool) {
	s.running = slices.DeleteFunc(s.running, func(x *task) bool { return x == t })
	var exit string
	var lines []string
	if interrupted {
		exit, lines = s.interrupt(t, at)
	} else {
		exit, lines = s.complete(t, at)
	}
	t.log = append(t.log, lines...)
	t.log = append(t.log, taskEndLine(exit))
	t.exit = exit
	t.done = true
	t.end = at
	for _, vmid := range s.heldGuests(t) {
		g := s.c.guests[vmid]
		if g == nil {
			continue
		}
		if g.busy == t.upid {
			g.busy = ""
		}
		if t.op.lockName != "" && g.conf["lock"] == t.op.lockName {
			delete(g.conf, "lock")
		}
	}
	s.afterFinish(t, at, interrupted)
	s.refreshNextDue()
}

// taskEndLine is the last line of a task log, which PVE parses back into the exit status.
func taskEndLine(exit string) string {
	if exit == "OK" {
		return "TASK OK"
	}
	if len(exit) > 10 && exit[:10] == "WARNINGS: " {
		return "TASK " + exit
	}
	return "TASK ERROR: " + exit
}

// statusIsError is PVE's upid_status_is_error.
func statusIsError(exit string) bool {
	return !(exit == "OK" || (len(exit) > 10 && exit[:10] == "WARNINGS: "))
}

// statusType is PVE's upid_normalize_status_type: ok, warning, error or unknown (a running task has none).
func statusType(t *task) string {
	switch {
	case !t.done:
		return "unknown"
	case t.exit == "OK":
		return "ok"
	case !statusIsError(t.exit):
		return "warning"
	case t.exit == "unexpected status":
		return "unknown"
	}
	return "error"
}

// interrupt is a task stopped through DELETE …/tasks/UPID: nothing it was doing takes effect.
func (s *Sim) interrupt(t *task, at time.Time) (string, []string) {
	if t.typ == "vzdump" {
		var lines []string
		for _, it := range t.op.vzdump.items {
			if it.failure == "" {
				lines = append(lines, fmt.Sprintf("ERROR: Backup of VM %d failed - interrupted by signal", it.vmid))
				break
			}
		}
		lines = append(lines, "INFO: Failed at "+logTime(at), "ERROR: Backup job failed - interrupted by signal")
		return "interrupted by signal", lines
	}
	if t.op.newID != 0 {
		// create and clone clean up after themselves: the half-made guest goes away
		s.removeGuest(t.op.newID)
	}
	return "received interrupt", nil
}

func logTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") }

// afterFinish runs what a task triggers when it ends.
func (s *Sim) afterFinish(t *task, at time.Time, interrupted bool) {
	if interrupted || statusIsError(t.exit) {
		return
	}
	// create … start=1: the worker starts the new guest through the start API, which forks its own task
	if (t.typ == "qmcreate" || t.typ == "vzcreate") && t.op.params["start"] == "1" {
		g := s.c.guests[t.op.newID]
		if g == nil || g.running {
			return
		}
		typ := "qmstart"
		if g.kind == "lxc" {
			typ = "vzstart"
		}
		s.newTask(g.node, typ, fmt.Sprint(g.vmid), t.user, at, taskOp{vmids: []int{g.vmid}}, "")
	}
}

// removeGuest deletes a guest with its disks (never its backups) and its pool membership.
func (s *Sim) removeGuest(vmid int) {
	g := s.c.guests[vmid]
	if g == nil {
		return
	}
	s.c.volumes = slices.DeleteFunc(s.c.volumes, func(v *volume) bool {
		return v.vmid == vmid && (v.content == "images" || v.content == "rootdir")
	})
	delete(s.c.guests, vmid)
}
