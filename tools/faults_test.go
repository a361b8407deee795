package tools

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/proxmox-mcp/proxmox-mcp/pve/pvesim"
)

// The fault tests drive the whole product (MCP session, middleware, tools, client, TLS) against a cluster or a
// network that misbehaves, and prove for every fault that the caller gets an isError result naming what went
// wrong, that the next call is answered normally, that no write is repeated, and that nothing leaks.

const (
	// faultTimeout is the client's per-request timeout in these tests: short, so the slow cases are quick,
	// and still far above what a loopback request takes under -race on a busy 2-core machine (every call of
	// these tests, task polls included, runs under it).
	faultTimeout = time.Second
	// faultMaxBody is the client's response limit in these tests. The production default (64 MiB) works the
	// same way; a small one keeps the oversized answer quick to send.
	faultMaxBody = 256 << 10
	// idleConns is how many connections may stay open after a call has returned: the client's calls are
	// sequential, so one keep-alive connection is enough, but net/http may dial a second one when the
	// previous connection goes back to the pool a moment after the caller saw the end of its body; both
	// then stay idle. A leak of one connection per fault exceeds this bound by the third try.
	idleConns = 2
	// goroutineSlack is the tolerance of the goroutine count. It is exactly the one goroutine of the subtest
	// that measures (the baseline is taken in its parent, which then waits in t.Run): no other is needed, as
	// the baseline and every measurement are taken with every connection closed and no call in flight, so
	// the same goroutines run (MCP session, servers' accept loops, the relay's).
	goroutineSlack = 1
)

// relayMode is how the relay in front of the simulator treats connections.
type relayMode int

const (
	relayPass   relayMode = iota // pass bytes both ways: the network is fine
	relayDown                    // no listener, every open connection cut: Proxmox is down, connect is refused
	relayHangUp                  // accept, then reset at once: something listens but will not talk
)

// relay is a TCP relay on loopback between the client and the simulator. It plays the network: switching it
// down closes its listener and cuts every connection, as when pveproxy dies, and bringing it up listens on the
// same port again, as when Proxmox comes back. TLS passes through it, so the client's pin still holds.
type relay struct {
	t      testing.TB
	target string // the simulator's host:port
	addr   string // the relay's host:port, fixed for its life

	mu    sync.Mutex
	mode  relayMode
	ln    net.Listener
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

func newRelay(t testing.TB, target string) *relay {
	r := &relay{t: t, target: target, conns: map[net.Conn]struct{}{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.addr = ln.Addr().String()
	r.listen(ln)
	t.Cleanup(func() {
		r.set(relayDown)
		r.wg.Wait()
	})
	return r
}

func (r *relay) listen(ln net.Listener) {
	r.ln = ln
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			r.serve(c)
		}
	}()
}

func (r *relay) serve(c net.Conn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch r.mode {
	case relayHangUp:
		// SO_LINGER 0: the client sees a reset, not a polite end of stream
		c.(*net.TCPConn).SetLinger(0)
		c.Close()
		return
	case relayDown: // accepted just before the listener closed
		c.Close()
		return
	}
	up, err := net.Dial("tcp", r.target)
	if err != nil {
		c.Close()
		return
	}
	r.conns[c], r.conns[up] = struct{}{}, struct{}{}
	r.wg.Add(2)
	pipe := func(dst, src net.Conn) {
		defer r.wg.Done()
		_, _ = io.Copy(dst, src)
		// either side ending ends both, like a process that closes its socket
		r.mu.Lock()
		delete(r.conns, c)
		delete(r.conns, up)
		r.mu.Unlock()
		c.Close()
		up.Close()
	}
	go pipe(up, c)
	go pipe(c, up)
}

// set switches the relay's behaviour for new connections; relayDown also cuts the open ones.
func (r *relay) set(m relayMode) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.mode = m
	switch {
	case m == relayDown && r.ln != nil:
		r.ln.Close()
		r.ln = nil
		for c := range r.conns {
			c.Close()
		}
	case m != relayDown && r.ln == nil:
		ln, err := net.Listen("tcp", r.addr)
		if err != nil {
			r.t.Errorf("relay: listen again on %s: %v", r.addr, err)
			return
		}
		r.listen(ln)
	}
}

