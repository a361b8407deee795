package gate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"strconv"
	"strings"
)

// Running a program in a guest is code execution. Beyond confirm: true, an exec call needs two things only the
// operator gives: the switch PROXMOX_ENABLE_EXEC=1, and the program's name in PROXMOX_EXEC_ALLOW. The gate
// reads the program from the call's command argument (an argv array) before anything is sent, so a refusal,
// like every other, sends nothing.

// Names the exec tier uses.
const (
	// EnvExec is the operator's switch for exec tools.
	EnvExec = "PROXMOX_ENABLE_EXEC"
	// EnvExecAllow is the operator's list of programs exec tools may run.
	EnvExecAllow = "PROXMOX_EXEC_ALLOW"
	// ArgCommand is the argument holding the argv array an exec tool runs.
	ArgCommand = "command"
)

// ExecRule is the operator's exec settings: whether exec tools are on, and which programs they may run. Each
// Allow entry is a program name compared with the command's first element exactly ("hostname",
// "/usr/bin/systemctl"), or "DIR/*": any program directly in DIR ("/usr/local/bin/*" allows
// /usr/local/bin/report, not /usr/local/bin/x/y or /usr/local/bin/../../tmp/x). A Windows guest also takes '\'
// as a separator and ':' for a drive or a stream, so a name in DIR holds neither (/tools/..\Windows\cmd.exe
// and /tools/x:y are not in /tools). An empty list allows nothing.
type ExecRule struct {
	Enabled bool
	Allow   []string
}

// WithExec sets the policy's exec rule (default: off, nothing allowed).
func WithExec(r ExecRule) PolicyOption { return func(p *Policy) { p.exec = r } }

// ParseExecAllow reads PROXMOX_EXEC_ALLOW: a comma list of programs, as ExecRule describes. Blank entries are
// skipped; an entry with whitespace, a control character or a '*' anywhere but a final "/*", or a DIR/* whose
// DIR is not an absolute path in clean form (/usr/local/bin, not bin, /usr//bin or /), is an error, so a typo
// never widens the list.
func ParseExecAllow(s string) ([]string, error) {
	var out, bad []string
	for _, e := range strings.Split(s, ",") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if !validAllowEntry(e) {
			bad = append(bad, showProgram(e))
			continue
		}
		out = append(out, e)
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("%s: not a program name or DIR/*: %s (it is a comma list such as hostname,uname,/usr/local/bin/*)",
			EnvExecAllow, strings.Join(bad, ", "))
	}
	return out, nil
}

func validAllowEntry(e string) bool {
	for _, r := range e {
		if r <= ' ' || r == 0x7f {
			return false
		}
	}
	dir, wild := strings.CutSuffix(e, "/*")
	if strings.Contains(dir, "*") {
		return false
	}
	// a directory is absolute and in clean form, so that what it allows is exactly DIR/NAME
	return !wild || strings.HasPrefix(dir, "/") && dir != "/" && path.Clean(dir) == dir
}

// Allows reports whether the rule allows running program (a command's first element).
func (r ExecRule) Allows(program string) bool {
	if program == "" {
		return false
	}
	for _, e := range r.Allow {
		if dir, ok := strings.CutSuffix(e, "/*"); ok {
			rest, in := strings.CutPrefix(program, dir+"/")
			if in && rest != "" && rest != "." && rest != ".." && !strings.ContainsAny(rest, `/\:`) {
				return true
			}
			continue
		}
		if program == e {
			return true
		}
	}
	return false
}

