package pvesim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestFaults(t *testing.T) {
	tests := []struct {
		name       string
		fault      Fault
		method     string
		path       string
		wantStatus int
		wantReason string
		check      func(t *testing.T, e *env, r response)
	}{
		{name: "status with a body", fault: Fault{Kind: FaultStatus, Status: 503, Reason: "Service Unavailable"},
			method: "GET", path: "/version", wantStatus: 503, wantReason: "Service Unavailable",
			check: func(t *testing.T, e *env, r response) {
				if diff := cmp.Diff(`{"data":null,"message":"Service Unavailable\n"}`, string(r.body)); diff != "" {
					t.Errorf("body (-want +got):\n%s", diff)
				}
			}},
		{name: "proxy pseudo-status: empty body", fault: Fault{Kind: FaultStatus, Status: 596, Reason: "Connection timed out", Path: "/nodes/pve2"},
			method: "GET", path: "/nodes/pve2/status", wantStatus: 596, wantReason: "Connection timed out",
			check: func(t *testing.T, e *env, r response) {
				if len(r.body) != 0 {
					t.Errorf("596 has a body: %s", r.body)
				}
			}},
		{name: "malformed JSON", fault: Fault{Kind: FaultMalformedJSON}, method: "GET", path: "/version", wantStatus: 200, wantReason: "OK",
			check: func(t *testing.T, e *env, r response) {
				if json.Valid(r.body) || len(r.body) == 0 {
					t.Errorf("body is valid JSON or empty: %q", r.body)
				}
			}},
		{name: "truncated answer", fault: Fault{Kind: FaultTruncated, Times: 1}, method: "GET", path: "/cluster/resources?type=vm",
			wantStatus: 200, wantReason: "OK",
			check: func(t *testing.T, e *env, r response) {
				full := e.get("/cluster/resources", params("type", "vm"))
				if json.Valid(r.body) || len(r.body) == 0 || !bytes.HasPrefix(full.body, r.body) {
					t.Errorf("truncated body is not a proper prefix of the real answer:\n%s", r.body)
				}
			}},
		{name: "proxy echoing the credentials", fault: Fault{Kind: FaultEchoAuth}, method: "GET", path: "/version",
			wantStatus: 500, wantReason: "proxy error: Authorization: " + adminAuth,
			check: func(t *testing.T, e *env, r response) {
				var body struct{ Message string }
				if err := json.Unmarshal(r.body, &body); err != nil || !strings.Contains(body.Message, DefaultTokenSecret) {
					t.Errorf("message does not echo the secret: %s", r.body)
				}
			}},
		{name: "redirect", fault: Fault{Kind: FaultRedirect, Location: "https://evil.example/api2/json/version"}, method: "GET", path: "/version",
			wantStatus: 302, wantReason: "Found",
			check: func(t *testing.T, e *env, r response) {
				if got := r.header.Get("Location"); got != "https://evil.example/api2/json/version" {
					t.Errorf("Location %q", got)
				}
			}},
		{name: "huge answer", fault: Fault{Kind: FaultHuge, Size: 1 << 20}, method: "GET", path: "/cluster/resources", wantStatus: 200, wantReason: "OK",
			check: func(t *testing.T, e *env, r response) {
				var body struct{ Data []int }
				if len(r.body) != 1<<20 || json.Unmarshal(r.body, &body) != nil || len(body.Data) == 0 {
					t.Errorf("body of %d bytes, want a valid 1 MiB {\"data\":[…]}", len(r.body))
				}
			}},
		{name: "huge answer of odd size", fault: Fault{Kind: FaultHuge, Size: 100}, method: "GET", path: "/version", wantStatus: 200, wantReason: "OK",
			check: func(t *testing.T, e *env, r response) {
				if len(r.body) != 100 || !json.Valid(r.body) {
					t.Errorf("body %q: want 100 bytes of valid JSON", r.body)
				}
			}},
		{name: "huge answer smaller than an empty list", fault: Fault{Kind: FaultHuge, Size: 3}, method: "GET", path: "/version", wantStatus: 200, wantReason: "OK",
			check: func(t *testing.T, e *env, r response) {
				if string(r.body) != `{"data":[]}` {
					t.Errorf("body %q", r.body)
				}
			}},
		{name: "latency then a normal answer", fault: Fault{Kind: FaultLatency, Latency: time.Millisecond}, method: "GET", path: "/version",
			wantStatus: 200, wantReason: "OK",
			check: func(t *testing.T, e *env, r response) {
				if !strings.Contains(string(r.body), `"version":"9.1.3"`) {
					t.Errorf("body %s", r.body)
				}
			}},
		{name: "fault on another method does not apply", fault: Fault{Kind: FaultStatus, Method: "POST", Status: 500, Reason: "x"},
			method: "GET", path: "/version", wantStatus: 200, wantReason: "OK"},
		{name: "fault on another path does not apply", fault: Fault{Kind: FaultStatus, Path: "/nodes/pve2", Status: 500, Reason: "x"},
			method: "GET", path: "/nodes/pve1/status", wantStatus: 200, wantReason: "OK"},
		{name: "faults come before authentication", fault: Fault{Kind: FaultStatus, Status: 502, Reason: "Bad Gateway"},
			method: "GET", path: "/version", wantStatus: 502, wantReason: "Bad Gateway"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.srv.Inject(tt.fault)
			target := e.srv.URL + "/api2/json" + tt.path
			req, _ := http.NewRequest(tt.method, target, nil)
			if tt.name != "faults come before authentication" {
				req.Header.Set("Authorization", adminAuth)
			}
			r := e.send(req)
			if r.status != tt.wantStatus || r.reason != tt.wantReason {
				t.Fatalf("got %d %q, want %d %q", r.status, r.reason, tt.wantStatus, tt.wantReason)
			}
			if tt.check != nil {
				tt.check(t, e, r)
			}
		})
	}
}

