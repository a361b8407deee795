package main

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/proxmox-mcp/proxmox-mcp/pve/pvesim"
)

// startBinary launches the built binary with --http on a free loopback port and waits until it listens. The
// caller stops it; cleanup kills it if it is still running.
func startBinary(t *testing.T, env []string, args ...string) (cmd *exec.Cmd, addr string, stderr *lockedBuffer) {
	t.Helper()
	addr = freeAddr(t)
	stderr = &lockedBuffer{}
	cmd = exec.Command(binary, append([]string{"--http", addr}, args...)...)
	cmd.Env = env
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return cmd, addr, stderr
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("server did not listen on %s: %s", addr, stderr.String())
	return nil, "", nil
}

// openEventStream does what the TypeScript SDK client does after initialize: GET /mcp asking for an event
// stream, held open until the server answers or ends it. It returns the status once the response has ended.
func openEventStream(addr, token string) <-chan int {
	done := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("GET", "http://"+addr+"/mcp", nil)
		req.Header.Set("Accept", "text/event-stream")
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- 0
			return
		}
		buf := make([]byte, 512)
		for {
			if _, err := res.Body.Read(buf); err != nil {
				break
			}
		}
		res.Body.Close()
		done <- res.StatusCode
	}()
	return done
}

// waitExit waits for cmd to end; a server that is still running after d has not stopped on its own.
func waitExit(t *testing.T, cmd *exec.Cmd, d time.Duration) error {
	t.Helper()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		return err
	case <-time.After(d):
		_ = cmd.Process.Kill()
		<-exited
		t.Fatalf("the server did not exit within %s of SIGTERM", d)
		return nil
	}
}

// TestHTTPStopsCleanlyWithClientsConnected sends SIGTERM to a server with ten connected clients, each holding
// the event stream the TypeScript SDK opens, one write waiting for a task that will not end for an hour and
// one slow read. The server must exit 0 after answering both calls truthfully.
func TestHTTPStopsCleanlyWithClientsConnected(t *testing.T) {
	sim := pvesim.Serve(pvesim.New(pvesim.Default(), pvesim.WithTaskDuration(time.Hour)))
	defer sim.Close()
	const token = "stop-token-0123456789abcdef0123456789"
	cmd, addr, stderr := startBinary(t, simEnv(t, sim, envHTTPToken+"="+token, envWait+"=600"))

	var streams []<-chan int
	c0, err := httpSession(t, addr, token)
	if err != nil {
		t.Fatal(err)
	}
	for range 9 {
		if _, err := httpSession(t, addr, token); err != nil {
			t.Fatal(err)
		}
	}
	for range 10 {
		streams = append(streams, openEventStream(addr, token))
	}

	type answer struct {
		res *mcp.CallToolResult
		err error
	}
	call := func(name string, args map[string]any) <-chan answer {
		out := make(chan answer, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			req := mcp.CallToolRequest{}
			req.Params.Name = name
			req.Params.Arguments = args
			res, err := c0.CallTool(ctx, req)
			out <- answer{res, err}
		}()
		return out
	}
	write := call("proxmox_start_resource", map[string]any{"vmid": 103, "confirm": true})
	eventually(t, "the start waits for its task", func() bool { return waitingForTask(sim) }) // which runs for an hour
	remove := sim.Inject(pvesim.Fault{Path: "/cluster/resources", Kind: pvesim.FaultLatency, Latency: 300 * time.Millisecond})
	defer remove()
	read := call("proxmox_list_vms", map[string]any{})
	time.Sleep(50 * time.Millisecond) // let the read reach the simulator (if it has not, it is simply answered)

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := waitExit(t, cmd, time.Minute); err != nil {
		t.Errorf("exit: %v\n%s", err, stderr.String())
	}

	w := <-write
	if w.err != nil {
		t.Fatalf("the waiting write got no answer: %v", w.err)
	}
	var out struct {
		UPID   string `json:"upid"`
		Status string `json:"status"`
	}
	if err := structured(w.res, &out); err != nil {
		t.Fatalf("write result: %v: %s", err, resultText(w.res))
	}
	text := resultText(w.res)
	type writeAnswer struct {
		Status      string
		HasUPID     bool
		SaysNotSent bool
		SaysStopped bool
		Writes      int
	}
	want := writeAnswer{Status: "running", HasUPID: true, SaysStopped: true, Writes: 1}
	got := writeAnswer{out.Status, strings.HasPrefix(out.UPID, "UPID:") && strings.Contains(text, out.UPID),
		strings.Contains(text, "nothing was sent") || strings.Contains(text, "Refused"), strings.Contains(text, stoppedNote),
		len(sim.Writes())}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("the write sent before SIGTERM (-want +got):\n%s\n%s", d, text)
	}
	if r := <-read; r.err != nil {
		t.Errorf("the read in flight got no answer: %v", r.err)
	}
	for i, s := range streams {
		select {
		case <-s:
		case <-time.After(10 * time.Second):
			t.Errorf("event stream %d still open after the server exited", i)
		}
	}
	for _, l := range strings.Split(stderr.String(), "\n") {
		if strings.HasPrefix(l, "proxmox-mcp: ") {
			t.Errorf("the server reported an error: %s", l)
		}
	}
}

