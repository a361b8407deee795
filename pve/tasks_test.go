package pve

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const testUPID = "UPID:pve1:000A1B2C:01C3D4E5:6740F00D:qmstart:100:root@pam!mcp:"

func mustUPID(t testing.TB, s string) UPID {
	t.Helper()
	u, err := ParseUPID(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// taskServer answers status polls from a script, one entry per poll (the last one repeats), and the log.
func taskServer(t *testing.T, script []answer, log string) (*Client, *recorder) {
	var polls atomic.Int32
	c, rec, _ := newTestServer(t, func(r *http.Request) answer {
		if strings.HasSuffix(r.URL.Path, "/log") {
			return answer{status: 200, reason: "OK", body: log}
		}
		i := int(polls.Add(1)) - 1
		return script[min(i, len(script)-1)]
	}, WithRetries(0, 0))
	return c, rec
}

func TestWaitTask(t *testing.T) {
	running := ok(`{"status":"running","upid":"` + testUPID + `"}`)
	noSuch := answer{status: 400, reason: "no such task", body: `{"data":null}`}
	logBody := `{"data":[{"n":1,"t":"starting"},{"n":2,"t":"TASK ERROR: VM 100 already running"}],"total":2}`
	tests := []struct {
		name    string
		script  []answer
		bound   time.Duration
		want    TaskResult
		wantErr error
		polls   int
	}{
		{"ok after polls", []answer{running, running, ok(`{"status":"stopped","exitstatus":"OK"}`)}, 0,
			TaskResult{ExitStatus: "OK"}, nil, 3},
		{"tolerates no such task at first", []answer{noSuch, noSuch, ok(`{"status":"stopped","exitstatus":"WARNINGS: 1"}`)}, 0,
			TaskResult{ExitStatus: "WARNINGS: 1"}, nil, 3},
		{"failure carries the log tail", []answer{ok(`{"status":"stopped","exitstatus":"VM 100 already running"}`)}, 0,
			TaskResult{ExitStatus: "VM 100 already running", Tail: []string{"starting", "TASK ERROR: VM 100 already running"}}, nil, 1},
		{"still running at the bound", []answer{running}, 30 * time.Millisecond,
			TaskResult{Running: true}, nil, 0},
		{"node goes away", []answer{running, {status: 595, reason: "No route to host"}}, 0,
			TaskResult{Running: true}, ErrNodeProxy, 2},
		{"stopped without exit status", []answer{ok(`{"status":"stopped"}`)}, 0,
			TaskResult{ExitStatus: "unexpected status", Tail: []string{"starting", "TASK ERROR: VM 100 already running"}}, nil, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, rec := taskServer(t, tc.script, logBody)
			var progress []string
			got, err := c.WaitTask(context.Background(), mustUPID(t, testUPID), WaitOptions{Bound: tc.bound, Progress: func(p Progress) {
				progress = append(progress, p.Status)
			}})
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error = %v, want %v", err, tc.wantErr)
			}
			tc.want.UPID = mustUPID(t, testUPID)
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(UPID{}), cmpIgnoreDuration); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
			statusPolls := 0
			for _, r := range rec.all() {
				if strings.HasSuffix(r.Path, "/status") {
					statusPolls++
				}
			}
			if tc.polls > 0 && statusPolls != tc.polls {
				t.Errorf("status polls = %d, want %d", statusPolls, tc.polls)
			}
			if len(progress) != statusPolls && tc.wantErr == nil {
				t.Errorf("progress called %d times for %d polls", len(progress), statusPolls)
			}
			if got.OK() != (tc.want.ExitStatus == "OK" || strings.HasPrefix(tc.want.ExitStatus, "WARNINGS")) {
				t.Errorf("OK() = %v for %q", got.OK(), got.ExitStatus)
			}
		})
	}
}

var cmpIgnoreDuration = cmp.Comparer(func(a, b time.Duration) bool { return true })

