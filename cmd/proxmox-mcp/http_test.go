package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/rs/zerolog"

	"github.com/proxmox-mcp/proxmox-mcp/redact"
)

// serveLoopback serves newHTTPHandler(srv, p) on a real listener at 127.0.0.1, as serveHTTP does: requests then
// carry the connection's local address, which httptest.NewRequest does not, and mcp-go's checks look at it.
func serveLoopback(t *testing.T, srv *server.MCPServer, p httpPolicy) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.listen = ln.Addr().String()
	hs := newHTTPServer(newHTTPHandler(srv, p), p)
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })
	return "http://" + p.listen
}

const testInit = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`

type httpAnswer struct {
	Status int
	Says   bool // the body holds the expected text
}

func TestHTTPHandlerChecks(t *testing.T) {
	srv := server.NewMCPServer("t", "1", server.WithToolCapabilities(false))
	const token = "0123456789abcdef0123456789abcdef"
	base := serveLoopback(t, srv, httpPolicy{token: token, allowedHosts: []string{"mcp.example.com", "pve-mcp.lan"}, allowedOrigins: []string{"https://app.example.com"}})
	auth := map[string]string{"Authorization": "Bearer " + token}
	with := func(k, v string) map[string]string {
		return map[string]string{"Authorization": "Bearer " + token, k: v}
	}
	tests := []struct {
		name    string
		path    string
		host    string
		headers map[string]string
		body    string
		status  int
		want    string
	}{
		{"health needs nothing", "/healthz", "anything.example", nil, "", 200, "ok"},
		{"no token", "/mcp", "localhost:8080", nil, testInit, 401, "unauthorized"},
		{"wrong token", "/mcp", "localhost:8080", map[string]string{"Authorization": "Bearer " + strings.Repeat("x", 32)}, testInit, 401, ""},
		{"wrong scheme", "/mcp", "localhost:8080", map[string]string{"Authorization": "Basic " + token}, testInit, 401, ""},
		{"right token", "/mcp", "localhost:8080", auth, testInit, 200, `"protocolVersion"`},
		{"lower-case bearer", "/mcp", "127.0.0.1:8080", map[string]string{"Authorization": "bearer " + token}, testInit, 200, ""},
		{"ipv6 loopback host", "/mcp", "[::1]:8080", auth, testInit, 200, ""},
		// A loopback connection with a foreign Host is what DNS rebinding looks like: our check refuses it.
		{"rebinding host", "/mcp", "evil.example:8080", auth, testInit, 403, "Host not allowed"},
		{"rebinding host without a port", "/mcp", "evil.example", auth, testInit, 403, "Host not allowed"},
		// The reverse-proxy set-up: a proxy on this machine forwards the name clients use, over loopback.
		{"allowed host over loopback", "/mcp", "pve-mcp.lan", auth, testInit, 200, `"protocolVersion"`},
		{"allowed host with a port", "/mcp", "pve-mcp.lan:18089", auth, testInit, 200, `"protocolVersion"`},
		{"allowed host, other case", "/mcp", "MCP.example.com", auth, testInit, 200, ""},
		{"allowed name as a suffix is not allowed", "/mcp", "evil-pve-mcp.lan", auth, testInit, 403, "Host not allowed"},
		{"foreign origin", "/mcp", "localhost:8080", with("Origin", "https://evil.example"), testInit, 403, "Origin not allowed"},
		{"allowed origin", "/mcp", "localhost:8080", with("Origin", "https://app.example.com"), testInit, 200, ""},
		{"loopback origin", "/mcp", "localhost:8080", with("Origin", "http://localhost:3000"), testInit, 200, ""},
		{"huge body", "/mcp", "localhost:8080", auth, `{"x":"` + strings.Repeat("a", 2<<20) + `"}`, 413, "larger than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method := "GET"
			if tc.body != "" {
				method = "POST"
			}
			req, err := http.NewRequest(method, base+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Host = tc.host
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if d := cmp.Diff(httpAnswer{tc.status, true}, httpAnswer{res.StatusCode, strings.Contains(string(body), tc.want)}); d != "" {
				t.Errorf("answer (-want +got):\n%s\nbody: %.300s", d, body)
			}
			if tc.status == 401 && res.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
}

// rpcError is the error member of a JSON-RPC response.
type rpcError struct {
	ID    any `json:"id"`
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// batchMessage is what a JSON-RPC batch is told, on every transport.
const batchMessage = "JSON-RPC batches are not supported"

func TestHTTPBatchIsRefusedTruthfully(t *testing.T) {
	srv := server.NewMCPServer("t", "1", server.WithToolCapabilities(false))
	base := serveLoopback(t, srv, httpPolicy{})
	type answer struct {
		Status   int
		Code     int
		Says     bool
		Answered bool // a request after it is answered normally
	}
	tests := []struct {
		name, body string
		want       answer
	}{
		{"batch", `[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"ping"}]`, answer{400, -32600, true, true}},
		{"batch after whitespace", " \r\n\t[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]", answer{400, -32600, true, true}},
		{"empty batch", `[]`, answer{400, -32600, true, true}},
		{"not JSON at all", `[{"jsonrpc":`, answer{400, -32700, false, true}},
	}
	post := func(body string) (*http.Response, []byte) {
		req, _ := http.NewRequest("POST", base+"/mcp", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return res, b
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, body := post(tc.body)
			var e rpcError
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatalf("not a JSON-RPC answer: %v: %s", err, body)
			}
			next, _ := post(`{"jsonrpc":"2.0","id":7,"method":"ping"}`)
			got := answer{res.StatusCode, e.Error.Code, strings.Contains(e.Error.Message, batchMessage), next.StatusCode == 200}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got):\n%s\nbody: %s", d, body)
			}
		})
	}
}

func TestHTTPExposure(t *testing.T) {
	tests := []struct {
		addr, token string
		ok          bool
	}{
		{"127.0.0.1:8080", "", true},
		{"[::1]:8080", "", true},
		{"localhost:8080", "", true},
		{"0.0.0.0:8080", "", false},
		{":8080", "", false},
		{"192.168.1.10:8080", "", false},
		{"0.0.0.0:8080", "0123456789abcdef0123456789abcdef", true},
		{"0.0.0.0:8080", "short", false},
		{"nonsense", "", false},
	}
	for _, tc := range tests {
		err := checkHTTPExposure(&settings{http: tc.addr, httpToken: tc.token})
		if (err == nil) != tc.ok {
			t.Errorf("%s token=%q: error %v, want ok=%v", tc.addr, tc.token, err, tc.ok)
		}
	}
}

func TestHTTPGetIsNotAStream(t *testing.T) {
	srv := server.NewMCPServer("t", "1", server.WithToolCapabilities(false))
	const token = "0123456789abcdef0123456789abcdef"
	base := serveLoopback(t, srv, httpPolicy{token: token})
	type answer struct {
		Status int
		Allow  string
	}
	for _, tc := range []struct {
		name, auth string
		want       answer
	}{
		{"with the token", "Bearer " + token, answer{405, "POST, DELETE"}},
		{"without", "", answer{401, ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", base+"/mcp", nil)
			req.Header.Set("Accept", "text/event-stream")
			req.Header.Set("Authorization", tc.auth)
			// A stream would stay open: far beyond what an answer takes, give up on it.
			res, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_, err = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if err != nil {
				t.Fatalf("the answer did not end: %v", err)
			}
			if d := cmp.Diff(tc.want, answer{res.StatusCode, res.Header.Get("Allow")}); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

// trickle opens a connection, sends head, then one byte of filler every 10ms until the server closes the
// connection. It returns the status line the server sent, if any, and whether it closed the connection
// while the client was still sending (false: it was still open after a generous guard).
func trickle(t *testing.T, base, head string) (status string, closed bool) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			if _, err := conn.Write([]byte("a")); err != nil {
				return
			}
		}
	}()
	// Far beyond the read timeout under test: a server that lets the client trickle keeps it open.
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	got, err := io.ReadAll(conn)
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return "", false
	}
	status, _, _ = strings.Cut(string(got), "\r\n")
	return status, true
}

func TestHTTPSlowClientsAreCut(t *testing.T) {
	srv := server.NewMCPServer("t", "1", server.WithToolCapabilities(false))
	const token = "0123456789abcdef0123456789abcdef"
	base := serveLoopback(t, srv, httpPolicy{token: token, readTimeout: 100 * time.Millisecond})
	post := func(auth string) string {
		return "POST /mcp HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n" +
			auth + "Content-Length: 100000\r\n\r\n{\"x\":\""
	}
	tests := []struct {
		name, head string
		status     string // what the server answered, when the answer got through before the connection closed
	}{
		{"headers that never end", "POST /mcp HTTP/1.1\r\nHost: localhost\r\nX-Filler: ", ""},
		{"unauthenticated body", post(""), "HTTP/1.1 401 Unauthorized"},
		{"authenticated body", post("Authorization: Bearer " + token + "\r\n"), "HTTP/1.1 408 Request Timeout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, closed := trickle(t, base, tc.head)
			if !closed {
				t.Fatal("the connection was still open while the client trickled")
			}
			if status != "" && tc.status != "" && status != tc.status {
				t.Errorf("answered %q, want %q", status, tc.status)
			}
		})
	}
}

// TestHTTPLongCallOutlivesReadTimeout: the read timeout bounds the request, not the call, which streams for
// as long as it runs (a timeout on the whole request, as http.TimeoutHandler sets, would cut it).
func TestHTTPLongCallOutlivesReadTimeout(t *testing.T) {
	const readTimeout = 100 * time.Millisecond
	srv := server.NewMCPServer("t", "1", server.WithToolCapabilities(false))
	srv.AddTool(mcp.NewTool("slow"), func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		select {
		case <-time.After(5 * readTimeout):
			return mcp.NewToolResultText("finished"), nil
		case <-ctx.Done():
			return mcp.NewToolResultError("cancelled: " + context.Cause(ctx).Error()), nil
		}
	})
	base := serveLoopback(t, srv, httpPolicy{readTimeout: readTimeout})
	res, body := postJSON(t, base, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow"}}`, nil)
	if res.StatusCode != 200 || !strings.Contains(string(body), "finished") {
		t.Errorf("status %d: %s", res.StatusCode, body)
	}
}

