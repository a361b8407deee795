package pvesim

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// lockAndAdvance takes the write lock and brings the tasks up to the clock, so what tests read or change is
// the cluster as a request at this moment would see it.
func (s *Sim) lockAndAdvance() {
	s.mu.Lock()
	s.advance(s.now())
}

// SetNodeOnline takes a node off the network or brings it back. While offline, every request under
// /nodes/NODE/ answers 595 "No route to host" (empty body), /cluster/status reports it online 0, /nodes
// reports it "offline", and /cluster/resources lists its guests with status "unknown" and no name or usage.
// An unknown node is ignored.
func (s *Sim) SetNodeOnline(node string, online bool) {
	s.lockAndAdvance()
	defer s.mu.Unlock()
	if n := s.c.node(node); n != nil {
		n.online = online
	}
}

// SetTaskDuration sets how long tasks of one type (qmstart, vzdump, …) started from now on run; d < 0 makes
// them run until stopped through DELETE /nodes/NODE/tasks/UPID.
func (s *Sim) SetTaskDuration(taskType string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.typeDur[taskType] = d
}

// SetTaskFailure makes tasks of one type started from now on fail with exit as their status, without effect
// ("" restores normal behaviour). Tests use it for a failure Proxmox would report, or to plant hostile text in
// an exit status.
func (s *Sim) SetTaskFailure(taskType, exit string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if exit == "" {
		delete(s.typeFail, taskType)
		return
	}
	s.typeFail[taskType] = exit
}

// SetGuestConfig sets one configuration key of a guest (description holds the notes; tags, lock, name, …);
// an empty value removes the key. Nothing is validated beyond the key's shape: tests use it to plant hostile
// or inconsistent data.
func (s *Sim) SetGuestConfig(vmid int, key, value string) error {
	if key == "" || strings.ContainsAny(key, ":\n\r\x00 ") {
		return fmt.Errorf("set config of guest %d: invalid key %q", vmid, key)
	}
	s.lockAndAdvance()
	defer s.mu.Unlock()
	g := s.c.guests[vmid]
	if g == nil {
		return fmt.Errorf("set config of guest %d: no such guest", vmid)
	}
	if value == "" {
		delete(g.conf, key)
	} else {
		g.conf[key] = value
	}
	return nil
}

// SetAgentInstalled says whether a VM's guest has the QEMU guest agent installed (every VM of Default has).
// Without it an agent enabled in the configuration never answers: "QEMU guest agent is not running".
func (s *Sim) SetAgentInstalled(vmid int, installed bool) error {
	s.lockAndAdvance()
	defer s.mu.Unlock()
	g := s.c.guests[vmid]
	if g == nil || g.kind != "qemu" {
		return fmt.Errorf("set agent of guest %d: no such VM", vmid)
	}
	g.noAgent = !installed
	return nil
}

// AppendTaskLog adds lines to a task's log; for a finished task they go before its final TASK line, so the
// log still ends with the status. Tests use it to plant hostile text.
func (s *Sim) AppendTaskLog(upid string, lines ...string) error {
	s.lockAndAdvance()
	defer s.mu.Unlock()
	t := s.taskIndex[upid]
	if t == nil {
		return fmt.Errorf("append to task log: no task %s", upid)
	}
	if t.done && len(t.log) > 0 {
		last := t.log[len(t.log)-1]
		t.log = append(append(t.log[:len(t.log)-1:len(t.log)-1], lines...), last)
		return nil
	}
	t.log = append(t.log, lines...)
	return nil
}

// GuestState is a copy of one guest's state, for assertions.
type GuestState struct {
	VMID      int
	Type      string // qemu or lxc
	Node      string
	Name      string
	Status    string // running or stopped
	Lock      string
	Template  bool
	Snapshots []string // names, oldest first
	Pool      string
	Tags      string
	Config    map[string]string // as it stands, without pending changes
	Pending   map[string]string // changes waiting for the next boot; a pending delete has the value ""
}

// Guest returns a copy of a guest's state.
func (s *Sim) Guest(vmid int) (GuestState, bool) {
	s.lockAndAdvance()
	defer s.mu.Unlock()
	g := s.c.guests[vmid]
	if g == nil {
		return GuestState{}, false
	}
	st := GuestState{
		VMID: g.vmid, Type: g.kind, Node: g.node, Name: g.name(), Status: g.status(), Lock: g.lock(),
		Template: g.template(), Pool: g.pool, Tags: g.tags(), Config: maps.Clone(g.conf),
	}
	for k, v := range g.pending {
		if st.Pending == nil {
			st.Pending = map[string]string{}
		}
		st.Pending[k] = v
	}
	for k := range g.pendingDel {
		if st.Pending == nil {
			st.Pending = map[string]string{}
		}
		st.Pending[k] = ""
	}
	snaps := slices.Clone(g.snaps)
	slices.SortStableFunc(snaps, func(a, b *snapshot) int { return a.snaptime.Compare(b.snaptime) })
	for _, sn := range snaps {
		st.Snapshots = append(st.Snapshots, sn.name)
	}
	return st, true
}

// TaskState is a copy of one task's state.
type TaskState struct {
	UPID       string
	Node       string
	Type       string
	ID         string
	User       string // as in the UPID: a token's full id
	Status     string // running or stopped
	ExitStatus string // once stopped: OK, WARNINGS: N, or the error
	Start      time.Time
	End        time.Time // zero while running
}

// Tasks returns every task, oldest first.
func (s *Sim) Tasks() []TaskState {
	s.lockAndAdvance()
	defer s.mu.Unlock()
	out := make([]TaskState, 0, len(s.c.tasks))
	for _, t := range s.c.tasks {
		ts := TaskState{UPID: t.upid, Node: t.node, Type: t.typ, ID: t.id, User: t.user, Status: "running", Start: t.start}
		if t.done {
			ts.Status, ts.ExitStatus, ts.End = "stopped", t.exit, t.end
		}
		out = append(out, ts)
	}
	slices.SortStableFunc(out, func(a, b TaskState) int { return a.Start.Compare(b.Start) })
	return out
}

// StopTask interrupts a running task as DELETE /nodes/NODE/tasks/UPID does: its effect never happens.
// Stopping a finished task does nothing. Tests use it to end a task that would run forever.
func (s *Sim) StopTask(upid string) error {
	s.lockAndAdvance()
	defer s.mu.Unlock()
	t := s.taskIndex[upid]
	if t == nil {
		return fmt.Errorf("stop task: no task %s", upid)
	}
	if !t.done {
		s.finish(t, s.now(), true)
	}
	return nil
}
