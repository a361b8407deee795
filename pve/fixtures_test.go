package pve

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fixtureDir is ../shared/pve-api/fixtures beside the repository (CI clones it there).
func fixtureDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "pve-api", "fixtures")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("fixtures not found at %s (clone ../shared beside the repository): %v", dir, err)
	}
	return dir
}

type fixture struct {
	Request struct {
		Method string            `json:"method"`
		Path   string            `json:"path"`
		Query  map[string]string `json:"query"`
	} `json:"request"`
	Response struct {
		Status int             `json:"status"`
		Reason string          `json:"reason"`
		Body   json.RawMessage `json:"body"`
	} `json:"response"`
}

// decodeAs maps a fixture's request path to the typed client call that reads it, so every fixture goes
// through the same decoder a tool would use.
var decoders = []struct {
	pattern *regexp.Regexp
	decode  func(ctx context.Context, c *Client, req Request) (any, error)
}{
	{regexp.MustCompile(`^/version$`), typed[Version]},
	{regexp.MustCompile(`^/cluster/status$`), typed[[]ClusterStatusItem]},
	{regexp.MustCompile(`^/cluster/resources$`), typed[[]Resource]},
	{regexp.MustCompile(`^/nodes/[^/]+/(qemu|lxc)$`), typed[[]GuestStatus]},
	{regexp.MustCompile(`^/nodes/[^/]+/(qemu|lxc)/\d+/status/current$`), typed[GuestStatus]},
	{regexp.MustCompile(`^/nodes/[^/]+/(qemu|lxc)/\d+/config$`), typed[GuestConfig]},
	{regexp.MustCompile(`^/nodes/[^/]+/(qemu|lxc)/\d+/snapshot$`), typed[[]Snapshot]},
	{regexp.MustCompile(`^/nodes/[^/]+/(qemu|lxc)/\d+/rrddata$`), typed[[]RRDPoint]},
	{regexp.MustCompile(`^/nodes/[^/]+/storage/[^/]+/content$`), typed[[]Volume]},
	{regexp.MustCompile(`^/nodes/[^/]+/tasks$`), typed[[]Task]},
	{regexp.MustCompile(`^/nodes/[^/]+/tasks/[^/]+/status$`), typed[TaskStatus]},
	{regexp.MustCompile(`^/nodes/[^/]+/tasks/[^/]+/log$`), typed[[]LogLine]},
	{regexp.MustCompile(`^/nodes/[^/]+/vzdump$`), func(ctx context.Context, c *Client, req Request) (any, error) {
		return c.Submit(ctx, req)
	}},
	{regexp.MustCompile(`.`), typed[json.RawMessage]},
}

func typed[T any](ctx context.Context, c *Client, req Request) (any, error) {
	var out T
	_, err := c.do(ctx, req, &out)
	return out, err
}

// TestFixturesDecode replays every real Proxmox answer in ../shared/pve-api/fixtures through the client:
// successes decode into the typed structs without losing a field we model, errors become the typed errors.
func TestFixturesDecode(t *testing.T) {
	dir := fixtureDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	wantErr := map[int]error{401: ErrAuth, 403: ErrPermission, 501: ErrNotImplemented, 595: ErrNodeProxy, 596: ErrNodeProxy}
	n := 0
	for _, f := range files {
		name := filepath.Base(f)
		if name == "upids.json" || name == "manifest.json" {
			continue
		}
		n++
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var fx fixture
			if err := json.Unmarshal(raw, &fx); err != nil {
				t.Fatal(err)
			}
			body := ""
			if len(fx.Response.Body) > 0 && string(fx.Response.Body) != "null" {
				body = string(fx.Response.Body)
			}
			c, rec, _ := newTestServer(t, func(*http.Request) answer {
				return answer{status: fx.Response.Status, reason: fx.Response.Reason, body: body}
			}, WithRetries(0, 0))
			path := strings.TrimPrefix(fx.Request.Path, "/api2/json")
			req := Request{method: fx.Request.Method, path: path}
			if req.method == "HEAD" {
				req.method = "GET" // the client never sends HEAD; the answer's decoding is what we test
			}
			var decode func(context.Context, *Client, Request) (any, error)
			for _, d := range decoders {
				if d.pattern.MatchString(path) {
					decode = d.decode
					break
				}
			}
			got, err := decode(context.Background(), c, req)
			if len(rec.all()) != 1 {
				t.Fatalf("requests sent = %d, want 1", len(rec.all()))
			}
			var data struct{ Data any }
			_ = json.Unmarshal(fx.Response.Body, &data)
			if fx.Response.Status == 200 && data.Data == "OK" {
				// vzdump for a guest on another node: no task was started, and the caller must know.
				if !errors.Is(err, ErrNoTask) {
					t.Fatalf("vzdump answering OK: error %v, want ErrNoTask", err)
				}
				return
			}
			if fx.Response.Status == 200 {
				if err != nil {
					t.Fatalf("decode: %v", err)
				}
				checkNoFieldLost(t, fx.Response.Body, got)
				return
			}
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error %v (%T) is not an *APIError", err, err)
			}
			if apiErr.Status != fx.Response.Status {
				t.Errorf("status = %d, want %d", apiErr.Status, fx.Response.Status)
			}
			if want := wantErr[fx.Response.Status]; want != nil && !errors.Is(err, want) {
				t.Errorf("error %v does not match %v", err, want)
			}
			switch fx.Response.Status {
			case 400:
				var b struct{ Errors map[string]string }
				_ = json.Unmarshal(fx.Response.Body, &b)
				if !errors.Is(err, ErrInvalidParams) || len(apiErr.Params) != len(b.Errors) {
					t.Errorf("400: params %v, want every one of %v", apiErr.Params, b.Errors)
				}
				for k := range b.Errors {
					if !strings.Contains(err.Error(), k+": ") {
						t.Errorf("error text %q does not name parameter %q", err, k)
					}
				}
			case 500:
				if strings.Contains(fx.Response.Reason, "does not exist") && !errors.Is(err, ErrNotFound) {
					t.Errorf("%v should match ErrNotFound", err)
				}
			}
			if !strings.Contains(err.Error(), strings.TrimSpace(fx.Response.Reason)) {
				t.Errorf("error %q lost the reason %q", err, fx.Response.Reason)
			}
		})
	}
	if n < 30 {
		t.Errorf("only %d fixtures replayed; expected the whole directory", n)
	}
}

