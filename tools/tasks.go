package tools

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve"
)

func taskTools() []Def {
	return []Def{
		spread(define("proxmox_recent_tasks", gate.Read,
			"recent tasks, filterable by node, vmid, errors only",
			"Recent tasks and their outcomes, newest first.",
			privs("Sys.Audit"), recentTasks)),
		define("proxmox_get_task_status", gate.Read,
			"one task by UPID; may wait for it to finish, with progress",
			"One task by UPID: running, or how it ended; can wait.",
			privs("Sys.Audit"), taskStatus),
		define("proxmox_get_task_log", gate.Read,
			"a task's log, tail by default",
			"A task's log lines, to see why it failed.",
			privs("Sys.Audit"), taskLog),
	}
}

type taskView struct {
	Cluster   string `json:"cluster,omitempty" out:"-"` // in a list of several clusters (cluster "*")
	UPID      string `json:"upid"`
	Node      string `json:"node"`
	Type      string `json:"type"`
	ID        string `json:"id,omitempty"`
	User      string `json:"user"`
	Status    string `json:"status"` // running, OK, WARNINGS: n, or the error
	StartTime int64  `json:"starttime"`
	EndTime   int64  `json:"endtime,omitempty"`
}

func (t taskView) line() string {
	end := ""
	if t.EndTime > 0 {
		end = " took " + fmtUptime(t.EndTime-t.StartTime)
	}
	cluster := ""
	if t.Cluster != "" {
		cluster = t.Cluster + " "
	}
	return fmt.Sprintf("%s%s %s %s %s %s: %s%s\n  %s", cluster, fmtTime(t.StartTime), t.Node, t.Type, orDash(t.ID), t.User, statusText(t.Status), end, t.UPID)
}

func viewTask(t pve.Task) taskView {
	status := t.Status
	if status == "" || strings.EqualFold(status, "running") {
		status = "running"
	}
	user := t.User
	if t.TokenID != "" && !strings.Contains(user, "!") {
		user += "!" + t.TokenID
	}
	return taskView{UPID: clean(t.UPID, 200), Node: clean(t.Node, maxName), Type: clean(t.Type, 32), ID: clean(t.ID, 64),
		User: clean(user, 128), Status: clean(status, maxValue), StartTime: int64(t.StartTime), EndTime: int64(t.EndTime)}
}

type recentArgs struct {
	Node   string `json:"node" check:"node" desc:"Node (adds running)"`
	VMID   int    `json:"vmid" check:"vmid" desc:"Guest filter"`
	Errors bool   `json:"errors" desc:"Failed only"`
	Limit  int    `json:"limit" min:"1" max:"200" desc:"Default 20"`
}

type tasksResult struct {
	Tasks      []taskView   `json:"tasks"`
	Unanswered []unanswered `json:"unanswered,omitempty" out:"-"` // cluster "*": the clusters that did not answer
}

func (r *tasksResult) Summary() string {
	if len(r.Tasks) == 0 {
		var b strings.Builder
		b.WriteString("No matching tasks.")
		writeUnanswered(&b, r.Unanswered)
		return b.String()
	}
	var b strings.Builder
	legend := ""
	for _, t := range r.Tasks {
		if isErrorStatus(t.Status) {
			legend = " " + inlineLegend
		}
	}
	fmt.Fprintf(&b, "%s, newest first.%s\n", count(len(r.Tasks), "task", "tasks"), legend)
	for _, t := range r.Tasks {
		b.WriteString(t.line())
		b.WriteByte('\n')
	}
	writeUnanswered(&b, r.Unanswered)
	return strings.TrimRight(b.String(), "\n")
}

// isErrorStatus follows PVE's status_is_error: anything but OK and WARNINGS: N is a failure; running is neither.
func isErrorStatus(s string) bool {
	return s != "running" && !pve.StatusOK(s)
}

// recentTasks reads one node's task list (running ones included) when a node is given, else the cluster-wide
// recent list, one request either way; with cluster "*" one request to every cluster, merged newest first.
func recentTasks(ctx context.Context, e *env, c *call, a *recentArgs) (*tasksResult, error) {
	limit := a.Limit
	if limit == 0 {
		limit = 20
	}
	answers, failed, err := split(each(ctx, c, func(ctx context.Context, cl *pve.Client) ([]pve.Task, error) {
		if a.Node != "" {
			return cl.Tasks(ctx, a.Node, pve.TaskFilter{VMID: a.VMID, ErrorsOnly: a.Errors, Limit: limit, Source: "all"})
		}
		return cl.ClusterTasks(ctx)
	}))
	if err != nil {
		return nil, err
	}
	res := &tasksResult{Tasks: []taskView{}, Unanswered: failed}
	for _, an := range answers {
		for _, t := range an.val {
			v := viewTask(t)
			if a.VMID != 0 && v.ID != strconv.Itoa(a.VMID) || a.Errors && !isErrorStatus(v.Status) {
				continue
			}
			if c.several() {
				v.Cluster = an.target.Name
			}
			res.Tasks = append(res.Tasks, v)
		}
	}
	sort.SliceStable(res.Tasks, func(i, j int) bool { return res.Tasks[i].StartTime > res.Tasks[j].StartTime })
	if len(res.Tasks) > limit {
		res.Tasks = res.Tasks[:limit]
	}
	return res, nil
}

