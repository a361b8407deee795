package main

// Load, burst and soak tests: many concurrent tool calls over streamable HTTP (served in this process, so its
// goroutines and heap can be counted) and over stdio (the built binary, whose RSS is read from /proc), and a
// soak of mixed calls whose length PROXMOX_MCP_SOAK sets (CI runs it for minutes; go test ./... for seconds).
//
// go test ./... checks what the calls return and that goroutines come back to their baseline (waiting as long as
// that takes). Bounds on memory, and the soak's trends, depend on the machine, so they are checked only in the
// soak CI runs (PROXMOX_MCP_SOAK set: .ci/run runs TestLoad*, TestBurst* and TestSoak* so), and the figures
// are measured by BenchmarkBurstHTTP and BenchmarkBurstStdio (go test -run '^$' -bench Burst ./cmd/proxmox-mcp).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/proxmox-mcp/proxmox-mcp/pve/pvesim"
)

const (
	loadToken = "load-test-token-0123456789abcdef"
	// burstCalls is how many tool calls each burst fires at once.
	burstCalls = 200
	mib        = 1 << 20
)

// soaking reports whether this is the soak run, which also checks the bounds on memory and trends.
func soaking() bool { return os.Getenv("PROXMOX_MCP_SOAK") != "" }

// defaultVMIDs are the guests of pvesim.Default, in the order the list tools return them.
var defaultVMIDs = []int{100, 101, 102, 103, 104, 105, 106, 9000, 200, 201, 202, 203, 204}

// guestID is the part of a guest that no call in these tests changes.
type guestID struct {
	VMID int    `json:"vmid"`
	Name string `json:"name"`
	Type string `json:"type"`
	Node string `json:"node"`
}

// loadCall is one kind of call in the mix and how to tell that its answer is the right one.
type loadCall struct {
	name  string
	tool  string
	args  map[string]any
	check func(res *mcp.CallToolResult) error
}

