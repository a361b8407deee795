package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mark3labs/mcp-go/server"
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
	hs := newHTTPServer(newHTTPHandler(srv, p))
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
		{"huge body", "/mcp", "localhost:8080", auth, `{"x":"` + strings.Repeat("a", 2<<20) + `"}`, 400, "could not be read"},
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
