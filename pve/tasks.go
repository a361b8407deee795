package pve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// taskPath is /nodes/{node}/tasks/{upid}/rest: a task is read on the node its UPID names.
func taskPath(u UPID, rest ...string) (string, error) {
	if u.IsZero() {
		return "", invalid(errors.New("empty task id"))
	}
	return nodePath(u.Node, append([]string{"tasks", u.String()}, rest...)...)
}

// TaskStatus is GET /nodes/{node}/tasks/{upid}/status.
func (c *Client) TaskStatus(ctx context.Context, u UPID) (TaskStatus, error) {
	p, err := taskPath(u, "status")
	if err != nil {
		return TaskStatus{}, err
	}
	return get[TaskStatus](ctx, c, p, nil, objectBody, "read task status")
}

// MaxLogPage is the most lines one TaskLog read asks for.
const MaxLogPage = 5000

// Bounds on a task log page: what Proxmox sends for a page of n lines is a few dozen bytes a line; a line
// may be long (a command's output), so each asked-for line may take logLineBytes, and the page logPageBytes
// on top. A server that sends more than that (lines beyond the page, or without end) is cut off.
const (
	logLineBytes = 8 << 10
	logPageBytes = 64 << 10
)

// TaskLog is GET .../log from line start (0-based) for at most limit lines (1…MaxLogPage), with the log's
// total line count. It never keeps more than limit lines, whatever the server sends.
func (c *Client) TaskLog(ctx context.Context, u UPID, start, limit int) ([]LogLine, int, error) {
	if start < 0 || limit < 1 || limit > MaxLogPage {
		return nil, 0, invalid(fmt.Errorf("log start must not be negative and limit must be 1…%d", MaxLogPage))
	}
	p, err := taskPath(u, "log")
	if err != nil {
		return nil, 0, err
	}
	page := &logPage{limit: limit}
	total, err := c.do(ctx, Request{method: "GET", path: p, params: url.Values{
		"start": {strconv.Itoa(start)}, "limit": {strconv.Itoa(limit)},
	}, limit: logPageBytes + int64(limit)*logLineBytes}, page)
	if err != nil {
		return nil, 0, fmt.Errorf("read task log: %w", err)
	}
	if total < len(page.lines) {
		// Servers before PVE 7 omit "total"; what we got is then all we know.
		total = start + len(page.lines)
	}
	return page.lines, total, nil
}

// logPage decodes a task log's data member, keeping the first limit lines and only counting the rest.
type logPage struct {
	limit int
	lines []LogLine
}

// UnmarshalJSON implements json.Unmarshaler.
func (p *logPage) UnmarshalJSON(data []byte) error {
	if string(bytes.TrimSpace(data)) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return fmt.Errorf("task log: not a list of lines")
	}
	var skip json.RawMessage // reused: lines beyond the page cost no allocation each
	for dec.More() {
		if len(p.lines) < p.limit {
			var l LogLine
			if err := dec.Decode(&l); err != nil {
				return fmt.Errorf("task log line %d: %w", len(p.lines)+1, err)
			}
			p.lines = append(p.lines, l)
			continue
		}
		if err := dec.Decode(&skip); err != nil {
			return fmt.Errorf("task log: %w", err)
		}
	}
	_, err := dec.Token()
	return err
}

// TaskLogTail returns the last n lines of a task log and its total line count.
func (c *Client) TaskLogTail(ctx context.Context, u UPID, n int) ([]LogLine, int, error) {
	if n <= 0 {
		return nil, 0, invalid(errors.New("tail length must be positive"))
	}
	// Proxmox has no "from the end": one small read learns the total, a second reads the tail.
	lines, total, err := c.TaskLog(ctx, u, 0, n)
	if err != nil || total <= n {
		return lines, total, err
	}
	lines, total, err = c.TaskLog(ctx, u, total-n, n)
	return lines, total, err
}

// TaskResult is how a task ended, or that it was still running when the wait ended.
type TaskResult struct {
	UPID       UPID
	Running    bool
	ExitStatus string // "OK", "WARNINGS: N", or the error text
	Duration   time.Duration
	// Tail holds the last lines of the log when the task failed.
	Tail []string
}

