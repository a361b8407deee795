package pve

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp/redact"
)

const (
	testTokenID = "root@pam!mcp"
	testSecret  = "6d2a1b3c-9e8f-4a7b-b5c4-0d1e2f3a4b5c"
)

// answer is a raw HTTP answer: Proxmox puts its error text in the reason phrase, which net/http's
// ResponseWriter cannot set, so test servers write the status line themselves.
type answer struct {
	status int
	reason string
	header map[string]string
	body   string
	// statusLine, when set, replaces the whole first line (a malformed answer).
	statusLine string
}

// writeRaw hijacks the connection and writes a with its own reason phrase.
func writeRaw(w http.ResponseWriter, a answer) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("test server cannot hijack")
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	reason := a.reason
	if reason == "" {
		reason = http.StatusText(a.status)
	}
	if a.statusLine != "" {
		fmt.Fprintf(buf, "%s\r\n", a.statusLine)
	} else {
		fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\n", a.status, reason)
	}
	if a.body != "" {
		buf.WriteString("Content-Type: application/json;charset=UTF-8\r\n")
	}
	for k, v := range a.header {
		fmt.Fprintf(buf, "%s: %s\r\n", k, v)
	}
	fmt.Fprintf(buf, "Content-Length: %d\r\nConnection: close\r\n\r\n%s", len(a.body), a.body)
	buf.Flush()
}

// recorder keeps what a test server saw.
type recorder struct {
	mu   sync.Mutex
	reqs []seen
}

type seen struct {
	Method, Path, RawQuery, Body, Auth, ContentType string
}

func (r *recorder) add(req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, seen{req.Method, req.URL.EscapedPath(), req.URL.RawQuery, string(body), req.Header.Get("Authorization"), req.Header.Get("Content-Type")})
}

func (r *recorder) all() []seen {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]seen(nil), r.reqs...)
}

// newTestServer starts a TLS server whose handler answers with h, and a client pinned to its certificate.
func newTestServer(t testing.TB, h func(*http.Request) answer, opts ...Option) (*Client, *recorder, *httptest.Server) {
	t.Helper()
	rec := &recorder{}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		rec.add(req)
		writeRaw(w, h(req))
	}))
	t.Cleanup(srv.Close)
	return pinnedClient(t, srv, opts...), rec, srv
}

func pinnedClient(t testing.TB, srv *httptest.Server, opts ...Option) *Client {
	t.Helper()
	u, err := ParseBaseURL(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(srv.Certificate().Raw)
	cfg := Config{BaseURL: u, TokenID: testTokenID, Secret: redact.NewSecret(testSecret), Fingerprint: sum[:], Timeout: 5 * time.Second}
	opts = append([]Option{WithRetries(2, time.Millisecond), WithTaskPolling(time.Millisecond, 5*time.Millisecond)}, opts...)
	c, err := New(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func ok(data string) answer { return answer{status: 200, reason: "OK", body: `{"data":` + data + `}`} }

// send sends a raw request, as only the package itself can.
func send(ctx context.Context, c *Client, req Request) error {
	_, err := c.do(ctx, req, nil)
	return err
}
