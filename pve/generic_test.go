package pve

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mcp/proxmox-mcp/pve/schema"
)

func prepared(t *testing.T, method, path string, args map[string]any) *schema.Request {
	t.Helper()
	r, err := schema.Prepare(method, path, args)
	if err != nil {
		t.Fatalf("prepare %s %s: %v", method, path, err)
	}
	return r
}

// TestNewAPIRequest: a prepared request becomes a pve.Request as it is (the path not escaped again, arrays as
// repeated keys, booleans as 0/1, the generic bound on its answer), and whatever was changed after
// schema.Prepare is refused.
func TestNewAPIRequest(t *testing.T) {
	tests := []struct {
		name, method, path string
		args               map[string]any
		wantPath           string
		wantParams         url.Values
		wantTask           bool
	}{
		{"a read", "GET", "/nodes/pve1/qemu/100/firewall/rules", nil, "/nodes/pve1/qemu/100/firewall/rules", url.Values{}, false},
		{"a volume id keeps its escaped slash", "DELETE", "/nodes/pve1/storage/local/content/local:iso%2Fdebian.iso", nil,
			"/nodes/pve1/storage/local/content/local:iso%2Fdebian.iso", url.Values{}, true},
		{"an array goes out as repeated keys", "POST", "/cluster/bulk-action/guest/start", map[string]any{"vms": []any{100, 101}},
			"/cluster/bulk-action/guest/start", url.Values{"vms": {"100", "101"}}, true},
		{"a boolean goes out as 1", "POST", "/cluster/firewall/rules", map[string]any{"action": "ACCEPT", "type": "in", "enable": true},
			"/cluster/firewall/rules", url.Values{"action": {"ACCEPT"}, "type": {"in"}, "enable": {"1"}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := NewAPIRequest(prepared(t, tc.method, tc.path, tc.args))
			if err != nil {
				t.Fatal(err)
			}
			if req.Method() != tc.method || req.Path() != tc.wantPath || req.ReturnsTask() != tc.wantTask || req.limit != genericBody {
				t.Errorf("got %s %s task=%v limit=%d", req.Method(), req.Path(), req.ReturnsTask(), req.limit)
			}
			if diff := cmp.Diff(tc.wantParams, req.Params()); diff != "" {
				t.Errorf("params (-want +got)\n%s", diff)
			}
		})
	}
}

func TestNewAPIRequestRefusesWhatSchemaDidNotValidate(t *testing.T) {
	good := func() *schema.Request {
		return prepared(t, "POST", "/cluster/firewall/rules", map[string]any{"action": "ACCEPT", "type": "in"})
	}
	tests := []struct {
		name   string
		change func(r *schema.Request) *schema.Request
	}{
		{"no request", func(*schema.Request) *schema.Request { return nil }},
		{"no operation", func(r *schema.Request) *schema.Request { r.Op = nil; return r }},
		{"another operation's path", func(r *schema.Request) *schema.Request { r.Path = "/cluster/firewall/groups"; return r }},
		{"a path that climbs", func(r *schema.Request) *schema.Request { r.Path = "/cluster/firewall/rules/../../access/acl"; return r }},
		{"a path escaped differently", func(r *schema.Request) *schema.Request { r.Path = "/cluster/firewall/%72ules"; return r }},
		{"a query in the path", func(r *schema.Request) *schema.Request { r.Path += "?type=out"; return r }},
		{"an unknown parameter", func(r *schema.Request) *schema.Request {
			r.Params.Set("digest", "x")
			r.Params.Set("nope", "1")
			return r
		}},
		{"a value changed", func(r *schema.Request) *schema.Request { r.Params.Set("type", "sideways"); return r }},
		{"a value split in two", func(r *schema.Request) *schema.Request { r.Params["type"] = []string{"in", "out"}; return r }},
		{"a required value removed", func(r *schema.Request) *schema.Request { r.Params.Del("action"); return r }},
		{"guest-agent exec", func(*schema.Request) *schema.Request {
			return prepared(t, "POST", "/nodes/pve1/qemu/100/agent/exec", map[string]any{"command": []any{"id"}})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := NewAPIRequest(tc.change(good()))
			if !errors.Is(err, ErrInvalidRequest) {
				t.Errorf("got %s, %v; want ErrInvalidRequest", req, err)
			}
		})
	}
}

