package gate

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/rs/zerolog"
)

func TestDecide(t *testing.T) {
	tests := []struct {
		name    string
		tier    Tier
		args    string
		enabled bool
		want    Decision
	}{
		{"read needs nothing", Read, `{}`, false, Decision{Allow: true}},
		{"write confirmed", Write, `{"confirm":true}`, false, Decision{Allow: true}},
		{"write unconfirmed", Write, `{}`, false, Decision{Missing: []string{"confirm: true (missing)"}}},
		{"write no arguments", Write, ``, false, Decision{Missing: []string{"confirm: true (missing)"}}},
		{"write false", Write, `{"confirm":false}`, false, Decision{Missing: []string{"confirm: true (it is false)"}}},
		{"write string true", Write, `{"confirm":"true"}`, false, Decision{Missing: []string{`confirm: true (got "true"; only the JSON literal true counts)`}}},
		{"write number 1", Write, `{"confirm":1}`, false, Decision{Missing: []string{"confirm: true (got 1; only the JSON literal true counts)"}}},
		{"write string 1", Write, `{"confirm":"1"}`, false, Decision{Missing: []string{`confirm: true (got "1"; only the JSON literal true counts)`}}},
		{"write null", Write, `{"confirm":null}`, false, Decision{Missing: []string{"confirm: true (got null; only the JSON literal true counts)"}}},
		{"write other string, not echoed", Write, `{"confirm":"5f0c2a0e-3d7b-4b8e-9a51-6c1f0b2d9e47"}`, false, Decision{Missing: []string{"confirm: true (got a string; only the JSON literal true counts)"}}},
		{"write object, not echoed", Write, `{"confirm":{"v":true}}`, false, Decision{Missing: []string{"confirm: true (got an object; only the JSON literal true counts)"}}},
		{"write other number", Write, `{"confirm":2.5}`, false, Decision{Missing: []string{"confirm: true (got a number; only the JSON literal true counts)"}}},
		{"write case", Write, `{"Confirm":true}`, false, Decision{Missing: []string{"confirm: true (missing)"}}},
		{"write dry run needs no confirm", Write, `{"dry_run":true}`, false, Decision{Allow: true, DryRun: true}},
		{"write dry run string is not a dry run", Write, `{"dry_run":"true"}`, false, Decision{Missing: []string{"confirm: true (missing)"}}},
		{"write duplicate key last wins", Write, `{"confirm":true,"confirm":false}`, false, Decision{Missing: []string{"confirm: true (it is false)"}}},
		{"not an object", Write, `[true]`, false, Decision{Missing: []string{"arguments must be a JSON object"}}},
		{"destructive all", Destructive, `{"confirm":true,"destructive":true}`, true, Decision{Allow: true}},
		{"destructive nothing", Destructive, `{}`, false, Decision{NeedsOperator: true, Missing: []string{
			"confirm: true (missing)", "destructive: true (missing)", "the server setting PROXMOX_ENABLE_DESTRUCTIVE=1 (not set)"}}},
		{"destructive env only", Destructive, `{}`, true, Decision{Missing: []string{"confirm: true (missing)", "destructive: true (missing)"}}},
		{"destructive confirm only", Destructive, `{"confirm":true}`, true, Decision{Missing: []string{"destructive: true (missing)"}}},
		{"destructive args but no env", Destructive, `{"confirm":true,"destructive":true}`, false, Decision{NeedsOperator: true, Missing: []string{
			"the server setting PROXMOX_ENABLE_DESTRUCTIVE=1 (not set)"}}},
		{"destructive string", Destructive, `{"confirm":true,"destructive":"yes"}`, true, Decision{Missing: []string{
			`destructive: true (got "yes"; only the JSON literal true counts)`}}},
		{"destructive dry run", Destructive, `{"dry_run":true}`, false, Decision{Allow: true, DryRun: true}},
		{"unknown tier", Tier(9), `{"confirm":true}`, true, Decision{Missing: []string{"a known tier (this tool has none: refusing)"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Decide(tc.tier, json.RawMessage(tc.args), tc.enabled)
			if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b []string) bool { return strings.Join(a, "|") == strings.Join(b, "|") })); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestRefusalText(t *testing.T) {
	d := Decide(Destructive, json.RawMessage(`{"destructive":"true"}`), false)
	got := Refusal("proxmox_destroy_resource", Destructive, d)
	for _, want := range []string{
		"nothing was sent to Proxmox",
		"confirm: true (missing)",
		`destructive: true (got "true"`,
		"PROXMOX_ENABLE_DESTRUCTIVE=1 (not set)",
		"operator's decision", "ask the person", "Do not change the server's configuration",
		"dry_run: true",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("refusal %q does not say %q", got, want)
		}
	}
	if strings.Contains(Refusal("proxmox_start_resource", Write, Decide(Write, nil, false)), "operator") {
		t.Error("a write refusal must not talk about the operator's switch")
	}
}

func TestAnnotations(t *testing.T) {
	type hints struct{ ReadOnly, Destructive, Idempotent, OpenWorld bool }
	want := map[Tier]hints{Read: {true, false, true, false}, Write: {false, false, false, false}, Destructive: {false, true, false, false}}
	for tier, w := range want {
		a := Annotations(tier)
		got := hints{*a.ReadOnlyHint, *a.DestructiveHint, *a.IdempotentHint, *a.OpenWorldHint}
		if diff := cmp.Diff(w, got); diff != "" {
			t.Errorf("%s (-want +got)\n%s", tier, diff)
		}
	}
}

func schemaTool(name string, props ...string) mcp.Tool {
	p := map[string]any{}
	for _, n := range props {
		p[n] = map[string]any{"type": "boolean"}
	}
	raw, _ := json.Marshal(map[string]any{"type": "object", "properties": p})
	return mcp.Tool{Name: name, RawInputSchema: raw}
}

func TestRegister(t *testing.T) {
	p := NewPolicy(false, nil)
	tool, err := p.Register(schemaTool("w", "confirm", "dry_run"), Write)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckAnnotations(tool, Write); err != nil {
		t.Error(err)
	}
	if err := CheckAnnotations(tool, Read); err == nil {
		t.Error("a write tool passed as read")
	}
	bad := schemaTool("liar", "confirm", "dry_run")
	bad.Annotations.ReadOnlyHint = ptr(true)
	cases := map[string]func() error{
		"annotations disagree":  func() error { _, err := p.Register(bad, Write); return err },
		"missing confirm":       func() error { _, err := p.Register(schemaTool("x", "dry_run"), Write); return err },
		"missing confirm (d)":   func() error { _, err := p.Register(schemaTool("v", "destructive"), Destructive); return err },
		"missing destructive":   func() error { _, err := p.Register(schemaTool("y", "confirm", "dry_run"), Destructive); return err },
		"twice":                 func() error { _, err := p.Register(schemaTool("w", "confirm", "dry_run"), Write); return err },
		"invalid tier":          func() error { _, err := p.Register(schemaTool("z"), Tier(0)); return err },
		"unset hint on a check": func() error { return CheckAnnotations(mcp.Tool{Name: "n"}, Read) },
	}
	for name, f := range cases {
		if f() == nil {
			t.Errorf("%s: registration succeeded", name)
		}
	}
}

func TestMiddleware(t *testing.T) {
	var buf, file bytes.Buffer
	p := NewPolicy(false, NewAuditor(zerolog.New(&buf), &file, nil))
	for _, r := range []struct {
		tool mcp.Tool
		tier Tier
	}{{schemaTool("r"), Read}, {schemaTool("w", "confirm", "dry_run"), Write}, {schemaTool("d", "confirm", "dry_run", "destructive"), Destructive}} {
		if _, err := p.Register(r.tool, r.tier); err != nil {
			t.Fatal(err)
		}
	}
	var called []string
	h := p.Middleware(func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		called = append(called, req.Params.Name)
		Note(ctx).UPID = "UPID:x"
		if IsDryRun(ctx) {
			return mcp.NewToolResultText("dry"), nil
		}
		return mcp.NewToolResultText("done"), nil
	})
	call := func(name, args string) *mcp.CallToolResult {
		req := mcp.CallToolRequest{}
		req.Params.Name = name
		req.Params.RawArguments = json.RawMessage(args)
		res, err := h(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	type outcome struct {
		IsError bool
		Text    string
	}
	tests := []struct {
		tool, args string
		want       outcome
		called     bool
	}{
		{"r", `{}`, outcome{false, "done"}, true},
		{"w", `{}`, outcome{true, "Refused"}, false},
		{"w", `{"confirm":true}`, outcome{false, "done"}, true},
		{"w", `{"dry_run":true}`, outcome{false, "dry"}, true},
		{"d", `{"confirm":true,"destructive":true}`, outcome{true, "PROXMOX_ENABLE_DESTRUCTIVE"}, false},
		{"unregistered", `{}`, outcome{true, "no tier registered"}, false},
	}
	for _, tc := range tests {
		called = nil
		res := call(tc.tool, tc.args)
		text := res.Content[0].(mcp.TextContent).Text
		got := outcome{res.IsError, text}
		if got.IsError != tc.want.IsError || !strings.Contains(text, tc.want.Text) {
			t.Errorf("%s %s: got %+v, want %+v", tc.tool, tc.args, got, tc.want)
		}
		if (len(called) == 1) != tc.called {
			t.Errorf("%s %s: handler called %v, want %v", tc.tool, tc.args, called, tc.called)
		}
	}
	var decisions []string
	for _, line := range strings.Split(strings.TrimSpace(file.String()), "\n") {
		var r Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		decisions = append(decisions, r.Tool+":"+r.Decision+":"+r.UPID)
	}
	want := []string{"w:refused:", "w:sent:UPID:x", "w:dry_run:UPID:x", "d:refused:"}
	if diff := cmp.Diff(want, decisions); diff != "" {
		t.Errorf("audit file (-want +got)\n%s", diff)
	}
	if n := strings.Count(buf.String(), "write attempt"); n != 4 {
		t.Errorf("log has %d audit lines, want 4", n)
	}
}

// TestAuditorScrubsBeforeEncoding: a field quoting a secret is scrubbed before the record is JSON-encoded;
// once encoded, the quoted secret's escapes are escaped again and a writer-level redactor would miss it.
func TestAuditorScrubsBeforeEncoding(t *testing.T) {
	const secret = `se"cr<t`
	var log, file bytes.Buffer
	a := NewAuditor(zerolog.New(&log), &file, func(s string) string { return strings.ReplaceAll(s, strconv.Quote(secret), "[MASK]") })
	a.Write(&Record{Tool: "proxmox_x", Decision: "refused", Error: "name " + strconv.Quote(secret) + " is not valid"}, time.Now())
	for where, out := range map[string]string{"log": log.String(), "file": file.String()} {
		if strings.Contains(out, "se\\") || !strings.Contains(out, `name [MASK] is not valid`) {
			t.Errorf("%s: %s", where, out)
		}
	}
}