// structured decodes a result's structured content into v.
func structured(res *mcp.CallToolResult, v any) error {
	if res.StructuredContent == nil {
		return errors.New("no structured content")
	}
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// succeeded checks a result is not an error and its structured content decodes to want.
func succeeded[T any](want T) func(*mcp.CallToolResult) error {
	return func(res *mcp.CallToolResult) error {
		if res.IsError {
			return errors.New("isError")
		}
		var got T
		if err := structured(res, &got); err != nil {
			return err
		}
		if d := cmp.Diff(want, got); d != "" {
			return fmt.Errorf("structured content (-want +got):\n%s", d)
		}
		return nil
	}
}

// refused checks a result is the gate's refusal naming what is missing, with nothing sent.
func refused(missing string) func(*mcp.CallToolResult) error {
	return func(res *mcp.CallToolResult) error {
		text := resultText(res)
		if !res.IsError || !strings.HasPrefix(text, "Refused, nothing was sent to Proxmox") || !strings.Contains(text, missing) {
			return fmt.Errorf("want a refusal naming %q", missing)
		}
		return nil
	}
}

// textPrefix checks a result is not an error and its text starts with want.
func textPrefix(want string) func(*mcp.CallToolResult) error {
	return func(res *mcp.CallToolResult) error {
		if res.IsError || !strings.HasPrefix(resultText(res), want) {
			return fmt.Errorf("want a success starting %q", want)
		}
		return nil
	}
}

// loadMix is the mixed traffic: every read the tests can check exactly, writes the gate must refuse, and dry
// runs. The expected guests come from the simulator itself.
func loadMix(t testing.TB, sim *pvesim.Server) []loadCall {
	t.Helper()
	type listOut struct {
		Total int       `json:"total"`
		Items []guestID `json:"items"`
	}
	var vms, cts listOut
	var mix []loadCall
	for _, vmid := range defaultVMIDs {
		g, ok := sim.Guest(vmid)
		if !ok {
			t.Fatalf("the default cluster has no guest %d", vmid)
		}
		id := guestID{VMID: vmid, Name: g.Name, Type: g.Type, Node: g.Node}
		if g.Type == "qemu" {
			vms.Items = append(vms.Items, id)
		} else {
			cts.Items = append(cts.Items, id)
		}
		mix = append(mix, loadCall{"get " + strconv.Itoa(vmid), "proxmox_get_resource", map[string]any{"vmid": vmid}, succeeded(struct {
			Guest guestID `json:"guest"`
		}{id})})
	}
	vms.Total, cts.Total = len(vms.Items), len(cts.Items)
	type nodeOut struct {
		Node   string `json:"node"`
		Online bool   `json:"online"`
	}
	type statusOut struct {
		Cluster string    `json:"cluster"`
		Quorate bool      `json:"quorate"`
		Nodes   []nodeOut `json:"nodes"`
	}
	status := statusOut{"homelab", true, []nodeOut{{"pve1", true}, {"pve2", true}, {"pve3", true}}}
	return append(mix, []loadCall{
		{"list VMs", "proxmox_list_vms", map[string]any{}, succeeded(vms)},
		{"list containers", "proxmox_list_containers", map[string]any{}, succeeded(cts)},
		{"status", "proxmox_status", map[string]any{}, succeeded(status)},
		{"recent tasks", "proxmox_recent_tasks", map[string]any{"limit": 5}, func(res *mcp.CallToolResult) error {
			var out struct {
				Tasks []struct {
					UPID string `json:"upid"`
				} `json:"tasks"`
			}
			if res.IsError {
				return errors.New("isError")
			}
			if err := structured(res, &out); err != nil {
				return err
			}
			if len(out.Tasks) != 5 {
				return fmt.Errorf("%d tasks, want 5", len(out.Tasks))
			}
			for _, tk := range out.Tasks {
				if !strings.HasPrefix(tk.UPID, "UPID:") {
					return fmt.Errorf("task UPID %q", tk.UPID)
				}
			}
			return nil
		}},
		{"start without confirm", "proxmox_start_resource", map[string]any{"vmid": 103}, refused("needs confirm: true (missing)")},
		{"start with a string confirm", "proxmox_start_resource", map[string]any{"vmid": 204, "confirm": "true"}, refused(`needs confirm: true (got "true"`)},
		{"stop without confirm", "proxmox_stop_resource", map[string]any{"vmid": 100}, refused("needs confirm: true (missing)")},
		{"reboot with confirm false", "proxmox_reboot_resource", map[string]any{"vmid": 101, "confirm": false}, refused("needs confirm: true")},
		{"dry-run stop", "proxmox_stop_resource", map[string]any{"vmid": 100, "dry_run": true}, textPrefix("Dry run of shutdown VM 100 «opnsense» on pve1: nothing was sent.")},
		{"dry-run start", "proxmox_start_resource", map[string]any{"vmid": 103, "dry_run": true}, textPrefix("Dry run of start VM 103 «win11-desktop» on pve2: nothing was sent.")},
	}...)
}

// call makes one call of the mix and checks its answer; it waits for the answer as long as tb may.
func (lc loadCall) call(tb testing.TB, c *client.Client) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeLeft(tb))
	defer cancel()
	req := mcp.CallToolRequest{}
	req.Params.Name = lc.tool
	req.Params.Arguments = lc.args
	res, err := c.CallTool(ctx, req)
	if err != nil {
		return fmt.Errorf("%s: %w", lc.name, err)
	}
	if err := lc.check(res); err != nil {
		return fmt.Errorf("%s: %w; isError=%v: %s", lc.name, err, res.IsError, resultText(res))
	}
	return nil
}

// burst runs n calls at once (all goroutines start together) and returns how long it took and what failed.
func burst(n int, call func(i int) error) (time.Duration, []error) {
	var wg sync.WaitGroup
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = call(i)
		})
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	took := time.Since(t0)
	var failed []error
	for _, err := range errs {
		if err != nil {
			failed = append(failed, err)
		}
	}
	return took, failed
}

