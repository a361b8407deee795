package pvesim

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestErrorAnswers checks status, reason phrase and exact body of every error class a request can meet before
// or instead of its handler.
func TestErrorAnswers(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		path       string // below /api2/json, sent as is (escapes included)
		auth       string
		body       string
		setup      func(s *Sim)
		wantStatus int
		wantReason string
		wantBody   string
	}{
		{name: "no credentials", method: "GET", path: "/version",
			wantStatus: 401, wantReason: "No ticket"},
		{name: "not a token header", method: "GET", path: "/version", auth: "Bearer abc",
			wantStatus: 401, wantReason: "No ticket"},
		{name: "wrong secret", method: "GET", path: "/version", auth: "PVEAPIToken=" + DefaultTokenID + "=nope",
			wantStatus: 401, wantReason: "Authentication failed!"},
		{name: "unknown token", method: "GET", path: "/version", auth: "PVEAPIToken=eve@pve!x=" + DefaultTokenSecret,
			wantStatus: 401, wantReason: "Authentication failed!"},
		{name: "token without secret", method: "GET", path: "/version", auth: "PVEAPIToken=" + DefaultTokenID,
			wantStatus: 401, wantReason: "Authentication failed!"},
		{name: "HEAD is no API method", method: "HEAD", path: "/version", auth: adminAuth,
			wantStatus: 501, wantReason: "method 'HEAD' not available"},
		{name: "body on GET", method: "GET", path: "/version", auth: adminAuth, body: "a=1",
			wantStatus: 501, wantReason: "Unexpected content for method 'GET'"},
		{name: "body on DELETE", method: "DELETE", path: "/nodes/pve1/qemu/100", auth: adminAuth, body: "purge=1",
			wantStatus: 501, wantReason: "Unexpected content for method 'DELETE'"},
		{name: "unknown path", method: "GET", path: "/nodes/pve1/foo", auth: adminAuth,
			wantStatus: 501, wantReason: "Method 'GET /nodes/pve1/foo' not implemented",
			wantBody: `{"data":null,"message":"Method 'GET /nodes/pve1/foo' not implemented"}`},
		{name: "unknown method on a known path", method: "PUT", path: "/version", auth: adminAuth,
			wantStatus: 501, wantReason: "Method 'PUT /version' not implemented",
			wantBody: `{"data":null,"message":"Method 'PUT /version' not implemented"}`},
		{name: "empty segment", method: "GET", path: "/nodes/pve1//2/config", auth: adminAuth,
			wantStatus: 501, wantReason: "Method 'GET /nodes/pve1//2/config' not implemented",
			wantBody: `{"data":null,"message":"Method 'GET /nodes/pve1//2/config' not implemented"}`},
		{name: "escaped slash stays in its segment", method: "GET", path: "/nodes/pve1%2Fqemu/status", auth: adminAuth,
			wantStatus: 501, wantReason: "Method 'GET /nodes/pve1/qemu/status' not implemented",
			wantBody: `{"data":null,"message":"Method 'GET /nodes/pve1/qemu/status' not implemented"}`},
		{name: "dot-dot segment", method: "GET", path: "/nodes/../version", auth: adminAuth,
			wantStatus: 501, wantReason: "Method 'GET /nodes/../version' not implemented",
			wantBody: `{"data":null,"message":"Method 'GET /nodes/../version' not implemented"}`},
		{name: "escaped dot-dot segment", method: "GET", path: "/nodes/%2E%2E/status", auth: adminAuth,
			wantStatus: 501, wantReason: "Method 'GET /nodes/../status' not implemented",
			wantBody: `{"data":null,"message":"Method 'GET /nodes/../status' not implemented"}`},
		{name: "unknown node", method: "GET", path: "/nodes/pve9/status", auth: adminAuth,
			wantStatus: 500, wantReason: "hostname lookup 'pve9' failed - failed to get address info for: pve9: Name or service not known",
			wantBody: `{"data":null,"message":"hostname lookup 'pve9' failed - failed to get address info for: pve9: Name or service not known\n"}`},
		{name: "malformed node", method: "GET", path: "/nodes/pve_1/status", auth: adminAuth,
			wantStatus: 400, wantReason: "Parameter verification failed.",
			wantBody: `{"data":null,"errors":{"node":"invalid format - value does not look like a valid node name\n"},"message":"Parameter verification failed.\n"}`},
		{name: "unknown guest", method: "GET", path: "/nodes/pve1/qemu/999/status/current", auth: adminAuth,
			wantStatus: 500, wantReason: "Configuration file 'nodes/pve1/qemu-server/999.conf' does not exist",
			wantBody: `{"data":null,"message":"Configuration file 'nodes/pve1/qemu-server/999.conf' does not exist\n"}`},
		{name: "unknown container", method: "GET", path: "/nodes/pve1/lxc/999/config", auth: adminAuth,
			wantStatus: 500, wantReason: "Configuration file 'nodes/pve1/lxc/999.conf' does not exist"},
		{name: "guest on another node", method: "POST", path: "/nodes/pve2/qemu/100/status/start", auth: adminAuth,
			wantStatus: 500, wantReason: "Configuration file 'nodes/pve2/qemu-server/100.conf' does not exist"},
		{name: "container addressed as VM", method: "GET", path: "/nodes/pve1/qemu/200/config", auth: adminAuth,
			wantStatus: 500, wantReason: "Configuration file 'nodes/pve1/qemu-server/200.conf' does not exist"},
		{name: "vmid below range", method: "GET", path: "/nodes/pve1/qemu/99/config", auth: adminAuth,
			wantStatus: 400, wantReason: "Parameter verification failed.",
			wantBody: `{"data":null,"errors":{"vmid":"invalid format - value does not look like a valid VM ID\n"},"message":"Parameter verification failed.\n"}`},
		{name: "offline node", method: "GET", path: "/nodes/pve2/qemu", auth: adminAuth,
			setup:      func(s *Sim) { s.SetNodeOnline("pve2", false) },
			wantStatus: 595, wantReason: "No route to host"},
		{name: "permission before existence", method: "POST", path: "/nodes/pve9/qemu/999/status/start", auth: readOnlyAuth,
			wantStatus: 403, wantReason: "Permission check failed (/vms/999, VM.PowerMgmt)",
			wantBody: `{"data":null,"message":"Permission check failed (/vms/999, VM.PowerMgmt)\n"}`},
		{name: "multi-line message keeps the first line in the reason", method: "POST", path: "/nodes/pve1/qemu/100/status/stop", auth: adminAuth,
			setup:      func(s *Sim) { _ = s.SetGuestConfig(100, "lock", "backup\nsecond line") },
			wantStatus: 500, wantReason: "VM is locked (backup",
			wantBody: `{"data":null,"message":"VM is locked (backup\nsecond line)\n"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			if tt.setup != nil {
				tt.setup(e.srv.Sim)
			}
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			req, err := http.NewRequest(tt.method, e.srv.URL+"/api2/json"+tt.path, body)
			if err != nil {
				t.Fatal(err)
			}
			req.URL.RawPath = "/api2/json" + tt.path // keep escapes and dot segments exactly as written
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			r := e.send(req)
			if r.status != tt.wantStatus || r.reason != tt.wantReason {
				t.Errorf("got %d %q, want %d %q", r.status, r.reason, tt.wantStatus, tt.wantReason)
			}
			if tt.wantBody != "" || tt.wantStatus == 401 || tt.wantStatus == 595 || tt.wantStatus == 501 && tt.method == "HEAD" {
				if diff := cmp.Diff(tt.wantBody, string(r.body)); diff != "" {
					t.Errorf("body (-want +got):\n%s", diff)
				}
			}
			if !r.closed {
				t.Error("the connection stays open after an error; pveproxy closes it")
			}
		})
	}
}

// TestWireFormat checks the bytes of an error answer as pveproxy writes them, and that success keeps the
// connection open.
func TestWireFormat(t *testing.T) {
	e := newEnv(t, nil)
	conn, err := tls.Dial("tcp", strings.TrimPrefix(e.srv.URL, "https://"), e.client.Transport.(*http.Transport).TLSClientConfig)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = io.WriteString(conn, "POST /api2/json/nodes/pve1/qemu/100/status/start HTTP/1.1\r\nHost: x\r\n"+
		"Authorization: "+adminAuth+"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 0\r\n\r\n")
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	status, _ := br.ReadString('\n')
	if got, want := status, "HTTP/1.1 200 OK\r\n"; got != want {
		t.Fatalf("status line %q, want %q", got, want)
	}
	resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(status+readAllHeaders(t, br))), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Close {
		t.Error("a successful answer closed the connection")
	}
	body := make([]byte, resp.ContentLength)
	if _, err := io.ReadFull(br, body); err != nil {
		t.Fatal(err)
	}
	// same connection, an error this time: VM 100 is busy with the start task
	_, err = io.WriteString(conn, "POST /api2/json/nodes/pve1/qemu/100/status/stop HTTP/1.1\r\nHost: x\r\n"+
		"Authorization: "+adminAuth+"\r\nContent-Length: 0\r\n\r\n")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(br)
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	for _, want := range []string{
		"HTTP/1.1 500 can't lock file '/var/lock/qemu-server/lock-100.conf' - got timeout\r\n",
		"Content-Type: application/json;charset=UTF-8\r\n",
		"Connection: close\r\n",
		"Server: pve-api-daemon/3.0\r\n",
		"\r\n\r\n{\"data\":null,\"message\":\"can't lock file '/var/lock/qemu-server/lock-100.conf' - got timeout\\n\"}",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("error answer lacks %q:\n%s", want, text)
		}
	}
	if !strings.HasPrefix(text, "HTTP/1.1 500 ") {
		t.Errorf("error answer does not start with its status line:\n%s", text)
	}
}

func readAllHeaders(t *testing.T, br *bufio.Reader) string {
	t.Helper()
	var b strings.Builder
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(line)
		if line == "\r\n" {
			return b.String()
		}
	}
}

func TestSuccessKeepsConnectionAlive(t *testing.T) {
	e := newEnv(t, nil)
	reused := 0
	for i := 0; i < 3; i++ {
		trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
			if info.Reused {
				reused++
			}
		}}
		req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "GET", e.srv.URL+"/api2/json/version", nil)
		req.Header.Set("Authorization", adminAuth)
		if r := e.send(req); r.status != 200 {
			t.Fatalf("GET /version: %d", r.status)
		}
	}
	if reused != 2 {
		t.Errorf("%d of 2 follow-up requests reused the connection", reused)
	}
}

func TestAuthHeaderForms(t *testing.T) {
	tests := []struct {
		name, header string
		want         int
	}{
		{"equals form", "PVEAPIToken=" + DefaultTokenID + "=" + DefaultTokenSecret, 200},
		{"space form", "PVEAPIToken " + DefaultTokenID + "=" + DefaultTokenSecret, 200},
		{"URI-escaped", "PVEAPIToken=" + url.PathEscape("root@pam!mcp") + "=" + DefaultTokenSecret, 200},
		{"escaped separator", "PVEAPIToken=root%40pam%21mcp%3D" + DefaultTokenSecret, 200},
		{"read-only token", readOnlyAuth, 200},
		{"secret of the other token", "PVEAPIToken=" + DefaultTokenID + "=" + ReadOnlyTokenSecret, 401},
		{"lower-case scheme", "pveapitoken=" + DefaultTokenID + "=" + DefaultTokenSecret, 401},
	}
	e := newEnv(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := e.request("GET", "/version", tt.header, nil); r.status != tt.want {
				t.Errorf("got %d %s, want %d", r.status, r.reason, tt.want)
			}
		})
	}
}

// TestAuthFailDelayHonoursContext: the 401 delay is interruptible, and an abandoned request gets no answer.
func TestAuthFailDelayHonoursContext(t *testing.T) {
	e := newEnv(t, nil, WithAuthFailDelay(time.Hour))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/api2/json/version", nil)
	_, err := e.client.Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a bad request under a one-hour auth delay: err = %v, want the client's deadline", err)
	}
	// the handler notices the cancellation and records that it sent nothing
	deadline := giveUpAt(t)
	for {
		reqs := e.srv.Requests()
		if len(reqs) == 1 {
			if reqs[0].Status != 0 {
				t.Errorf("logged status %d for an abandoned request, want 0", reqs[0].Status)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the delayed request never finished after its client gave up")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestWithTokenReplacesDefaults: explicit tokens are the only ones accepted.
func TestWithTokenReplacesDefaults(t *testing.T) {
	e := newEnv(t, nil, WithToken("ops@pve!ci", "s3cret", "VM.Audit"))
	tests := []struct {
		auth string
		want int
	}{
		{"PVEAPIToken=ops@pve!ci=s3cret", 200},
		{adminAuth, 401},
		{readOnlyAuth, 401},
	}
	for _, tt := range tests {
		if r := e.request("GET", "/version", tt.auth, nil); r.status != tt.want {
			t.Errorf("%s: %d, want %d", tt.auth, r.status, tt.want)
		}
	}
}

// TestWithoutHijack: behind a writer that cannot be hijacked the status and body are still right.
func TestWithoutHijack(t *testing.T) {
	s := New(Default(), WithClock(func() time.Time { return testStart }))
	req := httptest.NewRequest("GET", "/api2/json/nodes/pve1/qemu/999/config", nil)
	req.Header.Set("Authorization", adminAuth)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != 500 {
		t.Errorf("status %d, want 500", rec.Code)
	}
	want := `{"data":null,"message":"Configuration file 'nodes/pve1/qemu-server/999.conf' does not exist\n"}`
	if diff := cmp.Diff(want, rec.Body.String()); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}