// waitingForTask reports whether the server has polled a task's status: a write has been sent, answered
// with its task id, and is waiting for the task.
func waitingForTask(sim *pvesim.Server) bool {
	for _, r := range sim.Requests() {
		if r.Method == "GET" && strings.Contains(r.Path, "/tasks/") && strings.HasSuffix(r.Path, "/status") {
			return true
		}
	}
	return false
}

// eventually waits for cond, which the test's own actions make true; it fails the test if cond stays false
// far longer than those take.
func eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			tb.Fatalf("%s: not after 30 s", what)
		}
	}
}

// TestHTTPStopsCleanlyWhenIdle: ten idle sessions, with the event streams they ask for, do not hold the
// server up nor make it fail.
func TestHTTPStopsCleanlyWhenIdle(t *testing.T) {
	const token = "stop-token-0123456789abcdef0123456789"
	cmd, addr, stderr := startBinary(t, []string{"PATH=" + os.Getenv("PATH"), envHTTPToken + "=" + token}, "--demo")
	var streams []<-chan int
	for range 10 {
		if _, err := httpSession(t, addr, token); err != nil {
			t.Fatal(err)
		}
		streams = append(streams, openEventStream(addr, token))
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := waitExit(t, cmd, time.Minute); err != nil {
		t.Errorf("exit: %v\n%s", err, stderr.String())
	}
	for i, s := range streams {
		select {
		case <-s:
		case <-time.After(10 * time.Second):
			t.Errorf("event stream %d still open after the server exited", i)
		}
	}
}

// BenchmarkStopWith10Clients measures SIGTERM to exit of the built binary with ten connected clients, each
// holding the event stream the TypeScript SDK opens: idle, and with one of them waiting for a write's task
// that runs for an hour. Only the stop is timed; ms/stop is the figure.
func BenchmarkStopWith10Clients(b *testing.B) {
	for _, busy := range []bool{false, true} {
		name := "idle"
		if busy {
			name = "write-waiting"
		}
		b.Run(name, func(b *testing.B) {
			const token = "stop-token-0123456789abcdef0123456789"
			var total time.Duration
			for range b.N {
				b.StopTimer()
				total += stopOnce(b, token, busy)
			}
			b.ReportMetric(float64(total)/float64(time.Millisecond)/float64(b.N), "ms/stop")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// stopOnce starts the binary, connects ten clients, and returns how long it took to exit after SIGTERM.
func stopOnce(b *testing.B, token string, busy bool) time.Duration {
	sim := pvesim.Serve(pvesim.New(pvesim.Default(), pvesim.WithTaskDuration(time.Hour)))
	defer sim.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(binary, "--http", addr)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + b.TempDir(), "PROXMOX_URL=" + sim.URL,
		"PROXMOX_TOKEN_ID=" + pvesim.DefaultTokenID, "PROXMOX_TOKEN_SECRET=" + pvesim.DefaultTokenSecret,
		"PROXMOX_TLS_FINGERPRINT=" + sim.Fingerprint, envHTTPToken + "=" + token, envWait + "=600"}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	eventually(b, "the server listens", func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	var clients []*client.Client
	for range 10 {
		c, err := client.NewStreamableHttpClient("http://"+addr+"/mcp",
			transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + token}))
		if err != nil {
			b.Fatal(err)
		}
		req := mcp.InitializeRequest{}
		req.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
		req.Params.ClientInfo = mcp.Implementation{Name: "bench", Version: "1"}
		if _, err := c.Initialize(context.Background(), req); err != nil {
			b.Fatal(err)
		}
		clients = append(clients, c)
		openEventStream(addr, token)
	}
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	answered := make(chan string, 1)
	if busy {
		go func() {
			req := mcp.CallToolRequest{}
			req.Params.Name = "proxmox_start_resource"
			req.Params.Arguments = map[string]any{"vmid": 103, "confirm": true}
			res, err := clients[0].CallTool(context.Background(), req)
			if err != nil {
				answered <- err.Error()
				return
			}
			answered <- resultText(res)
		}()
		eventually(b, "the start waits for its task", func() bool { return waitingForTask(sim) })
	}
	time.Sleep(100 * time.Millisecond) // the event streams are open (or refused)
	b.StartTimer()
	start := time.Now()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
	took := time.Since(start)
	b.StopTimer()
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		b.Logf("exit status %d", code)
	}
	if busy {
		if a := <-answered; !strings.Contains(a, "started, but its outcome is unknown") {
			b.Logf("the waiting write was answered: %.300s", a)
		}
	}
	return took
}