// faultEnv is what a case's fault can act on.
type faultEnv struct {
	h     *harness
	relay *relay // in front of h.sim when the case is a network case
}

// counter is an HTTP server on loopback that counts the requests it gets and whether they carried a token.
type counter struct {
	srv        *httptest.Server
	hits, auth atomic.Int32
}

func newCounter(t testing.TB) *counter {
	c := &counter{}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.hits.Add(1)
		if r.Header.Get("Authorization") != "" {
			c.auth.Add(1)
		}
		w.Write([]byte(`{"data":[]}`))
	}))
	t.Cleanup(c.srv.Close)
	return c
}

// trail is the request log as "METHOD PATH STATUS" lines (status 0: no answer was sent).
func trail(h *harness) []string {
	out := []string{}
	for _, r := range h.sim.Requests() {
		out = append(out, fmt.Sprintf("%s %s %d", r.Method, r.Path, r.Status))
	}
	return out
}

func countPosts(h *harness) int {
	n := 0
	for _, r := range h.sim.Requests() {
		if r.Method == http.MethodPost {
			n++
		}
	}
	return n
}

// eventually calls ok until it holds, however long that takes on this machine, and reports whether it did: it
// gives up only shortly before go test's -timeout would end the binary, so that the test can still say what
// did not happen.
func eventually(t testing.TB, ok func() bool) bool {
	t.Helper()
	left := time.Hour
	if dt, has := t.(interface{ Deadline() (time.Time, bool) }); has {
		if deadline, set := dt.Deadline(); set {
			left = time.Until(deadline)
			left = max(left-max(left/20, 5*time.Second), time.Second)
		}
	}
	return poll(left, ok)
}