func reportErrors(t testing.TB, what string, errs []error) {
	t.Helper()
	for i, err := range errs {
		if i == 5 {
			t.Errorf("%s: and %d more", what, len(errs)-i)
			break
		}
		t.Errorf("%s: %v", what, err)
	}
}

// inProcess is the server as serveHTTP builds it, served on a loopback httptest listener in this process,
// against a simulated cluster also in this process.
type inProcess struct {
	sim *pvesim.Server
	app *app
	url string
	// tr carries every MCP client's requests, so closing its idle connections closes all of them.
	tr *http.Transport
}

func startInProcess(t testing.TB, simOpts ...pvesim.Option) *inProcess {
	t.Helper()
	sim := pvesim.Serve(pvesim.New(pvesim.Default(), simOpts...))
	t.Cleanup(sim.Close)
	env := map[string]string{
		"PROXMOX_URL":             sim.URL,
		"PROXMOX_TOKEN_ID":        pvesim.DefaultTokenID,
		"PROXMOX_TOKEN_SECRET":    pvesim.DefaultTokenSecret,
		"PROXMOX_TLS_FINGERPRINT": sim.Fingerprint,
		envWait:                   "10",
		envHTTPToken:              loadToken,
	}
	var fv flagValues
	fv.http = "127.0.0.1:0"
	s, err := fv.resolve(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if err := checkHTTPExposure(s); err != nil {
		t.Fatal(err)
	}
	a, err := build(context.Background(), s, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	ln, err := net.Listen("tcp", s.http)
	if err != nil {
		t.Fatal(err)
	}
	h := newHTTPHandler(a.srv, httpPolicy{token: s.httpToken, listen: ln.Addr().String()})
	ts := &httptest.Server{Listener: ln, Config: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}}
	ts.Start()
	t.Cleanup(ts.Close) // runs before a.Close and sim.Close
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 32
	t.Cleanup(tr.CloseIdleConnections)
	return &inProcess{sim: sim, app: a, url: ts.URL + "/mcp", tr: tr}
}

// clients opens n initialized MCP sessions with the bearer token, all over p.tr.
func (p *inProcess) clients(t testing.TB, n int) []*client.Client {
	t.Helper()
	cs := make([]*client.Client, n)
	for i := range cs {
		tr, err := transport.NewStreamableHTTP(p.url,
			transport.WithHTTPBasicClient(&http.Client{Transport: p.tr}),
			transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + loadToken}))
		if err != nil {
			t.Fatal(err)
		}
		c := client.NewClient(tr)
		if err := c.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		initialize(t, c)
		cs[i] = c
	}
	return cs
}

// quiesce closes every idle connection this process holds: the MCP clients' to the server and the Proxmox
// client's to the simulator (a pool of up to 16 kept-alive connections, three goroutines each, which is a
// cache and not a leak). Counting goroutines after it measures what the calls themselves left behind.
func (p *inProcess) quiesce() {
	p.tr.CloseIdleConnections()
	for _, t := range p.app.targets {
		t.client.Close()
	}
}

// liveHeap is HeapAlloc after two collections: the second also empties what sync.Pools kept from the first.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// steadyGoroutines returns the goroutine count once it has not changed for quiet (or when within has passed):
// goroutines of a finished call or a closed connection take a moment to be scheduled and exit. It measures and
// never fails: on a slow machine the count it returns is higher, which makes a baseline more lenient.
func steadyGoroutines(quiet, within time.Duration) int {
	deadline := time.Now().Add(within)
	n, since := runtime.NumGoroutine(), time.Now()
	for time.Since(since) < quiet && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
		if m := runtime.NumGoroutine(); m != n {
			n, since = m, time.Now()
		}
	}
	return n
}

