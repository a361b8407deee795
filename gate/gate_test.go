package gate

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
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
		{"write dry run needs no confirm", Write, `{"dry_run":true}`, false, Decision{Allow: true, DryRun: true, Unmet: []string{"confirm: true (missing)"}}},
		{"write dry run string is not a dry run", Write, `{"dry_run":"true"}`, false, Decision{Missing: []string{"confirm: true (missing)"}}},
		{"write duplicate key last wins", Write, `{"confirm":true,"confirm":false}`, false, Decision{Missing: []string{"confirm: true (it is false)"}}},
		{"destructive all", Destructive, `{"confirm":true,"destructive":true}`, true, Decision{Allow: true}},
		{"destructive nothing", Destructive, `{}`, false, Decision{NeedsOperator: true, Missing: []string{
			"confirm: true (missing)", "destructive: true (missing)", "the server setting PROXMOX_ENABLE_DESTRUCTIVE=1 (off)"}}},
		{"destructive env only", Destructive, `{}`, true, Decision{Missing: []string{"confirm: true (missing)", "destructive: true (missing)"}}},
		{"destructive confirm only", Destructive, `{"confirm":true}`, true, Decision{Missing: []string{"destructive: true (missing)"}}},
		{"destructive args but no env", Destructive, `{"confirm":true,"destructive":true}`, false, Decision{NeedsOperator: true, Missing: []string{
			"the server setting PROXMOX_ENABLE_DESTRUCTIVE=1 (off)"}}},
		{"destructive string", Destructive, `{"confirm":true,"destructive":"yes"}`, true, Decision{Missing: []string{
			`destructive: true (got "yes"; only the JSON literal true counts)`}}},
		{"destructive dry run says what the real call lacks", Destructive, `{"dry_run":true}`, false, Decision{Allow: true, DryRun: true, NeedsOperator: true, Unmet: []string{
			"confirm: true (missing)", "destructive: true (missing)", "the server setting PROXMOX_ENABLE_DESTRUCTIVE=1 (off)"}}},
		{"write dry run with confirm lacks nothing", Write, `{"dry_run":true,"confirm":true}`, false, Decision{Allow: true, DryRun: true}},
		{"unknown tier", Tier(9), `{"confirm":true}`, true, Decision{Missing: []string{"a known tier (this tool has none: refusing)"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Decide(tc.tier, parse(t, tc.args), tc.enabled)
			if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b []string) bool { return strings.Join(a, "|") == strings.Join(b, "|") })); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestRefusalText(t *testing.T) {
	d := Decide(Destructive, parse(t, `{"destructive":"true"}`), false)
	got := Refusal("proxmox_destroy_resource", Destructive, d)
	for _, want := range []string{
		"nothing was sent to Proxmox",
		"confirm: true (missing)",
		`destructive: true (got "true"`,
		"PROXMOX_ENABLE_DESTRUCTIVE=1 (off)",
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
	// The values a client that applies the protocol's defaults (readOnly false, destructive true, idempotent
	// false, openWorld true; destructive and idempotent meaningless when read-only) ends up with.
	type hints struct {
		ReadOnly, Destructive, Idempotent, OpenWorld bool
		Sent                                         string
	}
	effective := func(a mcp.ToolAnnotation) hints {
		val := func(p *bool, def bool) bool {
			if p == nil {
				return def
			}
			return *p
		}
		h := hints{ReadOnly: val(a.ReadOnlyHint, false), OpenWorld: val(a.OpenWorldHint, true)}
		if !h.ReadOnly {
			h.Destructive, h.Idempotent = val(a.DestructiveHint, true), val(a.IdempotentHint, false)
		}
		b, _ := json.Marshal(a)
		h.Sent = string(b)
		return h
	}
	want := map[Tier]hints{
		Read:        {true, false, false, false, `{"readOnlyHint":true,"openWorldHint":false}`},
		Write:       {false, false, false, false, `{"readOnlyHint":false,"destructiveHint":false,"openWorldHint":false}`},
		Destructive: {false, true, false, false, `{"readOnlyHint":false,"destructiveHint":true,"openWorldHint":false}`},
	}
	for tier, w := range want {
		if diff := cmp.Diff(w, effective(Annotations(tier))); diff != "" {
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

func parse(t *testing.T, args string) map[string]json.RawMessage {
	t.Helper()
	m := map[string]json.RawMessage{}
	if args != "" {
		if err := json.Unmarshal([]byte(args), &m); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

// TestCheck: the gate runs a handler only with a permit, and the audit trail says what the handler reports
// it did, not what the gate hoped.
func TestCheck(t *testing.T) {
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
	type outcome struct {
		IsError bool
		Text    string
	}
	tests := []struct {
		tool, args string
		report     Outcome // what the handler says it did
		want       outcome
		called     bool
		audit      string // tool:decision:upid:missing, or "" for none
	}{
		{"r", `{}`, Outcome{}, outcome{false, "done"}, true, ""},
		{"w", `{}`, Outcome{}, outcome{true, "Refused"}, false, "w:refused::confirm: true (missing)"},
		{"w", `{"confirm":true}`, Outcome{Decision: Sent, UPID: "UPID:x"}, outcome{false, "done"}, true, "w:sent:UPID:x:"},
		{"w", `{"confirm":true}`, Outcome{Decision: Invalid, Error: "bad name"}, outcome{false, "done"}, true, "w:invalid::"},
		{"w", `{"confirm":true}`, Outcome{Decision: Failed, Request: "POST /x"}, outcome{false, "done"}, true, "w:failed::"},
		{"w", `{"confirm":true}`, Outcome{}, outcome{false, "done"}, true, "w:failed::"},
		{"w", `{"dry_run":true}`, Outcome{Decision: DryRun}, outcome{false, "dry"}, true, "w:dry_run::confirm: true (missing)"},
		{"d", `{"confirm":true,"destructive":true}`, Outcome{}, outcome{true, "PROXMOX_ENABLE_DESTRUCTIVE"}, false, "d:refused::the server setting PROXMOX_ENABLE_DESTRUCTIVE=1 (off)"},
		{"unregistered", `{}`, Outcome{}, outcome{true, "no tier registered"}, false, ""},
	}
	for _, tc := range tests {
		file.Reset()
		called := false
		res := p.Check(context.Background(), Call{Tool: tc.tool, Args: parse(t, tc.args)}, func(ctx context.Context, pm Permit) (*mcp.CallToolResult, Outcome) {
			called = true
			if pm.DryRun {
				return mcp.NewToolResultText("dry"), tc.report
			}
			return mcp.NewToolResultText("done"), tc.report
		})
		text := res.Content[0].(mcp.TextContent).Text
		if res.IsError != tc.want.IsError || !strings.Contains(text, tc.want.Text) {
			t.Errorf("%s %s: got %v %q, want %+v", tc.tool, tc.args, res.IsError, text, tc.want)
		}
		if called != tc.called {
			t.Errorf("%s %s: handler called %v, want %v", tc.tool, tc.args, called, tc.called)
		}
		got := ""
		if line := strings.TrimSpace(file.String()); line != "" {
			var r Record
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatalf("audit line %q: %v", line, err)
			}
			got = r.Tool + ":" + r.Decision + ":" + r.UPID + ":" + strings.Join(r.Missing, ",")
		}
		if got != tc.audit {
			t.Errorf("%s %s (%+v): audit %q, want %q", tc.tool, tc.args, tc.report, got, tc.audit)
		}
	}
	if n := strings.Count(buf.String(), "write attempt"); n != 7 {
		t.Errorf("log has %d audit lines, want 7", n)
	}
}

func TestDryRunNote(t *testing.T) {
	d := Decide(Destructive, parse(t, `{"dry_run":true}`), false)
	got := DryRunNote("proxmox_destroy_resource", Destructive, Permit{Tier: Destructive, DryRun: true, Unmet: d.Unmet, NeedsOperator: d.NeedsOperator})
	for _, want := range []string{"would be refused", "destructive: true (missing)", "PROXMOX_ENABLE_DESTRUCTIVE=1 (off)", "operator's decision"} {
		if !strings.Contains(got, want) {
			t.Errorf("note %q does not say %q", got, want)
		}
	}
	d = Decide(Write, parse(t, `{"dry_run":true,"confirm":true}`), false)
	if got := DryRunNote("w", Write, Permit{Tier: Write, DryRun: true, Unmet: d.Unmet}); !strings.Contains(got, "would be allowed") {
		t.Errorf("a confirmed dry run: %q", got)
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

// Every message that names a tool's tier, or an operation's class, takes the article the word needs: "an
// exec tool", "an operator-only operation".
func TestTierAndClassArticles(t *testing.T) {
	p := NewPolicy(false, nil)
	_, regErr := p.Register(schemaTool("e", "confirm", "dry_run"), Exec)
	never := p.judge("api_get", Read, opAllowed).never
	tests := []struct {
		name, got, want string
	}{
		{"read", Read.ToolPhrase(), "a read tool"},
		{"write", Write.ToolPhrase(), "a write tool"},
		{"destructive", Destructive.ToolPhrase(), "a destructive tool"},
		{"exec", Exec.ToolPhrase(), "an exec tool"},
		{"refusal", Refusal("proxmox_guest_exec", Exec, Decision{Missing: []string{"confirm: true (missing)"}}),
			"Refused, nothing was sent to Proxmox: proxmox_guest_exec is an exec tool and needs confirm: true (missing). To see what would be sent without changing anything, call it with dry_run: true."},
		{"dry run", DryRunNote("proxmox_guest_exec", Exec, Permit{Tier: Exec, DryRun: true, Unmet: []string{"confirm: true (missing)"}}),
			"The real call would be refused as it stands: proxmox_guest_exec is an exec tool and needs confirm: true (missing)."},
		{"registration", fmt.Sprint(regErr), `register e: an exec tool must declare the "command" argument`},
		{"operation beyond the tool", never, "PUT /access/acl is an operator-only operation, beyond what api_get is registered for (read)"},
		{"operation allowed", operationDryRunNote(opAllowed, Permit{Tier: Destructive, DryRun: true}),
			"The real call would be allowed: it has every confirmation an operator-only operation needs."},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, tc.got); diff != "" {
			t.Errorf("%s (-want +got)\n%s", tc.name, diff)
		}
	}
}
