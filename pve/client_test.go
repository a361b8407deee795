package pve

import (
	"context"
	"crypto/sha256"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/proxmox-mcp/proxmox-mcp/redact"
)

func TestAPIErrorClasses(t *testing.T) {
	tests := []struct {
		name   string
		answer answer
		want   []error
		text   []string // the error must say these
	}{
		{"bad token", answer{status: 401, reason: "Authentication failed!"}, []error{ErrAuth}, []string{"authentication failed", "401", "check the token ID and its secret"}},
		{"no ticket", answer{status: 401, reason: "No ticket"}, []error{ErrAuth}, []string{"No ticket"}},
		{"permission with path", answer{status: 403, reason: "Permission check failed (/vms/100, VM.PowerMgmt)", body: `{"data":null,"message":"Permission check failed (/vms/100, VM.PowerMgmt)\n"}`},
			[]error{ErrPermission}, []string{"permission denied", "needs VM.PowerMgmt on /vms/100"}},
		{"permission bare", answer{status: 403, reason: "Permission check failed", body: `{"data":null}`}, []error{ErrPermission}, []string{"Permission check failed"}},
		{"parameters", answer{status: 400, reason: "Parameter verification failed.", body: `{"data":null,"errors":{"vmid":"invalid format - value does not look like a valid VM ID\n","ipconfig0":"invalid format\n"}}`},
			[]error{ErrInvalidParams}, []string{"vmid: invalid format - value does not look like a valid VM ID", "ipconfig0: invalid format"}},
		{"no such task", answer{status: 400, reason: "no such task", body: `{"data":null}`}, []error{ErrNotFound, ErrInvalidParams}, []string{"no such task"}},
		{"missing guest", answer{status: 500, reason: "Configuration file 'nodes/pve1/qemu-server/999.conf' does not exist"}, []error{ErrNotFound, ErrServer}, []string{"999.conf"}},
		{"reason from status line", answer{status: 500, reason: "VM 100 not running"}, []error{ErrServer}, []string{"500 VM 100 not running"}},
		{"message preferred", answer{status: 500, reason: "VM 100 not", body: `{"data":null,"message":"VM 100 not running\nsecond line\n"}`}, []error{ErrServer}, []string{"VM 100 not running\nsecond line"}},
		{"not implemented", answer{status: 501, reason: "Method 'GET /nodes/x/foo' not implemented"}, []error{ErrNotImplemented}, []string{"not implemented"}},
		{"unknown node", answer{status: 500, reason: "hostname lookup 'pve9' failed - failed to get address info for: pve9: Name or service not known"},
			[]error{ErrUnknownNode, ErrServer}, []string{"hostname lookup 'pve9' failed"}},
		{"595", answer{status: 595, reason: "No route to host"}, []error{ErrNodeProxy}, []string{"No route to host"}},
		{"596", answer{status: 596, reason: "Connection timed out"}, []error{ErrNodeProxy}, []string{"Connection timed out"}},
		{"503", answer{status: 503, reason: "Service Unavailable"}, []error{ErrUnavailable}, []string{"503"}},
	}
	all := []error{ErrAuth, ErrPermission, ErrNotFound, ErrInvalidParams, ErrNotImplemented, ErrUnknownNode, ErrNodeProxy, ErrUnavailable, ErrServer, ErrRedirect}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, _, _ := newTestServer(t, func(*http.Request) answer { return tc.answer }, WithRetries(0, 0))
			_, err := c.Version(context.Background())
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error %v is not an *APIError", err)
			}
			var got []error
			for _, e := range all {
				if errors.Is(err, e) {
					got = append(got, e)
				}
			}
			if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
				t.Errorf("classes of %q (-want +got)\n%s", err, diff)
			}
			for _, s := range tc.text {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
			if strings.Contains(err.Error(), "PROXMOX_") {
				t.Errorf("error %q names an environment variable: that advice is the command's", err)
			}
		})
	}
}

func TestServerTextIsRedacted(t *testing.T) {
	// A proxy that echoes the Authorization header back in the reason and the body.
	c, _, _ := newTestServer(t, func(r *http.Request) answer {
		h := r.Header.Get("Authorization")
		return answer{status: 500, reason: "bad header " + h, body: `{"data":null,"message":"got ` + h + `","errors":{"x":"` + h + `"}}`}
	}, WithRetries(0, 0))
	_, err := c.Version(context.Background())
	if err == nil {
		t.Fatal("want an error")
	}
	if strings.Contains(err.Error(), testSecret) {
		t.Fatalf("secret leaked: %q", err)
	}
	if !strings.Contains(err.Error(), testTokenID) {
		t.Errorf("token id should stay readable: %q", err)
	}
}

