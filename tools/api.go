package tools

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve/schema"
)

// The generic API tools reach every operation of the official schema (package pve/schema) through the same
// gate, validation, redaction, dry run and task waits as the typed tools, at a fixed cost in tools/list: find
// an operation by words, describe it, read it, or call it. Each call is validated by the schema before the
// gate decides (the path matched to its template, every parameter checked), and the gate asks what the
// operation's own class needs. The typed tools stay the fast path for what operators do most.
//
// Privileges: find and describe send nothing to Proxmox and name none. get and call need whatever their
// operation needs (describe says which); for hiding what a token can never run they name the choice of every
// privilege that can let them through: any that reads for get, any that changes something for call. A role
// that holds one of them (every role the other tools make does) gains nothing from it.
func apiTools() []Def {
	defs := []Def{
		define("proxmox_api_find", gate.Read,
			"search all 649 Proxmox API operations by words; method, path, summary, class",
			"Find Proxmox API operations by words, for what no other tool covers; then use proxmox_api_describe.",
			privs(), apiFind),
		define("proxmox_api_describe", gate.Read,
			"one API operation: every parameter, the privilege it needs, what it returns, what the gate asks",
			"One API operation in full: parameters, privilege, answer, and what the gate will ask.",
			privs(), apiDescribe),
		defineBound("proxmox_api_get", gate.Read,
			"any read (GET) of the API by concrete path and query parameters, validated by the schema; paged",
			"Read any API path, e.g. /cluster/ha/resources: a GET with query parameters, validated first.",
			privs(anyPrivilege(true)), bindGet, apiGet),
		defineBound("proxmox_api_call", gate.Destructive,
			"any POST, PUT or DELETE of the API; the gate asks what the operation's own class needs",
			"Call any API POST, PUT or DELETE by concrete path; the gate asks what its class needs (see describe).",
			privs(anyPrivilege(false)), bindCall, apiCall),
	}
	for i := range defs {
		defs[i].Toolset = ToolsetAPI
	}
	return defs
}

// gateOperation is what the gate decides a generic call on: the class of the request (its operation's, or
// the escalated one where the schema's reviewed escalations say its parameters lose data) as a tier
// (operator-only as destructive for a write, as a read for a GET, allowed only by the operator), and never
// guest-agent exec. This is the one place a generic call's class is decided; describe and find show the
// same escalations (schema.Operation.EscalationText).
func gateOperation(r *schema.Request) *gate.Operation {
	op := r.Op
	g := &gate.Operation{Key: op.Key(), Class: r.Class.String(), Escalated: escalatedText(r)}
	switch r.Class {
	case schema.Read:
		g.Tier = gate.Read
	case schema.Write:
		g.Tier = gate.Write
	case schema.Destructive:
		g.Tier = gate.Destructive
	case schema.OperatorOnly:
		g.OperatorOnly, g.Tier = true, gate.Destructive
		if op.Method == "GET" {
			g.Tier = gate.Read
		}
	}
	if op.NeverGeneric {
		g.Never = "guest-agent exec has a tool of its own, proxmox_guest_exec (guest toolset), with the operator's command allowlist"
	}
	return g
}

// escalatedText says what raised a request above its operation's class: the conditions that applied, "" for
// none.
func escalatedText(r *schema.Request) string {
	var whens []string
	for _, e := range r.Escalated {
		if !slices.Contains(whens, e.When) {
			whens = append(whens, e.When)
		}
	}
	return strings.Join(whens, " and ")
}

// classText is a request's class as results name it: "destructive: delete names a disk or an unused volume"
// when its parameters raised it.
func classText(r *schema.Request) string {
	if t := escalatedText(r); t != "" {
		return r.Class.String() + ": " + t
	}
	return r.Class.String()
}

// apiError turns what the schema refused (a path that names no operation, or not with this method; bad
// parameters) into an argument error: every problem, what is allowed, and the closest templates, echoing only
// short plain values of what the caller sent.
func apiError(args map[string]any, err error) error {
	var pe *schema.PathError
	var ve *schema.ValidationError
	switch {
	case errors.As(err, &pe):
		return &ArgError{Problems: []string{pathProblem(pe)}}
	case errors.As(err, &ve):
		probs := make([]string, 0, len(ve.Problems))
		for _, p := range ve.Problems {
			probs = append(probs, clean(hideValues(p.String(), argValues(args)), 600))
		}
		return &ArgError{Problems: append(probs, "proxmox_api_describe "+ve.Op+" lists what it takes")}
	}
	return err
}

