package gate

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/rs/zerolog"
)

func TestParseExecAllow(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr string
	}{
		{"", nil, ""},
		{" , ,", nil, ""},
		{"hostname", []string{"hostname"}, ""},
		{"hostname, uname ,/usr/local/bin/*", []string{"hostname", "uname", "/usr/local/bin/*"}, ""},
		{"/*", nil, `"/*"`}, // no directory named
		{"//*", nil, `"//*"`},
		{"bin/*", nil, `"bin/*"`},
		{"/usr//bin/*", nil, `"/usr//bin/*"`},
		{"/usr/bin/../sbin/*", nil, `"/usr/bin/../sbin/*"`},
		{"*", nil, `"*"`},
		{"/usr/bin/*/x", nil, `"/usr/bin/*/x"`},
		{"sys*", nil, `"sys*"`},
		{"df -h", nil, "a name of 5 characters"},
		{"ok,bad\tname", nil, "a name of 8 characters"},
	}
	for _, tc := range tests {
		got, err := ParseExecAllow(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), EnvExecAllow) {
				t.Errorf("%q: error %v, want one naming %s", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%q (-want +got)\n%s", tc.in, diff)
		}
	}
}

func TestExecAllows(t *testing.T) {
	r := ExecRule{Allow: []string{"hostname", "/usr/bin/uptime", "/opt/tools/*"}}
	tests := map[string]bool{
		"hostname":               true,
		"/usr/bin/uptime":        true,
		"/opt/tools/report":      true,
		"":                       false,
		"hostnamectl":            false, // exact, not a prefix
		"/bin/hostname":          false, // a path is not the bare name
		"uptime":                 false,
		"/usr/bin/uptime2":       false,
		"/opt/tools/":            false,
		"/opt/tools/.":           false,
		"/opt/tools/..":          false,
		"/opt/tools/x/y":         false, // directly in the directory only
		"/opt/tools/../../tmp/x": false,
		"/opt/toolsx/report":     false,
		"sh":                     false,
		// a Windows guest's separators and drive or stream marks
		`/opt/tools/..\Windows\System32\cmd.exe`: false,
		`/opt/tools/sub\x.exe`:                   false,
		"/opt/tools/C:cmd.exe":                   false,
		"/opt/tools/report:stream":               false,
		`/opt/tools\..\x`:                        false,
	}
	for prog, want := range tests {
		if got := r.Allows(prog); got != want {
			t.Errorf("Allows(%q) = %v, want %v", prog, got, want)
		}
	}
	if (ExecRule{Enabled: true}).Allows("hostname") {
		t.Error("an empty list allowed a program")
	}
}