// narrow adds the exec tier's own conditions to what Decide found for an exec call: the operator's switch
// and a command the allowlist names. For a dry run they go to what the real call would miss.
func (r ExecRule) narrow(t Tier, m map[string]json.RawMessage, d Decision) Decision {
	if t != Exec {
		return d
	}
	var missing []string
	if !r.Enabled {
		missing = append(missing, fmt.Sprintf("the server setting %s=1 (off; only the operator sets it: ask the person, never change the server's environment yourself)", EnvExec))
	}
	if bad := commandProblem(m[ArgCommand]); bad != "" {
		// Not a condition the caller may lack but input to correct: the refusal says so, and how.
		d.Invalid, d.Allow = bad, false
		if !d.DryRun {
			d.Missing = append(d.Missing, missing...)
		}
		return d
	}
	if why := r.refuses(m[ArgCommand]); why != "" {
		missing = append(missing, why)
	}
	if d.DryRun {
		d.Unmet = append(d.Unmet, missing...)
		return d
	}
	d.Missing = append(d.Missing, missing...)
	d.Allow = len(d.Missing) == 0
	return d
}

// commandProblem says what is wrong with a command argument that was given but is not an argv array with a
// program first, or "" when it is one or was not given (a missing command is a missing condition).
func commandProblem(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	const form = "expected an array of strings, the program first, e.g. "
	var argv []string
	switch {
	case raw[0] == '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return ArgCommand + ": got a malformed string; " + form + `["df","-h"]`
		}
		// A shell-style line: no shell parses the command, so its words are the array's elements.
		words := strings.Fields(s)
		shown := len(words) > 0 && len(words) <= 8
		for _, w := range words {
			shown = shown && showProgram(w) == strconv.Quote(w)
		}
		if !shown {
			return fmt.Sprintf("%s: got a string of %s; %s%s", ArgCommand, characters(len(s)), form, `["df","-h"]`)
		}
		ex, _ := json.Marshal(words)
		return fmt.Sprintf("%s: got the string %s; %s%s", ArgCommand, strconv.Quote(s), form, ex)
	case raw[0] != '[' || json.Unmarshal(raw, &argv) != nil:
		return fmt.Sprintf("%s: got %s; %s%s", ArgCommand, kindOf(raw), form, `["df","-h"]`)
	case len(argv) == 0:
		return fmt.Sprintf("%s: got an empty array; %s%s", ArgCommand, form, `["df","-h"]`)
	case argv[0] == "":
		return fmt.Sprintf("%s: its first element, the program, is empty; %s%s", ArgCommand, form, `["df","-h"]`)
	}
	return ""
}

// characters writes "1 character", "15 characters".
func characters(n int) string {
	if n == 1 {
		return "1 character"
	}
	return strconv.Itoa(n) + " characters"
}

// kindOf names a JSON value's kind, echoing nothing of it.
func kindOf(raw json.RawMessage) string {
	switch raw[0] {
	case '[':
		return "an array that is not all strings"
	case '{':
		return "an object"
	case 't', 'f':
		return "a boolean"
	}
	return "a number"
}

// refuses says why the command argument is not one the rule allows, or "" when it is.
func (r ExecRule) refuses(raw json.RawMessage) string {
	var argv []string
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &argv) != nil || len(argv) == 0 {
		return fmt.Sprintf("a %s argument: an array of strings, the program first (none given)", ArgCommand)
	}
	if r.Allows(argv[0]) {
		return ""
	}
	list := "it allows nothing"
	if len(r.Allow) > 0 {
		shown := r.Allow
		if len(shown) > 12 {
			shown = append(shown[:12:12], fmt.Sprintf("and %d more", len(r.Allow)-12))
		}
		list = "it allows " + strings.Join(shown, ", ")
	}
	return fmt.Sprintf("a program the operator's %s allows (%s is not in it; %s; widening it is the operator's decision)",
		EnvExecAllow, showProgram(argv[0]), list)
}

// showProgram quotes a program name when it is short and made of the characters paths use; anything else is
// described, as an argument could hold a secret pasted by mistake.
func showProgram(s string) string {
	if s == "" || len(s) > 64 {
		return "a name of " + characters(len(s))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("/._-+*", c) >= 0) {
			return "a name of " + characters(len(s))
		}
	}
	return strconv.Quote(s)
}