// postJSON posts one JSON-RPC message to base/mcp and returns the answer.
func postJSON(t *testing.T, base, msg string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/mcp", strings.NewReader(msg))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

// TestHTTPStalledReaderIsCut: a client that asks for a large answer and never reads it does not hold the
// call (and a shutdown) for ever.
func TestHTTPStalledReaderIsCut(t *testing.T) {
	srv := server.NewMCPServer("t", "1", server.WithToolCapabilities(false))
	srv.AddTool(mcp.NewTool("big"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText(strings.Repeat("x", 16<<20)), nil // more than loopback buffers hold
	})
	d := newDrain()
	base := serveLoopback(t, srv, httpPolicy{writeTimeout: 100 * time.Millisecond, calls: d})
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	msg := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"big"}}`
	if _, err := fmt.Fprintf(conn, "POST /mcp HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: %d\r\n\r\n%s", len(msg), msg); err != nil {
		t.Fatal(err)
	}
	for d.inFlight() == 0 { // the call has reached mcp-go
		time.Sleep(5 * time.Millisecond)
	}
	if !d.wait(20 * time.Second) { // far beyond the write timeout under test
		t.Fatal("the call was still writing to a client that reads nothing")
	}
}

// leakyServer has a tool that reports secret in a progress notification and then, once release is closed, in
// its result, as a tool that forgot to scrub would; the transports must scrub both. Waiting for release lets
// a test see the notification before the result: mcp-go drops one that loses the race with the answer.
func leakyServer(secret string, release <-chan struct{}) *server.MCPServer {
	srv := server.NewMCPServer("t", "1", server.WithToolCapabilities(false))
	srv.AddTool(mcp.NewTool("leaky"), func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		if req.Params.Meta != nil && req.Params.Meta.ProgressToken != nil {
			_ = server.ServerFromContext(ctx).SendNotificationToClient(ctx, "notifications/progress", map[string]any{
				"progressToken": req.Params.Meta.ProgressToken, "progress": 1, "message": "task says " + secret,
			})
		}
		select {
		case <-release:
		case <-ctx.Done():
		}
		return mcp.NewToolResultText("the secret is " + secret), nil
	})
	return srv
}

// releaseWithin closes release when seen reports the notification, or after a long guard (the test then
// fails for the notification it did not get).
func releaseWithin(release chan struct{}, seen <-chan struct{}) {
	go func() {
		select {
		case <-seen:
		case <-time.After(20 * time.Second):
		}
		close(release)
	}()
}

const (
	leakedSecret = "0f6e8a4c-2b1d-4e3f-9a7b-5c8d6e4f2a1b"
	leakyCall    = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"leaky","_meta":{"progressToken":"p1"}}}`
)

