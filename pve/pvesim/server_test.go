package pvesim

import (
	"crypto/tls"
	"net/http"
	"testing"
	"time"
)

// giveUpAt is when a test that waits for something that must happen stops waiting: shortly before go test's
// -timeout would end the binary (so the test can still say what it waited for), never after a fixed time that a
// slow machine could exceed.
func giveUpAt(t *testing.T) time.Time {
	deadline, ok := t.Deadline()
	if !ok {
		return time.Now().Add(time.Hour)
	}
	left := time.Until(deadline)
	return time.Now().Add(max(left-max(left/20, 5*time.Second), time.Second))
}

// waitConns polls OpenConns until it is want: the server learns of a close asynchronously.
func waitConns(t *testing.T, srv *Server, want int) {
	t.Helper()
	deadline := giveUpAt(t)
	for srv.OpenConns() != want {
		if time.Now().After(deadline) {
			t.Fatalf("OpenConns = %d, want %d", srv.OpenConns(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestOpenConns(t *testing.T) {
	e := newEnv(t, nil)
	if n := e.srv.OpenConns(); n != 0 {
		t.Fatalf("a fresh server has %d open connections", n)
	}
	// A success keeps the connection alive; the client's next request reuses it.
	for range 3 {
		if r := e.get("/version", nil); r.status != 200 {
			t.Fatalf("GET /version: %d", r.status)
		}
	}
	waitConns(t, e.srv, 1)
	// An error answer hijacks the connection and closes it: it stops counting.
	if r := e.request("GET", "/version", "", nil); r.status != 401 {
		t.Fatalf("unauthenticated GET /version: %d", r.status)
	}
	waitConns(t, e.srv, 0)
	// A dropped connection (hijacked, then closed) as well.
	e.srv.Inject(Fault{Kind: FaultDrop, Times: 1})
	req, err := http.NewRequest("GET", e.srv.URL+"/api2/json/version", nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := e.client.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("a dropped request got an answer")
	}
	waitConns(t, e.srv, 0)
	// A connection that is only open, with no request yet, counts; closing it uncounts it.
	conn, err := tls.Dial("tcp", e.srv.ts.Listener.Addr().String(), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	waitConns(t, e.srv, 1)
	conn.Close()
	waitConns(t, e.srv, 0)
	// Idle keep-alive connections count until the client closes them.
	e.get("/version", nil)
	waitConns(t, e.srv, 1)
	e.client.CloseIdleConnections()
	waitConns(t, e.srv, 0)
}