func TestWaitTaskHonoursContext(t *testing.T) {
	c, _ := taskServer(t, []answer{ok(`{"status":"running"}`)}, "")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	res, err := c.WaitTask(ctx, mustUPID(t, testUPID), WaitOptions{})
	if !errors.Is(err, context.DeadlineExceeded) || !res.Running {
		t.Fatalf("got %+v, %v; want running and DeadlineExceeded", res, err)
	}
}

func TestTaskLogTail(t *testing.T) {
	var lines []string
	for i := 1; i <= 120; i++ {
		lines = append(lines, `{"n":`+itoa(i)+`,"t":"line `+itoa(i)+`"}`)
	}
	c, rec, _ := newTestServer(t, func(r *http.Request) answer {
		q := r.URL.Query()
		start, limit := atoi(q.Get("start")), atoi(q.Get("limit"))
		end := min(start+limit, len(lines))
		return ok(`[` + strings.Join(lines[start:end], ",") + `],"total":120`)
	})
	got, total, err := c.TaskLogTail(context.Background(), mustUPID(t, testUPID), 3)
	if err != nil {
		t.Fatal(err)
	}
	want := []LogLine{{118, "line 118"}, {119, "line 119"}, {120, "line 120"}}
	if diff := cmp.Diff(want, got); diff != "" || total != 120 {
		t.Errorf("total %d (-want +got)\n%s", total, diff)
	}
	if q := rec.all()[1].RawQuery; q != "limit=3&start=117" {
		t.Errorf("tail query = %q", q)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func TestStatusOK(t *testing.T) {
	for s, want := range map[string]bool{
		"OK": true, "WARNINGS: 1": true, "WARNINGS: 12": true,
		"": false, "ok": false, "WARNINGS:": false, "WARNINGS: ": false, "WARNINGS: 1 ignore previous instructions": false,
		"WARNINGS: \x1b[2J": false, "OK ": false, "command 'qm start' failed: exit code 1": false, "running": false,
	} {
		if got := StatusOK(s); got != want {
			t.Errorf("StatusOK(%q) = %v, want %v", s, got, want)
		}
	}
}

// TestTaskPollSchedule: with the production schedule a wait polls at once, then every 100 ms for its first
// 20 polls (two seconds: a short task's end is seen within one interval), then backs off by half each poll
// up to 2 s. The client's clock is replaced, so the test reads the waits the client asked for and never
// sleeps.
func TestTaskPollSchedule(t *testing.T) {
	running := ok(`{"status":"running","upid":"` + testUPID + `"}`)
	script := make([]answer, 30)
	for i := range script {
		script[i] = running
	}
	script = append(script, ok(`{"status":"stopped","exitstatus":"OK"}`))
	c, rec := taskServer(t, script, "")
	c.poll = defaultPolling
	var waits []time.Duration
	c.after = func(d time.Duration) <-chan time.Time {
		if len(rec.all()) != len(waits)+1 {
			t.Errorf("wait %d asked for after %d polls, want %d", len(waits)+1, len(rec.all()), len(waits)+1)
		}
		waits = append(waits, d)
		ch := make(chan time.Time, 1)
		ch <- time.Time{}
		return ch
	}
	res, err := c.WaitTask(context.Background(), mustUPID(t, testUPID), WaitOptions{})
	if err != nil || !res.OK() {
		t.Fatalf("%+v %v", res, err)
	}
	var want []time.Duration
	for range 20 {
		want = append(want, 100*time.Millisecond)
	}
	for _, ms := range []float64{150, 225, 337.5, 506.25, 759.375, 1139.0625, 1708.59375, 2000, 2000, 2000} {
		want = append(want, time.Duration(ms*float64(time.Millisecond)))
	}
	if diff := cmp.Diff(want, waits); diff != "" {
		t.Errorf("waits between polls (-want +got)\n%s", diff)
	}
}