// pathProblem says what was wrong with a path, without repeating it (the caller has it; it may be long).
func pathProblem(e *schema.PathError) string {
	var b strings.Builder
	fmt.Fprintf(&b, "path (%s): %s", e.Method, e.Reason)
	if e.Template != "" {
		fmt.Fprintf(&b, "; %s has only %s", e.Template, strings.Join(e.Methods, ", "))
		if e.Method == "GET" {
			b.WriteString(" (proxmox_api_call sends those)")
		} else if len(e.Methods) == 1 && e.Methods[0] == "GET" {
			b.WriteString(" (proxmox_api_get reads it)")
		}
	}
	var segments []string // the path's segments, as sent and unescaped: the values its problems may quote
	for _, seg := range strings.Split(e.Path, "/") {
		segments = append(segments, seg)
		if u, err := url.PathUnescape(seg); err == nil && u != seg {
			segments = append(segments, u)
		}
	}
	for i, p := range e.Problems {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(hideValues(p.String(), segments))
	}
	if len(e.Closest) > 0 {
		b.WriteString("; closest templates: ")
		for i, c := range e.Closest {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(c.String())
		}
	}
	return clean(b.String(), 1000)
}

// hideValues replaces, in a problem's text, every value the caller sent that is not a short plain near miss by
// its length: the schema's messages quote values up to 24 characters, whatever they hold.
func hideValues(msg string, values []string) string {
	for _, s := range values {
		if s != "" && !plainShown(s) && strings.Contains(msg, s) {
			msg = strings.ReplaceAll(msg, s, fmt.Sprintf("<%d characters>", utf8.RuneCountInString(s)))
		}
	}
	return msg
}

// argValues are the text values among a call's parameters.
func argValues(args map[string]any) []string {
	var out []string
	for _, v := range args {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// CheckAPIAllow reads the operator's PROXMOX_API_ALLOW entries ("METHOD /path/template", the method in any
// case, spaces as typed) and returns them as operation keys. Every entry must name an operator-only operation of
// the schema that the generic tools may ever send; each problem is reported at once, with the template a
// concrete path belongs to.
func CheckAPIAllow(entries []string) ([]string, error) {
	var keys, problems []string
	for _, e := range entries {
		method, path, _ := strings.Cut(strings.TrimSpace(e), " ")
		method, path = strings.ToUpper(method), strings.TrimSpace(path)
		op := schema.Lookup(method, path)
		switch {
		case op == nil:
			msg := fmt.Sprintf("%s names %s, which is no operation (METHOD /path/template)", gate.EnvAPIAllow, showValue(e))
			if t, err := schema.Match(method, path); err == nil {
				msg = fmt.Sprintf("%s names a concrete path; write its template: %q", gate.EnvAPIAllow, t.Op.Key())
			}
			problems = append(problems, msg)
		case op.NeverGeneric:
			problems = append(problems, fmt.Sprintf("%s names %q, which the generic tools never send (guest-agent exec has a tool of its own, proxmox_guest_exec (guest toolset), with the operator's command allowlist)", gate.EnvAPIAllow, op.Key()))
		case op.Class != schema.OperatorOnly && !escalatesToOperatorOnly(op):
			problems = append(problems, fmt.Sprintf("%s names %q, a %s operation: only operator-only ones, and those with operator-only parameters (a container's entrypoint), need allowing", gate.EnvAPIAllow, op.Key(), op.Class))
		default:
			keys = append(keys, op.Key())
		}
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return keys, nil
}

// escalatesToOperatorOnly reports whether some calls of op are operator-only by their parameters (a
// container's entrypoint): allowing op lets those through, judged as destructive.
func escalatesToOperatorOnly(op *schema.Operation) bool {
	return slices.ContainsFunc(op.Escalations(), func(e schema.Escalation) bool { return e.Class == schema.OperatorOnly })
}

// anyPrivilege is the choice ("A|B|…") of every Proxmox privilege that reads (*.Audit), or of every other one.
func anyPrivilege(audit bool) string {
	var out []string
	for _, p := range schema.Privileges() {
		if strings.HasSuffix(p, ".Audit") == audit {
			out = append(out, p)
		}
	}
	return strings.Join(out, "|")
}