// poll calls ok until it holds or d has passed; it reports whether it held. A check that fails when poll gives
// up uses eventually instead: d is for measuring, not for judging.
func poll(d time.Duration, ok func() bool) bool {
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// leakCheck measures goroutines with every connection closed and no call in flight.
type leakCheck struct {
	hs       []*harness
	baseline int
}

// quiesce closes the clients' idle connections and waits until the simulators hold none: a connection still
// open then is one the client holds outside its pool, a leak.
func (l *leakCheck) quiesce(t *testing.T) {
	t.Helper()
	for _, h := range l.hs {
		h.client.Close()
		if !eventually(t, func() bool { return h.sim.OpenConns() == 0 }) {
			t.Errorf("connection leak: %d connections still open with the client's idle pool closed", h.sim.OpenConns())
		}
	}
}

func newLeakCheck(t *testing.T, hs ...*harness) *leakCheck {
	l := &leakCheck{hs: hs}
	l.quiesce(t)
	// let goroutines of the warm-up calls finish before the baseline is taken
	prev := -1
	poll(time.Second, func() bool {
		n := runtime.NumGoroutine()
		same := n == prev
		prev = n
		return same
	})
	l.baseline = runtime.NumGoroutine()
	return l
}

// check quiesces and returns the goroutine count, failing when it stays above the baseline. It is called from
// a subtest of the test that took the baseline.
func (l *leakCheck) check(t *testing.T) int {
	t.Helper()
	l.quiesce(t)
	// Deterministic: with every connection closed, a goroutine that is not leaked exits, however long the machine
	// takes to schedule it.
	if !eventually(t, func() bool { return runtime.NumGoroutine() <= l.baseline+goroutineSlack }) {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Errorf("goroutine leak: %d goroutines, baseline %d\n%s", runtime.NumGoroutine(), l.baseline, buf)
	}
	return runtime.NumGoroutine()
}

const (
	listVMs   = `proxmox_list_vms`
	startVM   = `proxmox_start_resource`
	startArgs = `{"vmid":103,"confirm":true}`
	startPath = "/nodes/pve2/qemu/103/status/start"
	resources = "/cluster/resources"
)

// faultCase is one way for Proxmox or the network to misbehave, and what the caller must see.
type faultCase struct {
	name       string
	network    bool // run through the relay
	reps       int  // tries of the fault (default 3), to show nothing grows per fault
	fault      func(t *testing.T, e *faultEnv) (undo func())
	tool, args string
	// ok is set for a fault the product rides out: the call succeeds (a read retried).
	ok bool
	// want are pieces of the result's text (of the isError text unless ok), each naming what happened.
	want []string
	// trail is the exact request log of one try, when not nil.
	trail []string
	// posts is how many POSTs one try may make: never more than the one the caller asked for.
	posts int
	// check, when set, checks more after each try.
	check func(t *testing.T, h *harness)
}

func inject(f pvesim.Fault) func(t *testing.T, e *faultEnv) func() {
	return func(_ *testing.T, e *faultEnv) func() { return e.h.sim.Inject(f) }
}

func TestFaults(t *testing.T) {
	hMain := newHarness(t, harnessOpts{timeout: faultTimeout, maxBody: faultMaxBody})
	var rl *relay
	hNet := newHarness(t, harnessOpts{timeout: faultTimeout, via: func(simURL string) string {
		u, err := url.Parse(simURL)
		if err != nil {
			t.Fatal(err)
		}
		rl = newRelay(t, u.Host)
		return "https://" + rl.addr
	}})
	away := newCounter(t)
	readGet := "GET " + resources
	cases := []faultCase{
		{
			name: "proxmox down", network: true,
			// the client holds a pooled connection when everything goes away
			fault: func(t *testing.T, e *faultEnv) func() {
				e.h.call(t, listVMs, `{}`)
				if n := e.h.sim.OpenConns(); n == 0 {
					t.Errorf("no pooled connection before going down")
				}
				e.h.sim.ResetLog()
				e.relay.set(relayDown)
				return func() { e.relay.set(relayPass) }
			},
			tool: listVMs, args: `{}`,
			want:  []string{"connection refused", "Proxmox is down"},
			trail: []string{},
		},
		{
			name: "refusing connections", network: true,
			// no pooled connection: the very first connect is refused. A write tool: its lookup fails
			// first, so no POST is even attempted.
			fault: func(_ *testing.T, e *faultEnv) func() {
				e.relay.set(relayDown)
				e.h.client.Close()
				return func() { e.relay.set(relayPass) }
			},
			tool: startVM, args: startArgs,
			want:  []string{"connection refused", "Nothing answered at PROXMOX_URL"},
			trail: []string{},
		},
		{
			name: "connection reset on accept", network: true,
			fault: func(_ *testing.T, e *faultEnv) func() {
				e.h.client.Close()
				e.relay.set(relayHangUp)
				return func() { e.relay.set(relayPass) }
			},
			tool: listVMs, args: `{}`,
			want:  []string{"connection failed", "reset by peer", "The connection to Proxmox failed"},
			trail: []string{},
		},
		{
			name:  "slow read past the client timeout",
			reps:  2,
			fault: inject(pvesim.Fault{Method: "GET", Path: resources, Kind: pvesim.FaultLatency, Latency: 10 * time.Second}),
			tool:  listVMs, args: `{}`,
			want: []string{"timed out", "did not answer in time"},
			// a timeout is not retried; the simulator logs the request when the client hangs up
			trail: []string{readGet + " 0"},
		},
		{
			name:  "slow write past the client timeout",
			reps:  2,
			fault: inject(pvesim.Fault{Method: "POST", Path: startPath, Kind: pvesim.FaultLatency, Latency: 10 * time.Second}),
			tool:  startVM, args: startArgs,
			want:  []string{"timed out", "may have reached Proxmox", "not retried", "proxmox_recent_tasks"},
			trail: []string{"POST " + startPath + " 0"},
			posts: 1,
		},
		{
			name:  "500 with a reason on a read",
			fault: inject(pvesim.Fault{Method: "GET", Path: resources, Kind: pvesim.FaultStatus, Status: 500, Reason: "cluster not ready - no quorum?"}),
			tool:  listVMs, args: `{}`,
			want:  []string{"proxmox error (500 cluster not ready - no quorum?)"},
			trail: []string{readGet + " 500"}, // a 500 is an answer: not retried
		},
		{
			name:  "500 with a reason on a write",
			fault: inject(pvesim.Fault{Method: "POST", Path: startPath, Kind: pvesim.FaultStatus, Status: 500, Reason: "VM 103 not running"}),
			tool:  startVM, args: startArgs,
			want:  []string{"start VM 103 win11-desktop on pve2: proxmox error (500 VM 103 not running)"},
			trail: []string{"POST " + startPath + " 500"},
			posts: 1,
		},
		{
			name:  "503 with a reason on a read",
			fault: inject(pvesim.Fault{Method: "GET", Path: resources, Kind: pvesim.FaultStatus, Status: 503, Reason: "too many connections"}),
			tool:  listVMs, args: `{}`,
			want:  []string{"service unavailable (503 too many connections)", "try again later"},
			trail: []string{readGet + " 503", readGet + " 503"}, // retried once (the harness allows one retry)
		},
		{
			name:  "503 with a reason on a write",
			fault: inject(pvesim.Fault{Method: "POST", Path: startPath, Kind: pvesim.FaultStatus, Status: 503, Reason: "too many connections"}),
			tool:  startVM, args: startArgs,
			want:  []string{"service unavailable (503 too many connections)"},
			trail: []string{"POST " + startPath + " 503"},
			posts: 1,
		},
		{
			name:  "595 on a read",
			fault: inject(pvesim.Fault{Method: "GET", Path: "/nodes/pve2/qemu/103", Kind: pvesim.FaultStatus, Status: 595, Reason: "Errors during connection establishment, proxy handshake"}),
			tool:  "proxmox_get_resource", args: `{"vmid":103}`,
			want: []string{"node unreachable through proxy (595 Errors during connection establishment", "could not reach that node"},
		},
		{
			name:  "596 on a read",
			fault: inject(pvesim.Fault{Method: "GET", Path: "/nodes/pve2/qemu/103", Kind: pvesim.FaultStatus, Status: 596, Reason: "Broken pipe"}),
			tool:  "proxmox_get_resource", args: `{"vmid":103}`,
			want: []string{"node unreachable through proxy (596 Broken pipe)", "could not reach that node"},
		},
		{
			name:  "595 on a write",
			fault: inject(pvesim.Fault{Method: "POST", Path: startPath, Kind: pvesim.FaultStatus, Status: 595, Reason: "No route to host"}),
			tool:  startVM, args: startArgs,
			want:  []string{"start VM 103 win11-desktop on pve2: node unreachable through proxy (595 No route to host)", "could not reach that node"},
			trail: []string{"POST " + startPath + " 595"},
			posts: 1,
		},
		{
			// 596 means the proxied request failed after it was sent: the write may have happened
			name:  "596 on a write",
			fault: inject(pvesim.Fault{Method: "POST", Path: startPath, Kind: pvesim.FaultStatus, Status: 596, Reason: "Connection timed out"}),
			tool:  startVM, args: startArgs,
			want:  []string{"node unreachable through proxy (596 Connection timed out)", "may have reached Proxmox", "not retried"},
			trail: []string{"POST " + startPath + " 596"},
			posts: 1,
		},
		{
			name:  "truncated JSON",
			fault: inject(pvesim.Fault{Method: "GET", Path: resources, Kind: pvesim.FaultTruncated}),
			tool:  listVMs, args: `{}`,
			want:  []string{"malformed response: truncated JSON (", "not Proxmox's JSON"},
			trail: []string{readGet + " 200"},
		},
		{
			name:  "malformed JSON",
			fault: inject(pvesim.Fault{Method: "GET", Path: resources, Kind: pvesim.FaultMalformedJSON}),
			tool:  listVMs, args: `{}`,
			want:  []string{"malformed response: not JSON at byte", "not Proxmox's JSON"},
			trail: []string{readGet + " 200"},
		},
		{
			name:  "huge response",
			fault: inject(pvesim.Fault{Method: "GET", Path: resources, Kind: pvesim.FaultHuge, Size: 4 * faultMaxBody}),
			tool:  listVMs, args: `{}`,
			want:  []string{fmt.Sprintf("response too large: more than %d bytes", faultMaxBody), "larger than this server accepts"},
			trail: []string{readGet + " 200"},
		},
		{
			name:  "redirect",
			fault: inject(pvesim.Fault{Method: "GET", Path: resources, Kind: pvesim.FaultRedirect, Location: away.srv.URL + "/api2/json/cluster/resources"}),
			tool:  listVMs, args: `{}`,
			want:  []string{"redirect refused (302", "the server redirected to " + away.srv.URL, "redirects are not followed", "not at something that redirects"},
			trail: []string{readGet + " 302"},
		},
		{
			name:  "redirect on a write",
			fault: inject(pvesim.Fault{Method: "POST", Path: startPath, Kind: pvesim.FaultRedirect, Location: away.srv.URL + "/api2/json" + startPath}),
			tool:  startVM, args: startArgs,
			want:  []string{"redirect refused (302", "redirects are not followed"},
			trail: []string{"POST " + startPath + " 302"},
			posts: 1,
		},
		{
			name:  "dropped connection on a read, once",
			fault: inject(pvesim.Fault{Method: "GET", Path: resources, Kind: pvesim.FaultDrop, Times: 1}),
			tool:  listVMs, args: `{}`,
			// the read is retried and the retry succeeds
			ok: true, want: []string{"8 VMs match"},
			trail: []string{readGet + " 0", readGet + " 200"},
		},
		{
			name:  "dropped connection on a read, always",
			fault: inject(pvesim.Fault{Method: "GET", Path: resources, Kind: pvesim.FaultDrop}),
			tool:  listVMs, args: `{}`,
			want: []string{"connection failed: the server closed the connection unexpectedly", "The connection to Proxmox failed"},
			// trail not compared exactly: besides the client's one retry, net/http itself resends a GET
			// whose reused keep-alive connection died before answering, so two or three tries reach the
			// cluster, none answered
			check: func(t *testing.T, h *harness) {
				got := trail(h)
				if len(got) < 2 || len(got) > 3 || strings.Count(strings.Join(got, "\n"), readGet+" 0") != len(got) {
					t.Errorf("requests: %v, want 2 or 3 unanswered %s", got, readGet)
				}
			},
		},
		{
			name:  "dropped connection on a write",
			fault: inject(pvesim.Fault{Method: "POST", Path: startPath, Kind: pvesim.FaultDrop}),
			tool:  startVM, args: startArgs,
			want:  []string{"connection failed: the server closed the connection unexpectedly", "may have reached Proxmox", "not retried", "proxmox_recent_tasks"},
			trail: []string{"POST " + startPath + " 0"},
			posts: 1,
		},
	}
	envs := map[bool]*faultEnv{false: {h: hMain}, true: {h: hNet, relay: rl}}
	// warm up both: the baseline includes the goroutines of an initialised session and a used client
	for _, h := range []*harness{hMain, hNet} {
		if res := h.call(t, listVMs, `{}`); res.IsError {
			t.Fatalf("warm-up: %s", text(res))
		}
	}
	leaks := newLeakCheck(t, hMain, hNet)
	t.Logf("baseline: %d goroutines, 0 connections", leaks.baseline)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := envs[c.network]
			reps := c.reps
			if reps == 0 {
				reps = 3
			}
			var conns []int
			for rep := range reps {
				e.h.sim.ResetLog()
				undo := c.fault(t, e)
				res := e.h.call(t, c.tool, c.args)
				undo()
				got := text(res)
				if rep == 0 {
					t.Logf("result: %s\nrequests: %v", got, trail(e.h))
				}
				if res.IsError == c.ok {
					t.Fatalf("isError = %v, want %v: %s", res.IsError, !c.ok, got)
				}
				// What Proxmox said is quoted as cluster text; the wanted phrases read across the quotes.
				plain := strings.NewReplacer("«", "", "»", "").Replace(got)
				for _, w := range c.want {
					if !strings.Contains(plain, w) {
						t.Errorf("result does not say %q:\n%s", w, got)
					}
				}
				if c.check != nil {
					c.check(t, e.h)
				}
				if c.trail != nil {
					// the simulator logs an abandoned request when it notices the client hung up
					eventually(t, func() bool { return len(trail(e.h)) >= len(c.trail) })
					if diff := cmp.Diff(c.trail, trail(e.h)); diff != "" {
						t.Errorf("requests (-want +got):\n%s", diff)
					}
				}
				if n := countPosts(e.h); n != c.posts {
					t.Errorf("%d POSTs reached the cluster, want %d: %v", n, c.posts, trail(e.h))
				}
				if !eventually(t, func() bool { return e.h.sim.OpenConns() <= idleConns }) {
					t.Errorf("%d connections open after the call, want at most %d", e.h.sim.OpenConns(), idleConns)
				}
				conns = append(conns, e.h.sim.OpenConns())
			}
			if away.hits.Load() != 0 {
				t.Errorf("a redirect was followed: %d requests (%d with the token) reached its target", away.hits.Load(), away.auth.Load())
			}
			// the next call is answered normally
			if res := e.h.call(t, listVMs, `{}`); res.IsError {
				t.Errorf("the call after the fault failed: %s", text(res))
			}
			if g, _ := e.h.sim.Guest(103); g.Status != "stopped" {
				t.Errorf("a failed start started VM 103 after all")
			}
			gr := leaks.check(t)
			t.Logf("%d tries: open connections after each %v; goroutines %d (baseline %d)", reps, conns, gr, leaks.baseline)
		})
	}
}