// TestExecConditions: every combination of the three conditions, through the policy's Check: a refusal names
// each missing one, runs no handler and is audited as refused; only all three together run it.
func TestExecConditions(t *testing.T) {
	const (
		needConfirm = "confirm: true (missing)"
		needSwitch  = "the server setting PROXMOX_ENABLE_EXEC=1 (off"
		needProgram = `a program the operator's PROXMOX_EXEC_ALLOW allows ("rm" is not in it`
	)
	for _, confirm := range []bool{false, true} {
		for _, enabled := range []bool{false, true} {
			for _, allowed := range []bool{false, true} {
				name := fmt.Sprintf("confirm=%v/enabled=%v/allowed=%v", confirm, enabled, allowed)
				t.Run(name, func(t *testing.T) {
					var audit bytes.Buffer
					p := NewPolicy(true, NewAuditor(zerolog.Nop(), &audit, nil), WithExec(ExecRule{Enabled: enabled, Allow: []string{"hostname", "uname"}}))
					if _, err := p.Register(schemaTool("x", "confirm", "dry_run", "command"), Exec); err != nil {
						t.Fatal(err)
					}
					args := map[string]any{"command": []string{"rm", "-rf", "/"}}
					if allowed {
						args["command"] = []string{"hostname"}
					}
					if confirm {
						args["confirm"] = true
					}
					raw, _ := json.Marshal(args)
					called := false
					res := p.Check(context.Background(), Call{Tool: "x", Args: parse(t, string(raw))}, func(context.Context, Permit) (*mcp.CallToolResult, Outcome) {
						called = true
						return mcp.NewToolResultText("ran"), Outcome{Decision: Sent}
					})
					text := res.Content[0].(mcp.TextContent).Text
					var want []string
					if !confirm {
						want = append(want, needConfirm)
					}
					if !enabled {
						want = append(want, needSwitch)
					}
					if !allowed {
						want = append(want, needProgram, "it allows hostname, uname")
					}
					if len(want) == 0 {
						if !called || res.IsError {
							t.Fatalf("all conditions met, not run: %s", text)
						}
						return
					}
					if called || !res.IsError || !strings.HasPrefix(text, "Refused, nothing was sent to Proxmox: x is an exec tool and needs ") {
						t.Fatalf("called %v: %s", called, text)
					}
					for _, w := range want {
						if !strings.Contains(text, w) {
							t.Errorf("refusal does not say %q:\n%s", w, text)
						}
					}
					if strings.Contains(text, "PROXMOX_ENABLE_DESTRUCTIVE") {
						t.Errorf("an exec refusal talks about the destructive switch: %s", text)
					}
					var rec Record
					if err := json.Unmarshal(bytes.TrimSpace(audit.Bytes()), &rec); err != nil || rec.Decision != Refused || rec.Tier != "exec" || len(rec.Missing) != len(want)-boolInt(!allowed) {
						t.Errorf("audit %s (%v)", audit.String(), err)
					}
				})
			}
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestExecDryRun: a dry run of an exec tool runs (it sends nothing) and carries what the real call would miss.
func TestExecDryRun(t *testing.T) {
	p := NewPolicy(false, nil, WithExec(ExecRule{}))
	if _, err := p.Register(schemaTool("x", "confirm", "dry_run", "command"), Exec); err != nil {
		t.Fatal(err)
	}
	var got Permit
	p.Check(context.Background(), Call{Tool: "x", Args: parse(t, `{"dry_run":true,"command":["hostname"]}`)}, func(_ context.Context, pm Permit) (*mcp.CallToolResult, Outcome) {
		got = pm
		return mcp.NewToolResultText("dry"), Outcome{Decision: DryRun}
	})
	if !got.DryRun || len(got.Unmet) != 3 {
		t.Fatalf("permit %+v", got)
	}
	note := DryRunNote("x", Exec, got)
	for _, want := range []string{"would be refused", "an exec tool", "PROXMOX_ENABLE_EXEC=1", "it allows nothing"} {
		if !strings.Contains(note, want) {
			t.Errorf("note %q does not say %q", note, want)
		}
	}
}

// TestExecCommandShapes: a command the gate cannot read as an argv array is refused, as missing when absent
// and as invalid input when given in another shape; what the caller sent is echoed only when made of short
// plain names.
func TestExecCommandShapes(t *testing.T) {
	r := ExecRule{Enabled: true, Allow: []string{"hostname"}}
	const form = "expected an array of strings, the program first, e.g. "
	tests := []struct {
		args             string
		missing, invalid string
	}{
		{`{"confirm":true}`, "a command argument: an array of strings, the program first (none given)", ""},
		{`{"confirm":true,"command":null}`, "a command argument: an array of strings, the program first (none given)", ""},
		{`{"confirm":true,"command":"hostname"}`, "", `command: got the string "hostname"; ` + form + `["hostname"]`},
		{`{"confirm":true,"command":"uname -a"}`, "", `command: got the string "uname -a"; ` + form + `["uname","-a"]`},
		{`{"confirm":true,"command":"sk-live-abc$%^&"}`, "", `command: got a string of 15 characters; ` + form + `["df","-h"]`},
		{`{"confirm":true,"command":"\u0000"}`, "", `command: got a string of 1 character; ` + form + `["df","-h"]`},
		{`{"confirm":true,"command":[]}`, "", `command: got an empty array; ` + form + `["df","-h"]`},
		{`{"confirm":true,"command":[1]}`, "", `command: got an array that is not all strings; ` + form + `["df","-h"]`},
		{`{"confirm":true,"command":{"a":"b"}}`, "", `command: got an object; ` + form + `["df","-h"]`},
		{`{"confirm":true,"command":true}`, "", `command: got a boolean; ` + form + `["df","-h"]`},
		{`{"confirm":true,"command":[""]}`, "", `command: its first element, the program, is empty; ` + form + `["df","-h"]`},
		{`{"confirm":true,"command":["sk-live-abc$%^&"]}`, `a program the operator's PROXMOX_EXEC_ALLOW allows (a name of 15 characters is not in it; it allows hostname; widening it is the operator's decision)`, ""},
		{`{"confirm":true,"command":["hostname"]}`, "", ""},
	}
	for _, tc := range tests {
		d := r.narrow(Exec, parse(t, tc.args), Decide(Exec, parse(t, tc.args), false))
		got := struct{ Allow, Missing, Invalid string }{fmt.Sprint(d.Allow), strings.Join(d.Missing, "; "), d.Invalid}
		want := struct{ Allow, Missing, Invalid string }{fmt.Sprint(tc.missing == "" && tc.invalid == ""), tc.missing, tc.invalid}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got)\n%s", tc.args, diff)
		}
	}
	// narrow leaves other tiers alone
	if d := r.narrow(Write, parse(t, `{"confirm":true}`), Decide(Write, parse(t, `{"confirm":true}`), false)); !d.Allow {
		t.Error("narrow changed a write's decision")
	}
}

// TestExecInvalidCommandRefusal: through Check, a malformed command runs no handler, is audited as invalid,
// and the refusal says what to correct and what else the call needs, without suggesting a dry run.
func TestExecInvalidCommandRefusal(t *testing.T) {
	tests := []struct {
		rule ExecRule
		args string
		want string
	}{
		{ExecRule{Enabled: true, Allow: []string{"df"}}, `{"confirm":true,"command":"df"}`,
			`Invalid arguments, nothing was sent to Proxmox: command: got the string "df"; expected an array of strings, the program first, e.g. ["df"].`},
		{ExecRule{Enabled: true, Allow: []string{"df"}}, `{"command":"df"}`,
			`Invalid arguments, nothing was sent to Proxmox: command: got the string "df"; expected an array of strings, the program first, e.g. ["df"]. Corrected, the call still needs confirm: true (missing).`},
		{ExecRule{Enabled: true, Allow: []string{"df"}}, `{"dry_run":true,"command":"df"}`,
			`Invalid arguments, nothing was sent to Proxmox: command: got the string "df"; expected an array of strings, the program first, e.g. ["df"].`},
	}
	for _, tc := range tests {
		var audit bytes.Buffer
		p := NewPolicy(false, NewAuditor(zerolog.Nop(), &audit, nil), WithExec(tc.rule))
		if _, err := p.Register(schemaTool("x", "confirm", "dry_run", "command"), Exec); err != nil {
			t.Fatal(err)
		}
		called := false
		res := p.Check(context.Background(), Call{Tool: "x", Args: parse(t, tc.args)}, func(context.Context, Permit) (*mcp.CallToolResult, Outcome) {
			called = true
			return mcp.NewToolResultText("ran"), Outcome{Decision: Sent}
		})
		if diff := cmp.Diff(tc.want, res.Content[0].(mcp.TextContent).Text); diff != "" || called || !res.IsError {
			t.Errorf("%s: called %v, isError %v (-want +got)\n%s", tc.args, called, res.IsError, diff)
		}
		var rec Record
		if err := json.Unmarshal(bytes.TrimSpace(audit.Bytes()), &rec); err != nil || rec.Decision != Invalid || rec.Tier != "exec" {
			t.Errorf("%s: audit %s (%v)", tc.args, audit.String(), err)
		}
	}
}

func TestExecRegistrationAndAnnotations(t *testing.T) {
	p := NewPolicy(false, nil)
	if _, err := p.Register(schemaTool("no-command", "confirm", "dry_run"), Exec); err == nil {
		t.Error("an exec tool without a command argument registered")
	}
	tool, err := p.Register(schemaTool("x", "confirm", "dry_run", "command"), Exec)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Annotations(Destructive), tool.Annotations); diff != "" {
		t.Errorf("exec annotations are not the worst case (-destructive +exec)\n%s", diff)
	}
}