func TestHTTPAnswersAreScrubbed(t *testing.T) {
	release, seen := make(chan struct{}), make(chan struct{})
	releaseWithin(release, seen)
	base := serveLoopback(t, leakyServer(leakedSecret, release), httpPolicy{redactor: redact.New(leakedSecret)})
	req, _ := http.NewRequest("POST", base+"/mcp", strings.NewReader(leakyCall))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body strings.Builder
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		body.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "notifications/progress") {
			close(seen)
		}
	}
	type answer struct {
		Stream, Progress, Result, Secret bool
	}
	got := answer{strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream"),
		strings.Contains(body.String(), "task says "+redact.Mask), strings.Contains(body.String(), "the secret is "+redact.Mask),
		strings.Contains(body.String(), leakedSecret)}
	if d := cmp.Diff(answer{true, true, true, false}, got); d != "" {
		t.Errorf("(-want +got):\n%s\n%s", d, body.String())
	}
}

// TestHTTPMCPGoLogIsScrubbed: mcp-go logs client-supplied values (here a session id on a response it cannot
// place); they reach the server's log, scrubbed, as JSON lines.
func TestHTTPMCPGoLogIsScrubbed(t *testing.T) {
	var logs lockedBuffer
	l := zerolog.New(&logs)
	srv := server.NewMCPServer("t", "1", server.WithToolCapabilities(false))
	base := serveLoopback(t, srv, httpPolicy{redactor: redact.New(leakedSecret), log: l})
	postJSON(t, base, `{"jsonrpc":"2.0","id":5,"result":{"content":[]}}`, map[string]string{"Mcp-Session-Id": leakedSecret})
	var line struct {
		Level     string `json:"level"`
		Component string `json:"component"`
	}
	out := logs.String()
	if err := json.Unmarshal([]byte(strings.SplitN(out, "\n", 2)[0]), &line); err != nil {
		t.Fatalf("log is not JSON lines: %v: %q", err, out)
	}
	type logged struct {
		Level, Component string
		Masked, Secret   bool
	}
	got := logged{line.Level, line.Component, strings.Contains(out, redact.Mask), strings.Contains(out, leakedSecret)}
	if d := cmp.Diff(logged{"error", "mcp-go", true, false}, got); d != "" {
		t.Errorf("(-want +got):\n%s\n%s", d, out)
	}
}