// TestTaskFaults: a task that never ends, and a node that goes away while a write waits for its task. Both
// writes were accepted by Proxmox, so neither is an isError result (that would invite a retry of a write
// that happened): each comes back with its UPID and says what is known.
func TestTaskFaults(t *testing.T) {
	// Each case has its own server, whose wait for a task (PROXMOX_WAIT_SECONDS) suits it.
	setup := func(t *testing.T, wait time.Duration) (*harness, *leakCheck) {
		h := newHarness(t, harnessOpts{timeout: faultTimeout, wait: wait})
		if res := h.call(t, listVMs, `{}`); res.IsError {
			t.Fatalf("warm-up: %s", text(res))
		}
		return h, newLeakCheck(t, h)
	}
	stopTask := func(t *testing.T, h *harness, upid string) {
		if err := h.sim.StopTask(upid); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("task never ends", func(t *testing.T) {
		h, leaks := setup(t, time.Second)
		h.sim.SetTaskDuration("qmstart", -1)
		defer h.sim.SetTaskDuration("qmstart", 20*time.Millisecond)
		h.sim.ResetLog()
		res := h.call(t, startVM, `{"vmid":103,"confirm":true}`)
		var w writeResult
		structured(t, res, &w)
		if res.IsError || w.Status != "running" || !strings.HasPrefix(w.UPID, "UPID:pve2:") {
			t.Fatalf("want a running result with the UPID, got isError=%v: %s", res.IsError, text(res))
		}
		if w.Seconds < 1 {
			t.Errorf("gave up after %vs, before the server's 1s wait", w.Seconds)
		}
		for _, want := range []string{"still running after", w.UPID, "proxmox_get_task_status"} {
			if !strings.Contains(text(res), want) {
				t.Errorf("result does not say %q: %s", want, text(res))
			}
		}
		if n := countPosts(h); n != 1 {
			t.Errorf("%d POSTs, want 1: %v", n, trail(h))
		}
		t.Logf("result: %s", text(res))
		st := h.call(t, "proxmox_get_task_status", fmt.Sprintf(`{"upid":%q}`, w.UPID))
		if st.IsError || !strings.Contains(text(st), "is running since") {
			t.Errorf("task status of a running task: %s", text(st))
		}
		stopTask(t, h, w.UPID)
		if res := h.call(t, listVMs, `{}`); res.IsError {
			t.Errorf("the call after the fault failed: %s", text(res))
		}
		t.Logf("goroutines %d (baseline %d)", leaks.check(t), leaks.baseline)
	})
	t.Run("node goes away mid-task", func(t *testing.T) {
		h, leaks := setup(t, 30*time.Second)
		h.sim.SetTaskDuration("qmstart", -1)
		defer h.sim.SetTaskDuration("qmstart", 20*time.Millisecond)
		h.sim.ResetLog()
		done := make(chan *mcp.CallToolResult, 1)
		go func() {
			// not h.call: t.Fatal is for the test's own goroutine
			req := mcp.CallToolRequest{}
			req.Params.Name = startVM
			req.Params.Arguments = map[string]any{"vmid": 103, "confirm": true}
			res, err := h.mc.CallTool(context.Background(), req)
			if err != nil {
				res = mcp.NewToolResultError("protocol error: " + err.Error())
			}
			done <- res
		}()
		polling := func() bool {
			for _, r := range h.sim.Requests() {
				if r.Method == "GET" && strings.HasPrefix(r.Path, "/nodes/pve2/tasks/") && r.Status == 200 {
					return true
				}
			}
			return false
		}
		if !eventually(t, polling) {
			t.Fatalf("the write never polled its task: %v", trail(h))
		}
		h.sim.SetNodeOnline("pve2", false)
		defer h.sim.SetNodeOnline("pve2", true)
		var res *mcp.CallToolResult
		if !eventually(t, func() bool {
			select {
			case res = <-done:
				return true
			default:
				return false
			}
		}) {
			t.Fatal("the write kept waiting for a task on a node that went away")
		}
		h.sim.SetNodeOnline("pve2", true)
		var w writeResult
		structured(t, res, &w)
		got := text(res)
		t.Logf("result: %s", got)
		if res.IsError || w.Status != "running" || !strings.HasPrefix(w.UPID, "UPID:pve2:") {
			t.Fatalf("want the UPID and an unknown outcome, got isError=%v: %s", res.IsError, got)
		}
		for _, want := range []string{w.UPID, "on node pve2", "outcome is unknown", "595 «No route to host»", "could not reach that node"} {
			if !strings.Contains(got, want) {
				t.Errorf("result does not say %q:\n%s", want, got)
			}
		}
		if n := countPosts(h); n != 1 {
			t.Errorf("%d POSTs, want 1: %v", n, trail(h))
		}
		// the task is still there, and can be followed once the node is back
		st := h.call(t, "proxmox_get_task_status", fmt.Sprintf(`{"upid":%q}`, w.UPID))
		if st.IsError || !strings.Contains(text(st), "is running since") {
			t.Errorf("task status once the node is back: %s", text(st))
		}
		stopTask(t, h, w.UPID)
		if res := h.call(t, listVMs, `{}`); res.IsError {
			t.Errorf("the call after the fault failed: %s", text(res))
		}
		t.Logf("goroutines %d (baseline %d)", leaks.check(t), leaks.baseline)
	})
}

// TestRetryReadsNotWrites: a read that meets 502, 503 or 504 once is sent again and succeeds; a write that
// meets one is sent once and the caller is told.
func TestRetryReadsNotWrites(t *testing.T) {
	h := newHarness(t, harnessOpts{timeout: faultTimeout})
	if res := h.call(t, listVMs, `{}`); res.IsError {
		t.Fatalf("warm-up: %s", text(res))
	}
	leaks := newLeakCheck(t, h)
	reasons := map[int]string{502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}
	type retryCase struct {
		name    string
		status  int
		method  string
		tool    string
		args    string
		wantErr bool
		unknown bool // the error must say the write may have happened
		trail   []string
	}
	var tests []retryCase
	for _, s := range []int{502, 503, 504} {
		tests = append(tests,
			retryCase{fmt.Sprintf("read %d", s), s, "GET", listVMs, `{}`, false, false,
				[]string{fmt.Sprintf("GET %s %d", resources, s), "GET " + resources + " 200"}},
			// a proxy's 502 or 504 may come after it passed the write on; a 503 says it did not
			retryCase{fmt.Sprintf("write %d", s), s, "POST", startVM, startArgs, true, s != 503,
				[]string{fmt.Sprintf("POST %s %d", startPath, s)}}, // the guest index, warm from the listing before, resolves it
		)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h.sim.ResetLog()
			path := resources
			if tc.method == "POST" {
				path = startPath
			}
			remove := h.sim.Inject(pvesim.Fault{Method: tc.method, Path: path, Kind: pvesim.FaultStatus, Status: tc.status, Reason: reasons[tc.status], Times: 1})
			defer remove()
			res := h.call(t, tc.tool, tc.args)
			if res.IsError != tc.wantErr {
				t.Errorf("isError = %v, want %v: %s", res.IsError, tc.wantErr, text(res))
			}
			if tc.wantErr && !strings.Contains(text(res), fmt.Sprintf("(%d «%s»)", tc.status, reasons[tc.status])) {
				t.Errorf("error does not name the answer: %s", text(res))
			}
			if got := strings.Contains(text(res), "may have reached Proxmox; it was not retried"); got != tc.unknown {
				t.Errorf("says the write may have happened = %v, want %v: %s", got, tc.unknown, text(res))
			}
			if diff := cmp.Diff(tc.trail, trail(h)); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
			if res := h.call(t, listVMs, `{}`); res.IsError {
				t.Errorf("the call after the fault failed: %s", text(res))
			}
			leaks.check(t)
		})
	}
	if g, _ := h.sim.Guest(103); g.Status != "stopped" {
		t.Errorf("VM 103 is %s: a refused start happened after all", g.Status)
	}
}