// TestGenericCalls: Read sends only GETs and hands back the data as it came, scrubbed; Write sends a write
// that answers with data once, never in a read-only context; Submit refuses a write that starts no task; each
// refusal happens before anything is sent.
func TestGenericCalls(t *testing.T) {
	c, rec, _ := newTestServer(t, func(r *http.Request) answer {
		switch {
		case r.Method == "GET":
			return ok(`[{"pos":0,"comment":"token ` + testSecret + `"}]`)
		case strings.HasSuffix(r.URL.Path, "/status/start"):
			return ok(`"` + testUPID + `"`)
		}
		return ok(`null`)
	}, WithRetries(0, 0))
	ctx := context.Background()
	read, _ := NewAPIRequest(prepared(t, "GET", "/cluster/firewall/rules", nil))
	write, _ := NewAPIRequest(prepared(t, "POST", "/cluster/firewall/rules", map[string]any{"action": "ACCEPT", "type": "in"}))
	task, _ := NewAPIRequest(prepared(t, "POST", "/nodes/pve1/qemu/100/status/start", nil))

	data, err := c.Read(ctx, read)
	if err != nil || strings.Contains(string(data), testSecret) || !strings.HasPrefix(string(data), `[{"pos":0`) {
		t.Errorf("Read: %s, %v", data, err)
	}
	for name, refused := range map[string]func() error{
		"Read of a write":                 func() error { _, err := c.Read(ctx, write); return err },
		"Write of a read":                 func() error { _, err := c.Write(ctx, read); return err },
		"Write of a task":                 func() error { _, err := c.Write(ctx, task); return err },
		"Submit of a write without task":  func() error { _, err := c.Submit(ctx, write); return err },
		"Write in a read-only context":    func() error { _, err := c.Write(ReadOnly(ctx), write); return err },
		"Submit in a read-only context":   func() error { _, err := c.Submit(ReadOnly(ctx), task); return err },
		"Read of a task write, read-only": func() error { _, err := c.Read(ReadOnly(ctx), task); return err },
	} {
		if err := refused(); !errors.Is(err, ErrInvalidRequest) && !errors.Is(err, ErrReadOnly) {
			t.Errorf("%s: %v, want a refusal", name, err)
		}
	}
	if got := rec.all(); len(got) != 1 || got[0].Method != "GET" {
		t.Fatalf("refused calls reached the server: %+v", got)
	}
	data, err = c.Write(ctx, write)
	if err != nil || string(data) != "null" {
		t.Errorf("Write: %s, %v", data, err)
	}
	if _, err := c.Submit(ctx, task); err != nil {
		t.Errorf("Submit: %v", err)
	}
	got := rec.all()
	if len(got) != 3 || got[1].Method != "POST" || got[1].Body != "action=ACCEPT&type=in" || got[2].Path != "/api2/json/nodes/pve1/qemu/100/status/start" {
		t.Errorf("requests: %+v", got)
	}
}

// TestGenericWriteIsSentOnce: a write that meets a 502 is not sent again, as every write.
func TestGenericWriteIsSentOnce(t *testing.T) {
	c, rec, _ := newTestServer(t, func(*http.Request) answer { return answer{status: 502, reason: "Bad Gateway"} })
	write, _ := NewAPIRequest(prepared(t, "PUT", "/cluster/firewall/options", map[string]any{"enable": 1}))
	if _, err := c.Write(context.Background(), write); !errors.Is(err, ErrUnavailable) {
		t.Errorf("got %v", err)
	}
	if n := len(rec.all()); n != 1 {
		t.Errorf("the write was sent %d times", n)
	}
}