func TestFaultDrop(t *testing.T) {
	e := newEnv(t, nil)
	e.srv.Inject(Fault{Kind: FaultDrop, Path: "/cluster"})
	req, _ := http.NewRequest("GET", e.srv.URL+"/api2/json/cluster/resources", nil)
	req.Header.Set("Authorization", adminAuth)
	if resp, err := e.client.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("a dropped request got an answer: %s", resp.Status)
	}
	reqs := e.srv.Requests()
	if len(reqs) == 0 || reqs[len(reqs)-1].Status != 0 {
		t.Errorf("log of a dropped request: %+v", reqs)
	}
}

func TestFaultTimesAndRemove(t *testing.T) {
	e := newEnv(t, nil)
	e.srv.Inject(Fault{Kind: FaultStatus, Status: 595, Reason: "No route to host", Times: 2})
	var got []int
	for i := 0; i < 3; i++ {
		got = append(got, e.get("/version", nil).status)
	}
	if diff := cmp.Diff([]int{595, 595, 200}, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	remove := e.srv.Inject(Fault{Kind: FaultStatus, Status: 500, Reason: "broken"})
	first := e.get("/version", nil).status
	remove()
	second := e.get("/version", nil).status
	if first != 500 || second != 200 {
		t.Errorf("before and after remove: %d, %d; want 500, 200", first, second)
	}
	remove() // twice is harmless
}

// TestFaultedWriteNeverReachesTheCluster: the request is logged, but nothing happens.
func TestFaultedWriteNeverReachesTheCluster(t *testing.T) {
	e := newEnv(t, nil)
	e.srv.Inject(Fault{Kind: FaultStatus, Status: 500, Reason: "proxy down", Method: "POST"})
	before := len(e.srv.Tasks())
	if r := e.post("/nodes/pve1/qemu/100/status/stop", nil); r.status != 500 {
		t.Fatalf("faulted write: %d", r.status)
	}
	if len(e.srv.Tasks()) != before {
		t.Error("a faulted write started a task")
	}
	if w := e.srv.Writes(); len(w) != 1 || w[0].Status != 500 {
		t.Errorf("writes log: %+v", w)
	}
}

func TestLatencyHonoursContext(t *testing.T) {
	e := newEnv(t, nil)
	e.srv.Inject(Fault{Kind: FaultLatency, Latency: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/api2/json/version", nil)
	req.Header.Set("Authorization", adminAuth)
	_, err := e.client.Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the client's deadline", err)
	}
}

func TestFaultKindString(t *testing.T) {
	kinds := []FaultKind{FaultLatency, FaultStatus, FaultDrop, FaultMalformedJSON, FaultTruncated, FaultEchoAuth, FaultRedirect, FaultHuge, 0}
	var got []string
	for _, k := range kinds {
		got = append(got, k.String())
	}
	want := []string{"latency", "status", "drop", "malformed-json", "truncated", "echo-auth", "redirect", "huge", "FaultKind(0)"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