func goroutineDump() string {
	var b bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&b, 1)
	return b.String()
}

// vmRSS reads a process's resident set size from /proc.
func vmRSS(t testing.TB, pid string) uint64 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("VmRSS %q: %v", rest, err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no VmRSS in /proc/%s/status", pid)
	return 0
}

func mb(n uint64) string { return fmt.Sprintf("%.1f MiB", float64(n)/mib) }

// goroutineSlack is what the goroutine count may exceed its baseline by once every connection is closed and
// the goroutines have had all the time they need to exit. Nothing in a stateless call should outlive it; the
// slack covers a baseline taken while a goroutine was briefly absent, while a leak of one goroutine per call
// would show as 200.
const goroutineSlack = 3

// heapGrowthBound is how much the live heap may grow across a 200-call burst, measured after a first, identical
// burst and with the simulator's request log emptied. The first burst raises high-water marks that the runtime
// keeps on purpose: about 2,000 goroutines run at its peak and the runtime keeps their descriptors (about
// 1 MiB) for reuse, net/http keeps its grown dial queues. The second burst must reuse all of that; what may
// differ is noise of a few hundred KiB (timers, the test's own closed clients), while a per-call leak of
// 2.5 KiB (one retained request or response) would add 500 KiB. Checked in the soak run only.
const heapGrowthBound = 512 << 10

func TestLoadHTTPConcurrentCalls(t *testing.T) {
	p := startInProcess(t, pvesim.WithTaskDuration(10*time.Millisecond))
	mix := loadMix(t, p.sim)

	// The token is required: without it, 401 and no MCP at all.
	resp, err := (&http.Client{Transport: p.tr}).Post(p.url, "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no token: status %d, want 401", resp.StatusCode)
	}

	const nClients = 20
	type figures struct {
		took                  time.Duration
		requests              int
		goroutines, peak, end int
		heap, heapEnd, rssEnd uint64
	}
	var rounds [2]figures
	for round := range rounds {
		f := &rounds[round]
		p.quiesce()
		p.sim.ResetLog()
		f.goroutines = steadyGoroutines(100*time.Millisecond, 2*time.Second)
		f.heap = liveHeap()

		clients := p.clients(t, nClients)
		var peak atomic.Int64
		var errs []error
		f.took, errs = burst(burstCalls, func(i int) error {
			err := mix[i%len(mix)].call(t, clients[i%nClients])
			if n := int64(runtime.NumGoroutine()); n > peak.Load() {
				peak.Store(n) // a racy maximum, good enough for a figure in the log
			}
			return err
		})
		f.peak = int(peak.Load())
		reportErrors(t, fmt.Sprintf("burst %d", round+1), errs)
		f.requests = len(p.sim.Requests())
		if w := p.sim.Writes(); len(w) != 0 {
			t.Errorf("burst %d: %d writes reached the cluster, the first %s %s", round+1, len(w), w[0].Method, w[0].Path)
		}
		for _, c := range clients {
			c.Close()
		}
		p.quiesce()
		p.sim.ResetLog()
		// Deterministic: with every connection closed, a goroutine that is not leaked exits, however long the
		// machine takes to schedule it.
		ok := waitUntil(t, func() bool { return runtime.NumGoroutine() <= f.goroutines+goroutineSlack })
		f.end = runtime.NumGoroutine()
		if !ok {
			t.Errorf("burst %d: goroutines %d before, still %d after (slack %d):\n%s", round+1, f.goroutines, f.end, goroutineSlack, goroutineDump())
		}
		f.heapEnd = liveHeap()
		f.rssEnd = vmRSS(t, "self")
		t.Logf("burst %d: %d calls on %d clients in %v (%.0f calls/s), %d requests to the cluster, 0 writes; goroutines %d before, about %d at the peak, %d after; live heap %s before, %s after; RSS %s",
			round+1, burstCalls, nClients, f.took.Round(time.Millisecond), burstCalls/f.took.Seconds(), f.requests,
			f.goroutines, f.peak, f.end, mb(f.heap), mb(f.heapEnd), mb(f.rssEnd))
	}
	if second := rounds[1]; soaking() && second.heapEnd > second.heap+heapGrowthBound {
		t.Errorf("live heap grew from %s to %s across the second burst (bound +%s)", mb(second.heap), mb(second.heapEnd), mb(heapGrowthBound))
	}
}