// FuzzExecAllows checks the allowlist against an oracle written apart from it, with package path: an exact
// entry allows that name alone; DIR/* allows a program whose directory is DIR, given in clean form, that is
// neither "." nor "..", and whose name has no character a Windows guest reads as a separator or a drive.
func FuzzExecAllows(f *testing.F) {
	for _, s := range [][2]string{{"/usr/bin/*", "/usr/bin/uptime"}, {"/usr/bin/*", "/usr/bin/../sh"}, {"hostname", "hostname"},
		{"/opt/*", "/opt//x"}, {"/opt/*", "/opt/x/"}, {"a/*", "a/."}, {"hostname", "hostname\x00"},
		{"/tools/*", `/tools/..\Windows\System32\cmd.exe`}, {"/tools/*", "/tools/c:x"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, entry, program string) {
		list, err := ParseExecAllow(entry)
		if err != nil || len(list) != 1 {
			return
		}
		e := list[0]
		want := program == e && program != ""
		if dir, ok := strings.CutSuffix(e, "/*"); ok {
			base := path.Base(program)
			want = program != "" && path.Dir(program) == dir && path.Clean(program) == program && base != "." && base != ".." &&
				program == dir+"/"+base && strings.IndexFunc(base, func(r rune) bool { return r == '\\' || r == ':' }) < 0
		}
		if got := (ExecRule{Enabled: true, Allow: list}).Allows(program); got != want {
			t.Fatalf("entry %q, program %q: allowed %v, oracle says %v", e, program, got, want)
		}
	})
}