type taskStatusArgs struct {
	UPID        string `json:"upid" arg:"required" check:"upid" desc:"Task id"`
	WaitSeconds int    `json:"wait_seconds" min:"0" max:"600" desc:"Wait for the end"`
}

type taskStatusResult struct {
	taskView   `json:"task" out:"-"`
	Running    bool     `json:"running"`
	OK         bool     `json:"ok"`
	ExitStatus string   `json:"exitstatus,omitempty"`
	LogTail    []string `json:"log_tail,omitempty" out:"-"`
}

func (r *taskStatusResult) Summary() string {
	var b strings.Builder
	if r.Running {
		fmt.Fprintf(&b, "Task %s on %s (%s %s) is running since %s.", r.UPID, r.Node, r.Type, orDash(r.ID), fmtTime(r.StartTime))
		return b.String()
	}
	verdict := "succeeded"
	if !r.OK {
		verdict = "failed"
	}
	fmt.Fprintf(&b, "Task %s on %s (%s %s) %s: %s.", r.UPID, r.Node, r.Type, orDash(r.ID), verdict, statusText(r.ExitStatus))
	if isErrorStatus(r.ExitStatus) {
		b.WriteString(" " + inlineLegend)
	}
	if len(r.LogTail) > 0 {
		b.WriteString("\n")
		fence(&b, "task log tail", r.LogTail)
	}
	return strings.TrimRight(b.String(), "\n")
}

func taskStatus(ctx context.Context, e *env, c *call, a *taskStatusArgs) (*taskStatusResult, error) {
	u, err := pve.ParseUPID(a.UPID)
	if err != nil {
		return nil, err
	}
	res := &taskStatusResult{taskView: taskView{UPID: u.String(), Node: u.Node, Type: u.Type, ID: u.ID, User: u.User, StartTime: u.StartTime.Unix()}}
	if a.WaitSeconds > 0 {
		bound := time.Duration(a.WaitSeconds) * time.Second
		tr, err := c.pve.WaitTask(ctx, u, pve.WaitOptions{Bound: bound, Progress: c.progressOf("task")})
		if err != nil {
			return nil, err
		}
		res.Running, res.ExitStatus, res.OK = tr.Running, clean(tr.ExitStatus, maxValue), tr.OK()
		res.LogTail = cleanTail(tr.Tail)
	} else {
		st, err := c.pve.TaskStatus(ctx, u)
		if err != nil {
			return nil, err
		}
		res.Running = st.Running()
		res.ExitStatus = clean(st.ExitStatus, maxValue)
		res.OK = !res.Running && !isErrorStatus(st.ExitStatus)
	}
	switch {
	case res.Running:
		res.Status = "running"
	default:
		res.Status = res.ExitStatus
	}
	return res, nil
}

type taskLogArgs struct {
	UPID  string `json:"upid" arg:"required" check:"upid" desc:"Task id"`
	Tail  int    `json:"tail" min:"1" max:"500" desc:"Default 50"`
	Start int    `json:"start" min:"1" max:"1000000" desc:"From line N"`
}

type taskLogResult struct {
	UPID  string   `json:"upid" out:"-"`
	Total int      `json:"total"`
	First int      `json:"first" out:"-"`
	Lines []string `json:"lines"`
}

func (r *taskLogResult) Summary() string {
	var b strings.Builder
	if len(r.Lines) == 0 {
		fmt.Fprintf(&b, "Task %s: no log lines (of %d).", r.UPID, r.Total)
		return b.String()
	}
	fmt.Fprintf(&b, "Task %s log, lines %d-%d of %d:\n", r.UPID, r.First, r.First+len(r.Lines)-1, r.Total)
	fence(&b, "task log", r.Lines)
	return strings.TrimRight(b.String(), "\n")
}

func taskLog(ctx context.Context, e *env, c *call, a *taskLogArgs) (*taskLogResult, error) {
	u, err := pve.ParseUPID(a.UPID)
	if err != nil {
		return nil, err
	}
	n := a.Tail
	if n == 0 {
		n = 50
	}
	var lines []pve.LogLine
	var total int
	if a.Start > 0 {
		lines, total, err = c.pve.TaskLog(ctx, u, a.Start-1, n)
	} else {
		lines, total, err = c.pve.TaskLogTail(ctx, u, n)
	}
	if err != nil {
		return nil, err
	}
	res := &taskLogResult{UPID: u.String(), Total: total, Lines: []string{}}
	for i, l := range lines {
		if i == 0 {
			res.First = int(l.N)
		}
		res.Lines = append(res.Lines, clean(l.T, 500))
	}
	return res, nil
}