// stdioRSSBound bounds the binary's resident memory right after a 200-call burst (checked in the soak run). Measured: about 15 MiB after
// initialize and 19-24 MiB after the burst (200 calls in flight each hold a request, a response of a few KiB and a
// goroutine). 64 MiB leaves room for another machine, Go version or allocator and still catches a server that
// buffers without limit or copies the cluster per call.
const stdioRSSBound = 64 * mib

// stdioRSSGrowth is how much a second, identical burst may add (measured: under 1 MiB): the heap and stacks the
// first burst grew are reused, so more than a few MiB means something of each call stays.
const stdioRSSGrowth = 8 * mib

func TestBurstStdio(t *testing.T) {
	sim := pvesim.Serve(pvesim.New(pvesim.Default(), pvesim.WithTaskDuration(10*time.Millisecond)))
	defer sim.Close()
	mix := loadMix(t, sim)
	env := simEnv(t, sim)
	var cmd *exec.Cmd
	stderr := &lockedBuffer{}
	c, err := client.NewStdioMCPClientWithOptions(binary, nil, nil,
		transport.WithCommandFunc(func(ctx context.Context, command string, _ []string, args []string) (*exec.Cmd, error) {
			cmd = exec.CommandContext(ctx, command, args...)
			cmd.Env = env
			return cmd, nil
		}),
		transport.WithCommandStderrWriter(stderr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	initialize(t, c)
	pid := strconv.Itoa(cmd.Process.Pid)
	rssStart := vmRSS(t, pid)

	var rss [2]uint64
	for round := range rss {
		took, errs := burst(burstCalls, func(i int) error { return mix[i%len(mix)].call(t, c) })
		reportErrors(t, fmt.Sprintf("burst %d", round+1), errs)
		rss[round] = vmRSS(t, pid)
		t.Logf("burst %d: %d calls on one stdio session in %v (%.0f calls/s), child RSS %s", round+1, burstCalls,
			took.Round(time.Millisecond), burstCalls/took.Seconds(), mb(rss[round]))
	}
	if w := sim.Writes(); len(w) != 0 {
		t.Errorf("%d writes reached the cluster, the first %s %s", len(w), w[0].Method, w[0].Path)
	}
	if soaking() && rss[0] > stdioRSSBound {
		t.Errorf("child RSS %s after a burst, bound %s", mb(rss[0]), mb(stdioRSSBound))
	}
	if soaking() && rss[1] > rss[0]+stdioRSSGrowth {
		t.Errorf("child RSS grew from %s to %s over a second burst (bound +%s)", mb(rss[0]), mb(rss[1]), mb(stdioRSSGrowth))
	}
	overflows := strings.Count(stderr.String(), "queue full")
	t.Logf("child RSS %s after initialize, %s and %s after the bursts; mcp-go's stdio queue overflowed %d times",
		mb(rssStart), mb(rss[0]), mb(rss[1]), overflows)
	// An overflowing queue is served synchronously by the reader: one slow write would then stall the session.
	if overflows > 0 {
		t.Errorf("mcp-go's stdio tool-call queue overflowed %d times in a burst of %d (serveStdio sizes it)", overflows, burstCalls)
	}
}

// soakWrites are the real writes of the soak, made one after another in this order, round and round: each
// leaves the guest as the one before found it.
var soakWrites = []struct {
	tool, want string
	vmid       int
}{
	{"proxmox_start_resource", "Done: start CT 204 «test-ct» on pve3", 204},
	{"proxmox_stop_resource", "Done: shutdown CT 204 «test-ct» on pve3", 204},
	{"proxmox_stop_resource", "Done: shutdown VM 105 «k3s-agent-1» on pve3", 105},
	{"proxmox_start_resource", "Done: start VM 105 «k3s-agent-1» on pve3", 105},
}

func soakDuration(t *testing.T) time.Duration {
	t.Helper()
	v := os.Getenv("PROXMOX_MCP_SOAK")
	if v == "" {
		return 3 * time.Second
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		t.Fatalf("PROXMOX_MCP_SOAK=%q: want a positive Go duration such as 2m", v)
	}
	return d
}

type soakSample struct {
	goroutines int
	heap       uint64
}

func TestSoakMixedCalls(t *testing.T) {
	d := soakDuration(t)
	// A short request log is full, so of constant size, within the first second; the task list proves the whole
	// run and the log its tail.
	p := startInProcess(t, pvesim.WithTaskDuration(10*time.Millisecond), pvesim.WithRequestLogLimit(500))
	mix := loadMix(t, p.sim)
	tasksBefore := len(p.sim.Tasks())
	const readers = 4
	clients := p.clients(t, readers+1)

	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var calls, writes atomic.Int64
	var errMu sync.Mutex
	var errs []error
	fail := func(err error) {
		errMu.Lock()
		defer errMu.Unlock()
		errs = append(errs, err)
	}
	// The sampler counts what lives between calls, not what a call in flight holds for a moment: the readers
	// hold pause shared for each call and the writer holds writing, and the sampler takes writing first (the
	// writer's call waits for a task, and the readers go on meanwhile), then pause.
	var pause sync.RWMutex
	var writing sync.Mutex
	var wg sync.WaitGroup
	for r := range readers {
		wg.Go(func() {
			for k := r; ctx.Err() == nil; k += readers {
				pause.RLock()
				err := mix[k%len(mix)].call(t, clients[r])
				pause.RUnlock()
				calls.Add(1)
				if err != nil {
					fail(err)
				}
			}
		})
	}
	wg.Go(func() {
		for k := 0; ctx.Err() == nil; k++ {
			w := soakWrites[k%len(soakWrites)]
			lc := loadCall{fmt.Sprintf("%s %d", w.tool, w.vmid), w.tool, map[string]any{"vmid": w.vmid, "confirm": true}, textPrefix(w.want)}
			writing.Lock()
			err := lc.call(t, clients[readers])
			writing.Unlock()
			calls.Add(1)
			writes.Add(1)
			if err != nil {
				fail(err)
				return // the plan relies on each write having worked
			}
		}
	})

	// Sample once a second (more often when the soak is short, so that a trend has points): goroutines, and the
	// live heap, which is HeapAlloc right after a collection; HeapAlloc between collections swings with GOGC.
	// Each sample first closes the idle keep-alive connections (the MCP clients' and the Proxmox client's), as
	// the burst test does: they are bounded caches that also expire on their own after 90s idle, which in a
	// long soak would show as a step down that hides or fakes a trend. The calls open them again at once.
	interval := max(min(time.Second, d/12), 10*time.Millisecond)
	var samples []soakSample
	start := time.Now()
	tick := time.NewTicker(interval)
	for sampling := true; sampling; {
		select {
		case <-ctx.Done():
			sampling = false
		case <-tick.C:
			writing.Lock()
			pause.Lock()
			p.quiesce()
			n := steadyGoroutines(50*time.Millisecond, time.Second)
			runtime.GC()
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			// Once the soak is over the callers stop; a sample counted after that would miss them.
			over := ctx.Err() != nil
			pause.Unlock()
			writing.Unlock()
			if !over {
				samples = append(samples, soakSample{n, m.HeapAlloc})
			}
		}
	}
	tick.Stop()
	wg.Wait()
	elapsed := time.Since(start)
	for i, err := range errs {
		if i == 5 {
			t.Errorf("and %d more failures", len(errs)-i)
			break
		}
		t.Error(err)
	}

	// Every write that reached the cluster is one of the writer's: one task each, for the soak's guests only.
	var ours []pvesim.TaskState
	for _, tk := range p.sim.Tasks()[tasksBefore:] {
		if tk.User == pvesim.DefaultTokenID {
			ours = append(ours, tk)
		}
	}
	if int64(len(ours)) != writes.Load() {
		t.Errorf("%d tasks started by the server, %d confirmed writes made", len(ours), writes.Load())
	}
	for _, tk := range ours {
		if tk.ID != "204" && tk.ID != "105" {
			t.Errorf("task %s for guest %s: not one of the soak's writes", tk.UPID, tk.ID)
		}
	}
	for _, r := range p.sim.Writes() {
		if !strings.HasPrefix(r.Path, "/nodes/pve3/lxc/204/status/") && !strings.HasPrefix(r.Path, "/nodes/pve3/qemu/105/status/") {
			t.Errorf("a write the writer did not make reached the cluster: %s %s", r.Method, r.Path)
		}
	}

	n := calls.Load()
	if !soaking() {
		// How many samples fit in a few seconds, and how they spread, depends on the machine: the trends are
		// judged in the soak run, over minutes.
		t.Logf("soak %v: %d calls (%d confirmed writes) in %v; %d samples, goroutines %s; trends are checked with PROXMOX_MCP_SOAK set",
			d, n, writes.Load(), elapsed.Round(time.Millisecond), len(samples), runLengths(samples))
		return
	}
	// Warm-up: the first quarter of the samples (at least one), while connections open and the request log fills.
	warm := max(1, len(samples)/4)
	if len(samples)-warm < 3 {
		t.Fatalf("%d samples in %v: too few to judge", len(samples), d)
	}
	steady := samples[warm:]
	gmin, gmax := steady[0].goroutines, steady[0].goroutines
	for _, s := range steady {
		gmin, gmax = min(gmin, s.goroutines), max(gmax, s.goroutines)
	}
	// Sampled between calls with no connection open, the count is the test's own goroutines and the servers'
	// listeners, the same every time; the spread allows for a goroutine of a just closed connection that has not
	// yet been scheduled to exit. A leak of one goroutine per call would add thousands a second.
	const goroutineSpread = 2
	if gmax-gmin > goroutineSpread {
		t.Errorf("goroutines ranged from %d to %d after warm-up (allowed spread %d)", gmin, gmax, goroutineSpread)
	}
	third := len(steady) / 3
	avg := func(s []soakSample) uint64 {
		var sum uint64
		for _, x := range s {
			sum += x.heap
		}
		return sum / uint64(len(s))
	}
	first, last := avg(steady[:third]), avg(steady[len(steady)-third:])
	// The simulator keeps every task a write starts (measured: about 650 bytes with its log lines), so the
	// allowance is 2 KiB for each write of the run on top of 1 MiB of noise (measured: 0.1 MiB). A leak of 100
	// bytes a call exceeds it in the two minutes CI runs (some 140,000 calls lie between the thirds); the 3s
	// default catches a leak of 1 KiB a call.
	allowed := uint64(mib) + uint64(writes.Load())*2048
	if last > first+allowed {
		t.Errorf("live heap trends up: %s in the first third, %s in the last (allowed +%s)", mb(first), mb(last), mb(allowed))
	}
	t.Logf("goroutines per sample: %s", runLengths(samples))
	t.Logf("soak %v: %d calls (%d confirmed writes) in %v, %.0f calls/s; %d samples, goroutines %d..%d after warm-up; live heap %s first third, %s last third (first sample %s, last %s); RSS %s",
		d, n, writes.Load(), elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(), len(samples), gmin, gmax,
		mb(first), mb(last), mb(samples[0].heap), mb(samples[len(samples)-1].heap), mb(vmRSS(t, "self")))
}

// runLengths writes the goroutine counts of the samples compactly: 42x30 45 42x12.
func runLengths(samples []soakSample) string {
	var b strings.Builder
	for i := 0; i < len(samples); {
		j := i
		for j < len(samples) && samples[j].goroutines == samples[i].goroutines {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(samples[i].goroutines))
		if j-i > 1 {
			fmt.Fprintf(&b, "x%d", j-i)
		}
		i = j
	}
	return b.String()
}

// BenchmarkBurstHTTP measures bursts of 200 mixed calls on 20 streamable HTTP clients against the server in this
// process: calls a second, and what the live heap and the goroutine count keep across the bursts.
func BenchmarkBurstHTTP(b *testing.B) {
	p := startInProcess(b, pvesim.WithTaskDuration(10*time.Millisecond))
	mix := loadMix(b, p.sim)
	clients := p.clients(b, 20)
	fire := func() {
		p.sim.ResetLog()
		_, errs := burst(burstCalls, func(i int) error { return mix[i%len(mix)].call(b, clients[i%len(clients)]) })
		reportErrors(b, "burst", errs)
	}
	fire() // the first burst grows what the runtime and net/http keep for reuse
	p.quiesce()
	goroutines, heap := steadyGoroutines(100*time.Millisecond, 2*time.Second), liveHeap()
	bursts := 0
	b.ResetTimer()
	for b.Loop() {
		fire()
		bursts++
	}
	b.StopTimer()
	p.quiesce()
	heapEnd := liveHeap()
	b.ReportMetric(float64(bursts*burstCalls)/b.Elapsed().Seconds(), "calls/s")
	b.ReportMetric((float64(heapEnd)-float64(heap))/float64(bursts), "heap-B/burst")
	b.ReportMetric(float64(steadyGoroutines(100*time.Millisecond, 2*time.Second)-goroutines), "goroutines-kept")
}

// BenchmarkBurstStdio measures bursts of 200 mixed calls on one stdio session of the built binary: calls a
// second, and the child's resident memory after the bursts.
func BenchmarkBurstStdio(b *testing.B) {
	sim := pvesim.Serve(pvesim.New(pvesim.Default(), pvesim.WithTaskDuration(10*time.Millisecond)))
	b.Cleanup(sim.Close)
	mix := loadMix(b, sim)
	var cmd *exec.Cmd
	c, err := client.NewStdioMCPClientWithOptions(binary, nil, nil,
		transport.WithCommandFunc(func(ctx context.Context, command string, _ []string, args []string) (*exec.Cmd, error) {
			cmd = exec.CommandContext(ctx, command, args...)
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "PROXMOX_URL=" + sim.URL, "PROXMOX_TOKEN_ID=" + pvesim.DefaultTokenID,
				"PROXMOX_TOKEN_SECRET=" + pvesim.DefaultTokenSecret, "PROXMOX_TLS_FINGERPRINT=" + sim.Fingerprint, "PROXMOX_WAIT_SECONDS=10"}
			return cmd, nil
		}))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	initialize(b, c)
	pid := strconv.Itoa(cmd.Process.Pid)
	rssStart := vmRSS(b, pid)
	bursts := 0
	b.ResetTimer()
	for b.Loop() {
		_, errs := burst(burstCalls, func(i int) error { return mix[i%len(mix)].call(b, c) })
		reportErrors(b, "burst", errs)
		bursts++
	}
	b.StopTimer()
	b.ReportMetric(float64(bursts*burstCalls)/b.Elapsed().Seconds(), "calls/s")
	b.ReportMetric(float64(rssStart)/mib, "RSS-MiB-start")
	b.ReportMetric(float64(vmRSS(b, pid))/mib, "RSS-MiB-after")
}