// checkNoFieldLost re-encodes what the client decoded and checks that every key of the fixture that our struct
// models came through with the same value (modulo 0/1 vs bool and string vs number).
func checkNoFieldLost(t *testing.T, body json.RawMessage, got any) {
	t.Helper()
	var env struct{ Data any }
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatal(err)
	}
	enc, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	var back any
	if err := json.Unmarshal(enc, &back); err != nil {
		t.Fatal(err)
	}
	compareLoose(t, "data", env.Data, back)
}

// compareLoose walks want (the fixture) and got (our decode re-encoded with Go field names or JSON keys).
func compareLoose(t *testing.T, path string, want, got any) {
	t.Helper()
	switch w := want.(type) {
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			t.Errorf("%s: got %T of len %d, want array of %d", path, got, lenOf(got), len(w))
			return
		}
		for i := range w {
			compareLoose(t, path+"[]", w[i], g[i])
		}
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			t.Errorf("%s: got %T, want object", path, got)
			return
		}
		norm := map[string]any{}
		for k, v := range g {
			norm[strings.ToLower(k)] = v
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				gv, ok = norm[strings.ToLower(strings.ReplaceAll(strings.ReplaceAll(k, "-", ""), "_", ""))]
			}
			if !ok {
				if !unmodeled[k] {
					t.Errorf("%s.%s: the decoded value lost this field (fix the json tag, or list it in unmodeled)", path, k)
				}
				continue
			}
			compareLoose(t, path+"."+k, wv, gv)
		}
	default:
		if diff := cmp.Diff(scalar(want), scalar(got)); diff != "" {
			t.Errorf("%s: (-fixture +decoded)\n%s", path, diff)
		}
	}
}

// unmodeled are the fields real answers carry that no tool needs; any other field must survive decoding.
var unmodeled = map[string]bool{
	"cgroup-mode": true, "level": true, "digest": true, "flags": true, "hvm": true, "user_hz": true, "idle": true,
	"ksm": true, "id": true, "type": true, "balloon": true, "balloon_min": true, "ballooninfo": true,
	"blockstat": true, "freemem": true, "nics": true, "proxmox-support": true, "shares": true, "spice": true,
}

func lenOf(v any) int {
	if a, ok := v.([]any); ok {
		return len(a)
	}
	return -1
}

// scalar normalises Proxmox's loose scalars: "1" and 1 and true agree, "3400.000" and 3400 agree.
func scalar(v any) any {
	switch v := v.(type) {
	case bool:
		if v {
			return 1.0
		}
		return 0.0
	case string:
		var f float64
		if err := json.Unmarshal([]byte(v), &f); err == nil {
			return f
		}
		return v
	case nil:
		return 0.0
	}
	return v
}

// TestUPIDCorpus parses or rejects every task id of upids.json exactly as PVE's own parser does.
func TestUPIDCorpus(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(fixtureDir(t), "upids.json"))
	if err != nil {
		t.Fatal(err)
	}
	var corpus struct {
		Cases []struct {
			UPID    string `json:"upid"`
			Valid   bool   `json:"valid"`
			Note    string `json:"note"`
			Decoded *struct {
				Node      string `json:"node"`
				PID       uint32 `json:"pid"`
				PStart    uint64 `json:"pstart"`
				StartTime int64  `json:"starttime"`
				Type      string `json:"type"`
				ID        string `json:"id"`
				User      string `json:"user"`
			} `json:"decoded"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(raw, &corpus); err != nil {
		t.Fatal(err)
	}
	if len(corpus.Cases) == 0 {
		t.Fatal("empty corpus")
	}
	for _, tc := range corpus.Cases {
		u, err := ParseUPID(tc.UPID)
		if tc.Valid != (err == nil) {
			t.Errorf("ParseUPID(%q) error = %v, want valid=%v (%s)", tc.UPID, err, tc.Valid, tc.Note)
			continue
		}
		if !tc.Valid {
			continue
		}
		d := tc.Decoded
		want := UPID{Node: d.Node, PID: d.PID, PStart: d.PStart, StartTime: time.Unix(d.StartTime, 0).UTC(), Type: d.Type, ID: d.ID, User: d.User, raw: tc.UPID}
		if diff := cmp.Diff(want, u, cmp.AllowUnexported(UPID{})); diff != "" {
			t.Errorf("ParseUPID(%q) (-want +got)\n%s", tc.UPID, diff)
		}
		if u.String() != tc.UPID {
			t.Errorf("String() = %q, want %q", u.String(), tc.UPID)
		}
	}
}