// OK reports whether the task finished successfully ("WARNINGS: N" is a success, as in PVE's own
// status_is_error).
func (r TaskResult) OK() bool {
	return !r.Running && StatusOK(r.ExitStatus)
}

// StatusOK reports whether a finished task's exit status is a success: exactly "OK" or "WARNINGS: N", as
// PVE::Tools::upid_status_is_error has it. Anything else is an error message, which can quote guest data.
func StatusOK(s string) bool {
	if s == "OK" {
		return true
	}
	n, ok := strings.CutPrefix(s, "WARNINGS: ")
	if !ok || n == "" {
		return false
	}
	for i := 0; i < len(n); i++ {
		if n[i] < '0' || n[i] > '9' {
			return false
		}
	}
	return true
}

// Progress is reported on every poll of a task wait.
type Progress struct {
	UPID    UPID
	Elapsed time.Duration
	Polls   int
	Status  string
}

// WaitOptions tune WaitTask.
type WaitOptions struct {
	// Bound ends the wait with Running set when the task is still going (0: wait until ctx ends).
	Bound time.Duration
	// Progress, when set, is called after every poll.
	Progress func(Progress)
	// TailLines is how much of the log a failed task returns (default 10).
	TailLines int
}

// pollPolicy is when a task wait polls: at once, then every fast for fastPolls polls, then each interval
// half as long again as the one before, up to longest. Most tasks an assistant starts (power actions,
// snapshots of small guests) end within a second or two and are seen to end within fast; long ones (backups,
// clones) settle at one poll per longest.
type pollPolicy struct {
	fast, longest time.Duration
	fastPolls     int
}

var defaultPolling = pollPolicy{fast: 100 * time.Millisecond, fastPolls: 20, longest: 2 * time.Second}

// notYetVisible is how long after a task starts its status may answer "no such task": pvedaemon forks the
// worker before the task index knows it (bpg's provider tolerates the same on its first polls).
const notYetVisible = 5 * time.Second

// WaitTask polls a task until it stops, the bound passes (Running result, nil error) or ctx ends (error).
// It polls at once, then on the client's schedule (see WithTaskPolling).
func (c *Client) WaitTask(ctx context.Context, u UPID, o WaitOptions) (TaskResult, error) {
	start := time.Now()
	var deadline <-chan time.Time
	if o.Bound > 0 {
		t := time.NewTimer(o.Bound)
		defer t.Stop()
		deadline = t.C
	}
	tail := o.TailLines
	if tail <= 0 {
		tail = 10
	}
	interval := c.poll.fast
	for polls := 1; ; polls++ {
		st, err := c.TaskStatus(ctx, u)
		switch {
		case err == nil:
		case errors.Is(err, ErrNotFound) && time.Since(start) < notYetVisible:
			st.Status = "running"
		default:
			return TaskResult{UPID: u, Running: true, Duration: time.Since(start)}, err
		}
		if o.Progress != nil {
			o.Progress(Progress{UPID: u, Elapsed: time.Since(start), Polls: polls, Status: st.Status})
		}
		if !st.Running() {
			res := TaskResult{UPID: u, ExitStatus: st.ExitStatus, Duration: time.Since(start)}
			if res.ExitStatus == "" {
				res.ExitStatus = "unexpected status"
			}
			if !res.OK() {
				// The log tail says why; failing to read it must not hide the exit status.
				if lines, _, lerr := c.TaskLogTail(ctx, u, tail); lerr == nil {
					for _, l := range lines {
						res.Tail = append(res.Tail, l.T)
					}
				}
			}
			return res, nil
		}
		if polls > c.poll.fastPolls {
			interval = min(interval*3/2, c.poll.longest)
		}
		select {
		case <-ctx.Done():
			return TaskResult{UPID: u, Running: true, Duration: time.Since(start)}, ctx.Err()
		case <-deadline:
			return TaskResult{UPID: u, Running: true, Duration: time.Since(start)}, nil
		case <-c.after(interval):
		}
	}
}

// Err makes a failed TaskResult an error matching ErrTaskFailed (nil when it succeeded or still runs).
func (r TaskResult) Err() error {
	if r.Running || r.OK() {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrTaskFailed, r.ExitStatus)
}