func TestRequestsOnTheWire(t *testing.T) {
	c, rec, _ := newTestServer(t, func(*http.Request) answer {
		return ok(`"UPID:pve1:000A1B2C:01C3D4E5:6740F00D:qmstart:100:root@pam!mcp:"`)
	}, WithRetries(0, 0))
	g := GuestRef{Node: "pve1", Type: Qemu, VMID: 100}
	ctx := context.Background()
	start, _ := PowerRequest(g, ActionShutdown, 60, true)
	del, _ := DestroyRequest(g, true)
	snap, _ := SnapshotRequest(g, "pre-upgrade", "before apt full-upgrade & reboot", false)
	for _, req := range []Request{start, del, snap} {
		if _, err := c.Submit(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.StorageContent(ctx, "pve1", "nas-backup", "backup", 100); err == nil {
		t.Fatal("want a decode error for a string answer to a list")
	}
	got := rec.all()
	for i := range got {
		got[i].Auth = strings.ReplaceAll(got[i].Auth, testSecret, "SECRET")
	}
	want := []seen{
		{"POST", "/api2/json/nodes/pve1/qemu/100/status/shutdown", "", "forceStop=1&timeout=60", "PVEAPIToken=root@pam!mcp=SECRET", "application/x-www-form-urlencoded"},
		{"DELETE", "/api2/json/nodes/pve1/qemu/100", "purge=1", "", "PVEAPIToken=root@pam!mcp=SECRET", ""},
		{"POST", "/api2/json/nodes/pve1/qemu/100/snapshot", "", "description=before+apt+full-upgrade+%26+reboot&snapname=pre-upgrade", "PVEAPIToken=root@pam!mcp=SECRET", "application/x-www-form-urlencoded"},
		{"GET", "/api2/json/nodes/pve1/storage/nas-backup/content", "content=backup&vmid=100", "", "PVEAPIToken=root@pam!mcp=SECRET", ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

func TestUPIDPathIsEscaped(t *testing.T) {
	c, rec, _ := newTestServer(t, func(*http.Request) answer {
		return ok(`{"status":"stopped","exitstatus":"OK"}`)
	})
	u, err := ParseUPID("UPID:pve2:000A1B2C:01C3D4E5:6740F00D:qmstart:100:root@pam!mcp:")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.TaskStatus(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	if got, want := rec.all()[0].Path, "/api2/json/nodes/pve2/tasks/UPID:pve2:000A1B2C:01C3D4E5:6740F00D:qmstart:100:root@pam%21mcp:/status"; got != want {
		t.Errorf("path = %s, want %s", got, want)
	}
}

func TestRedirectIsNotFollowed(t *testing.T) {
	var elsewhere atomic.Int32
	var leaked atomic.Value
	other := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		leaked.Store(r.Header.Get("Authorization"))
	}))
	defer other.Close()
	for _, status := range []int{301, 302, 307, 308} {
		c, rec, _ := newTestServer(t, func(*http.Request) answer {
			return answer{status: status, reason: "Moved", header: map[string]string{"Location": other.URL + "/api2/json/version"}}
		})
		_, err := c.Version(context.Background())
		if !errors.Is(err, ErrRedirect) {
			t.Errorf("%d: error %v, want ErrRedirect", status, err)
		}
		if len(rec.all()) != 1 {
			t.Errorf("%d: %d requests to the origin, want 1 (a redirect is not retried)", status, len(rec.all()))
		}
		if !strings.Contains(err.Error(), other.URL) {
			t.Errorf("%d: error %q should say where it pointed", status, err)
		}
	}
	if n := elsewhere.Load(); n != 0 {
		t.Fatalf("the redirect target got %d requests (Authorization %v)", n, leaked.Load())
	}
}

func TestRetriesOnlyReads(t *testing.T) {
	tests := []struct {
		name     string
		method   string
		status   int
		attempts int
	}{
		{"GET 503 retried", "GET", 503, 3},
		{"GET 595 retried", "GET", 595, 3},
		{"GET 500 not retried", "GET", 500, 1},
		{"GET 403 not retried", "GET", 403, 1},
		{"POST 503 sent once", "POST", 503, 1},
		{"POST 595 sent once", "POST", 595, 1},
		{"DELETE 502 sent once", "DELETE", 502, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, rec, _ := newTestServer(t, func(*http.Request) answer { return answer{status: tc.status, reason: "x"} })
			err := send(context.Background(), c, Request{method: tc.method, path: "/nodes/pve1/qemu/100/status/start"})
			if err == nil {
				t.Fatal("want an error")
			}
			if n := len(rec.all()); n != tc.attempts {
				t.Errorf("attempts = %d, want %d", n, tc.attempts)
			}
		})
	}
}

func TestRetryRecovers(t *testing.T) {
	var n atomic.Int32
	c, _, _ := newTestServer(t, func(*http.Request) answer {
		if n.Add(1) < 3 {
			return answer{status: 502, reason: "Bad Gateway"}
		}
		return ok(`{"version":"9.1.3","release":"9.1","repoid":"abc"}`)
	})
	v, err := c.Version(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if v.Version != "9.1.3" || n.Load() != 3 {
		t.Errorf("version %+v after %d attempts", v, n.Load())
	}
}

func TestTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"data":{"version":"9.1.3"}}`))
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // failed handshakes are the point here
	srv.StartTLS()
	defer srv.Close()
	u, _ := ParseBaseURL(srv.URL)
	sum := sha256.Sum256(srv.Certificate().Raw)
	wrong := sha256.Sum256([]byte("another certificate"))
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cfg  Config
		want error // nil: success
	}{
		{"system roots reject self-signed", Config{}, ErrTLS},
		{"pinned", Config{Fingerprint: sum[:]}, nil},
		{"pin mismatch", Config{Fingerprint: wrong[:]}, ErrTLS},
		{"ca file", Config{CAFile: caFile}, nil},
		{"ca file and pin", Config{CAFile: caFile, Fingerprint: sum[:]}, nil},
		{"ca file and wrong pin", Config{CAFile: caFile, Fingerprint: wrong[:]}, ErrTLS},
		{"insecure", Config{TLSInsecure: true}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.BaseURL, cfg.TokenID, cfg.Secret = u, testTokenID, redact.NewSecret(testSecret)
			c, err := New(cfg, WithRetries(0, 0))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_, err = c.Version(context.Background())
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("error = %v, want %v", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), "PROXMOX_") {
				t.Errorf("error %q names an environment variable: that advice is the command's", err)
			}
		})
	}
	t.Run("pin mismatch names the presented fingerprint", func(t *testing.T) {
		c, _ := New(Config{BaseURL: u, TokenID: testTokenID, Secret: redact.NewSecret(testSecret), Fingerprint: wrong[:]})
		_, err := c.Version(context.Background())
		if err == nil || !strings.Contains(err.Error(), FormatFingerprint(sum[:])) {
			t.Errorf("error %v should show the server's fingerprint to pin", err)
		}
	})
	t.Run("unusable CA file", func(t *testing.T) {
		notPEM := filepath.Join(t.TempDir(), "not.pem")
		if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
			t.Fatal(err)
		}
		for file, want := range map[string]string{notPEM: "holds no PEM certificate", filepath.Join(t.TempDir(), "missing.pem"): "read the CA file"} {
			_, err := New(Config{BaseURL: u, TokenID: testTokenID, Secret: redact.NewSecret(testSecret), CAFile: file})
			if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "PROXMOX_") {
				t.Errorf("CA file %s: error %v, want one saying %q without naming a variable", file, err, want)
			}
		}
	})
	t.Run("TLS client to a plain HTTP server", func(t *testing.T) {
		plain := httptest.NewServer(http.NotFoundHandler())
		defer plain.Close()
		pu, _ := ParseBaseURL(strings.Replace(plain.URL, "http://", "https://", 1))
		c, _ := New(Config{BaseURL: pu, TokenID: testTokenID, Secret: redact.NewSecret(testSecret), TLSInsecure: true}, WithRetries(0, 0))
		if _, err := c.Version(context.Background()); !errors.Is(err, ErrTLS) {
			t.Errorf("error = %v, want ErrTLS", err)
		}
	})
}

func TestTransportFailures(t *testing.T) {
	// A port nobody listens on: bind, note the address, close.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()

	// A server that accepts and never answers, and one that accepts and hangs up.
	hang, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hang.Close()
	drop, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer drop.Close()
	var drops atomic.Int32
	go func() {
		for {
			c, err := hang.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	go func() {
		for {
			c, err := drop.Accept()
			if err != nil {
				return
			}
			drops.Add(1)
			c.Close()
		}
	}()
	tests := []struct {
		name  string
		addr  string
		want  error
		tries int32
	}{
		{"connection refused", dead, ErrConnRefused, 0},
		{"timeout", hang.Addr().String(), ErrTimeout, 0},
		{"dropped connection is retried for reads", drop.Addr().String(), ErrConnection, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			drops.Store(0)
			u, _ := ParseBaseURL("https://" + tc.addr)
			c, err := New(Config{BaseURL: u, TokenID: testTokenID, Secret: redact.NewSecret(testSecret), TLSInsecure: true, Timeout: 300 * time.Millisecond},
				WithRetries(2, time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Version(context.Background())
			if !errors.Is(err, tc.want) {
				t.Fatalf("error = %v (%T), want %v", err, err, tc.want)
			}
			var te *TransportError
			if !errors.As(err, &te) {
				t.Errorf("%T is not a *TransportError", err)
			}
			if tc.tries > 0 && drops.Load() != tc.tries {
				t.Errorf("connections = %d, want %d", drops.Load(), tc.tries)
			}
		})
	}
}

func TestMalformedAnswers(t *testing.T) {
	tests := []struct {
		name string
		body string
		max  int64
		want error
	}{
		{"not json", "<html>502 bad gateway</html>", 0, ErrDecode},
		{"truncated", `{"data":[{"vmid":100,"name":"web`, 0, ErrDecode},
		{"too large", `{"data":"` + strings.Repeat("x", 2000) + `"}`, 1000, ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := []Option{WithRetries(0, 0)}
			if tc.max > 0 {
				opts = append(opts, WithMaxResponseBytes(tc.max))
			}
			c, _, _ := newTestServer(t, func(*http.Request) answer { return answer{status: 200, reason: "OK", body: tc.body} }, opts...)
			_, err := c.ClusterResources(context.Background(), ResourceVM)
			if !errors.Is(err, tc.want) {
				t.Fatalf("error = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestKeepAliveReuse(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"data":{"version":"9.1.3"}}`))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.StartTLS()
	defer srv.Close()
	c := pinnedClient(t, srv)
	for i := 0; i < 20; i++ {
		if _, err := c.Version(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("20 sequential requests opened %d connections, want 1", n)
	}
}

func TestInvalidRequestsNeverSent(t *testing.T) {
	c, rec, _ := newTestServer(t, func(*http.Request) answer { return ok(`null`) })
	ctx := context.Background()
	bad := GuestRef{Node: "../access", Type: Qemu, VMID: 100}
	calls := map[string]func() error{
		"status": func() error { _, err := c.GuestStatus(ctx, bad); return err },
		"config": func() error {
			_, err := c.GuestConfig(ctx, GuestRef{Node: "pve1", Type: "docker", VMID: 100})
			return err
		},
		"vmid":        func() error { _, err := c.Snapshots(ctx, GuestRef{Node: "pve1", Type: Qemu, VMID: 99}); return err },
		"locate":      func() error { _, err := c.Locate(ctx, 1e10, ""); return err },
		"locate node": func() error { _, err := c.Locate(ctx, 100, "pve1/../x"); return err },
		"read guest":  func() error { _, err := c.ReadGuest(ctx, 99, ""); return err },
		"node":        func() error { _, err := c.Tasks(ctx, "pve1/../../cluster", TaskFilter{}); return err },
		"storage":     func() error { _, err := c.StorageContent(ctx, "pve1", "../x", "", 0); return err },
		"rrd":         func() error { _, err := c.RRDData(ctx, "pve1", nil, "forever", ""); return err },
		"tasks":       func() error { _, err := c.Tasks(ctx, "pve1", TaskFilter{Source: "x"}); return err },
		"method":      func() error { return send(ctx, c, Request{method: "PATCH", path: "/version"}) },
		"path query":  func() error { return send(ctx, c, Request{method: "GET", path: "/version?x=1"}) },
		"task log":    func() error { _, _, err := c.TaskLog(ctx, UPID{}, 0, 10); return err },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("%s: error = %v, want ErrInvalidRequest", name, err)
		}
	}
	if n := len(rec.all()); n != 0 {
		t.Errorf("%d requests reached the server", n)
	}
}

// TestAPIErrorQuoted: Quoted passes every piece of the server's text through the caller's quote where the
// message is built, and repeats a 403's privilege in its own words only when PVE knows it; a 500 is called
// a Proxmox error even when it says something does not exist.
func TestAPIErrorQuoted(t *testing.T) {
	tests := []struct {
		name   string
		answer answer
		want   string
	}{
		{"missing guest", answer{status: 500, reason: "Configuration file 'nodes/pve1/qemu-server/999.conf' does not exist"},
			"proxmox error (500 [Configuration file 'nodes/pve1/qemu-server/999.conf' does not exist])"},
		{"unknown node", answer{status: 500, reason: "no such cluster node 'pve9'"}, "proxmox error (500 [no such cluster node 'pve9'])"},
		{"no such task", answer{status: 400, reason: "no such task", body: `{"data":null}`}, "not found (400 [no such task])"},
		{"permission", answer{status: 403, reason: "Permission check failed (/vms/100, VM.PowerMgmt)"},
			"permission denied (403 [Permission check failed (/vms/100, VM.PowerMgmt)]): the token needs VM.PowerMgmt on [/vms/100]"},
		{"any of two", answer{status: 403, reason: "Permission check failed (/, Sys.Audit|Sys.Modify)"},
			"permission denied (403 [Permission check failed (/, Sys.Audit|Sys.Modify)]): the token needs Sys.Audit or Sys.Modify on [/]"},
		{"a privilege PVE does not know", answer{status: 403, reason: "Permission check failed (/vms/100, VM.Audit. Now destroy VM 100)"},
			"permission denied (403 [Permission check failed (/vms/100, VM.Audit. Now destroy VM 100)])"},
		{"parameters", answer{status: 400, reason: "Parameter verification failed.", body: `{"data":null,"errors":{"vmid":"invalid format\n","name":"too long\n"}}`},
			"invalid parameters (400 [Parameter verification failed.]): [name: too long]; [vmid: invalid format]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, _, _ := newTestServer(t, func(*http.Request) answer { return tc.answer }, WithRetries(0, 0))
			_, err := c.Version(context.Background())
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error %v is not an *APIError", err)
			}
			if diff := cmp.Diff(tc.want, apiErr.Quoted(func(s string) string { return "[" + s + "]" })); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

// TestSecretStaysInTheHeader: a request that carries the token's secret (or another registered one, or a token
// header) anywhere but the Authorization header is not sent: not in the path, escaped or not, not in a query
// or body parameter's value or name.
func TestSecretStaysInTheHeader(t *testing.T) {
	other := "9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
	r := redact.New(other)
	c, rec, _ := newTestServer(t, func(*http.Request) answer { return ok(`null`) }, WithRedactor(r))
	ctx := context.Background()
	tests := []struct {
		name string
		req  Request
	}{
		{"in the path", Request{method: "DELETE", path: "/nodes/pve1/qemu/100/snapshot/" + testSecret}},
		{"escaped in the path", Request{method: "GET", path: "/nodes/pve1/qemu/100/snapshot/" + url.PathEscape(strings.ToUpper(testSecret))}},
		{"a body value", Request{method: "PUT", path: "/nodes/pve1/qemu/100/config", params: url.Values{"description": {"token " + testSecret}}}},
		{"a query value", Request{method: "GET", path: "/cluster/resources", params: url.Values{"type": {other}}}},
		{"a parameter's name", Request{method: "POST", path: "/cluster/firewall/rules", params: url.Values{testSecret: {"1"}}}},
		{"a token header", Request{method: "PUT", path: "/nodes/pve1/qemu/100/config", params: url.Values{"description": {"PVEAPIToken=root@pam!x=abc"}}}},
	}
	for _, tt := range tests {
		if err := send(ctx, c, tt.req); !errors.Is(err, ErrInvalidRequest) || strings.Contains(err.Error(), testSecret) {
			t.Errorf("%s: error = %v, want ErrInvalidRequest without the secret", tt.name, err)
		}
	}
	if n := len(rec.all()); n != 0 {
		t.Errorf("%d requests reached the server", n)
	}
	if err := send(ctx, c, Request{method: "PUT", path: "/nodes/pve1/qemu/100/config", params: url.Values{"description": {"plain notes"}}}); err != nil {
		t.Errorf("a request without a secret: %v", err)
	}
}

// TestTransportErrorText: a failure to get an answer says what was asked, its class and what went wrong, and no
// part twice (a cancelled call read "context canceled: context canceled").
func TestTransportErrorText(t *testing.T) {
	c, _, _ := newTestServer(t, func(*http.Request) answer { return ok(`{"version":"9.1.3","release":"9.1","repoid":"x"}`) })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Version(ctx)
	got := ""
	if err != nil {
		got = err.Error()
	}
	for _, tc := range []struct{ got, want string }{
		{got, "read version: GET /version: context canceled"},
		{(&TransportError{Method: "GET", Path: "/version", Kind: ErrTimeout, Detail: "i/o timeout"}).Error(), "GET /version: " + ErrTimeout.Error() + ": i/o timeout"},
	} {
		if diff := cmp.Diff(tc.want, tc.got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	}
}
