package pvesim

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// testStart is the fake clock's starting time in every test.
var testStart = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a TLS server around a Sim with a fake clock, and a client that trusts it.
type env struct {
	t      *testing.T
	srv    *Server
	clock  *fakeClock
	client *http.Client
}

const (
	adminAuth    = "PVEAPIToken=" + DefaultTokenID + "=" + DefaultTokenSecret
	readOnlyAuth = "PVEAPIToken=" + ReadOnlyTokenID + "=" + ReadOnlyTokenSecret
)

func newEnv(t *testing.T, c *Cluster, opts ...Option) *env {
	t.Helper()
	if c == nil {
		c = Default()
	}
	clock := &fakeClock{t: testStart}
	sim := New(c, append([]Option{WithClock(clock.Now)}, opts...)...)
	srv := Serve(sim)
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(srv.CertPEM) {
		t.Fatal("CertPEM is not a usable CA file")
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	t.Cleanup(tr.CloseIdleConnections)
	return &env{t: t, srv: srv, clock: clock, client: &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}}
}

// response is an answer as a client sees it.
type response struct {
	status int
	reason string // the reason phrase
	header http.Header
	body   []byte
	closed bool // the server said Connection: close
}

// json decodes the body (numbers kept as json.Number).
func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var out map[string]any
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.body)
	}
	return out
}

// data decodes the data member into v.
func (r response) data(t *testing.T, v any) {
	t.Helper()
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(r.body, &env); err != nil {
		t.Fatalf("body is not the JSON envelope: %v\n%s", err, r.body)
	}
	dec := json.NewDecoder(bytes.NewReader(env.Data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("data does not decode into %T: %v\n%s", v, err, env.Data)
	}
}

// request sends one request: auth is the whole Authorization header ("" for none); for POST and PUT the
// params go in a form body, otherwise in the query string.
func (e *env) request(method, path, auth string, params url.Values) response {
	e.t.Helper()
	target := e.srv.URL + "/api2/json" + path
	var body io.Reader
	if len(params) > 0 {
		if method == "POST" || method == "PUT" {
			body = strings.NewReader(params.Encode())
		} else {
			target += "?" + params.Encode()
		}
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	return e.send(req)
}

// send does one request. A transport failure is reported with Errorf (safe from any goroutine) and gives
// status -1.
func (e *env) send(req *http.Request) response {
	e.t.Helper()
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Errorf("%s %s: %v", req.Method, req.URL, err)
		return response{status: -1}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Errorf("%s %s: read body: %v", req.Method, req.URL, err)
		return response{status: -1}
	}
	return response{status: resp.StatusCode, reason: strings.TrimSpace(strings.TrimPrefix(resp.Status, resp.Status[:3])), header: resp.Header, body: b, closed: resp.Close}
}

func (e *env) get(path string, params url.Values) response {
	return e.request("GET", path, adminAuth, params)
}
func (e *env) post(path string, params url.Values) response {
	return e.request("POST", path, adminAuth, params)
}
func (e *env) del(path string, params url.Values) response {
	return e.request("DELETE", path, adminAuth, params)
}

// upid posts a write that must start a task and returns its UPID.
func (e *env) upid(method, path string, params url.Values) string {
	e.t.Helper()
	r := e.request(method, path, adminAuth, params)
	if r.status != 200 {
		e.t.Fatalf("%s %s: %d %s %s", method, path, r.status, r.reason, r.body)
	}
	var upid string
	r.data(e.t, &upid)
	if !upidRE.MatchString(upid) {
		e.t.Fatalf("%s %s answered %q, not a UPID", method, path, upid)
	}
	return upid
}

// taskStatus reads a task's status object.
func (e *env) taskStatus(upid string) map[string]any {
	e.t.Helper()
	node := strings.Split(upid, ":")[1]
	r := e.get("/nodes/"+node+"/tasks/"+url.PathEscape(upid)+"/status", nil)
	if r.status != 200 {
		e.t.Fatalf("task status: %d %s", r.status, r.reason)
	}
	var st map[string]any
	r.data(e.t, &st)
	return st
}

// finish moves the clock past any task's end and returns the task's exit status.
func (e *env) finish(upid string) string {
	e.t.Helper()
	e.clock.Advance(time.Second)
	st := e.taskStatus(upid)
	if st["status"] != "stopped" {
		e.t.Fatalf("task %s still %v after the clock moved on", upid, st["status"])
	}
	return st["exitstatus"].(string)
}

func params(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}
