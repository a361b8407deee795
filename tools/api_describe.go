package tools

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve/schema"
)

type apiDescribeArgs struct {
	Method string `json:"method" arg:"required" enum:"GET|POST|PUT|DELETE" desc:"HTTP method"`
	Path   string `json:"path" arg:"required" maxlen:"1024" desc:"Template or concrete path"`
	Param  string `json:"param" maxlen:"64" desc:"Only this one, in full"`
}

// apiParamView is one parameter as describe shows it.
type apiParamView struct {
	Name        string         `json:"name"`
	In          string         `json:"in"` // path, query or body
	Required    bool           `json:"required,omitempty"`
	Type        string         `json:"type,omitempty"`
	Allowed     string         `json:"allowed,omitempty"`
	Default     string         `json:"default,omitempty"`
	Description string         `json:"description,omitempty"`
	Keys        []apiParamView `json:"keys,omitempty"` // a property string's keys, when one parameter is asked for
}

type apiDescribeResult struct {
	Method  string `json:"method"`
	Path    string `json:"path"`
	OneLine string `json:"summary" out:"-"`
	Class   string `json:"class"`
	// Escalation says when a call is judged above Class, for what its parameters do.
	Escalation  string         `json:"escalation,omitempty" out:"-"`
	Gate        string         `json:"gate"` // what the gate asks for a call of it
	Permission  string         `json:"permission" out:"-"`
	Returns     string         `json:"returns" out:"-"`
	Task        bool           `json:"task,omitempty" out:"-"` // it answers with a task id, which a call follows
	Description string         `json:"description,omitempty" out:"-"`
	Params      []apiParamView `json:"params"`
	one         bool           // one parameter was asked for
}

// Bounds on describe's text: every parameter is listed; only asking for one shows all of its words.
const (
	maxParamLine = 110 // a parameter's description in the list: its first sentence, cut
	maxAllowed   = 160 // what a parameter accepts, in the list
	maxParamText = 1500
)

func (r *apiDescribeResult) Summary() string {
	var b strings.Builder
	class := r.Class
	if r.Escalation != "" {
		class += "; " + r.Escalation
	}
	fmt.Fprintf(&b, "%s %s (%s): %s\n", r.Method, r.Path, class, r.OneLine)
	if r.Description != "" {
		fmt.Fprintf(&b, "%s\n", r.Description)
	}
	fmt.Fprintf(&b, "Gate: %s\nPrivilege: %s\nReturns: %s\n", endSentence(r.Gate), endSentence(r.Permission), endSentence(r.Returns))
	if len(r.Params) == 0 {
		b.WriteString("No parameters.")
		return b.String()
	}
	if !r.one {
		b.WriteString("Parameters (* required); param=NAME shows one in full, with a property string's keys:\n")
	}
	for _, p := range r.Params {
		b.WriteString(p.line("  "))
		for _, k := range p.Keys {
			b.WriteString(k.line("    "))
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

func (p apiParamView) line(indent string) string {
	var b strings.Builder
	b.WriteString(indent + p.Name)
	if p.Required {
		b.WriteString("*")
	}
	fmt.Fprintf(&b, " (%s): ", p.In)
	switch {
	case p.Allowed != "":
		b.WriteString(p.Allowed)
	case p.Type != "":
		b.WriteString(p.Type)
	default:
		b.WriteString("text")
	}
	if p.Default != "" {
		fmt.Fprintf(&b, "; default %s", p.Default)
	}
	line := b.String()
	if p.Description != "" {
		line = endSentence(line) + " " + p.Description
	}
	return endSentence(line) + "\n"
}

// apiDescribe describes one operation from the embedded schema; it sends nothing.
func apiDescribe(_ context.Context, e *env, _ *call, a *apiDescribeArgs) (*apiDescribeResult, error) {
	op, err := describedOperation(a.Method, a.Path)
	if err != nil {
		return nil, err
	}
	res := &apiDescribeResult{
		Method: op.Method, Path: op.Path, OneLine: clean(op.Summary, maxValue), Class: op.Class.String(),
		Escalation: op.EscalationText(), Gate: e.gateText(op), Permission: clean(op.Permission.String(), maxValue), Returns: returnsText(op),
		Task: op.ReturnsTask(), Params: []apiParamView{},
	}
	if a.Param != "" {
		p := op.Param(strings.TrimSuffix(a.Param, "[n]"))
		if p == nil {
			return nil, &ArgError{Problems: []string{fmt.Sprintf("param: %s takes no parameter %s", op.Key(), showValue(a.Param))},
				Valid: "its parameters: " + strings.Join(paramNames(op), ", ")}
		}
		res.one = true
		res.Params = append(res.Params, viewParam(op, p, true))
		return res, nil
	}
	res.Description = describeText(op.Description, op.Summary)
	for _, p := range orderedParams(op) {
		res.Params = append(res.Params, viewParam(op, p, false))
	}
	return res, nil
}

// describedOperation finds the operation a template (or a concrete path) and method name.
func describedOperation(method, path string) (*schema.Operation, error) {
	if op := schema.Lookup(method, path); op != nil {
		return op, nil
	}
	if strings.Contains(path, "{") {
		var others []string
		for _, m := range []string{"GET", "POST", "PUT", "DELETE"} {
			if schema.Lookup(m, path) != nil {
				others = append(others, m)
			}
		}
		if len(others) > 0 {
			return nil, &ArgError{Problems: []string{fmt.Sprintf("%s has no %s; it has %s", path, method, strings.Join(others, ", "))}}
		}
	}
	t, err := schema.Match(method, path)
	if err != nil {
		var pe *schema.PathError
		if errors.As(err, &pe) && strings.Contains(path, "{") && len(pe.Closest) == 0 && pe.Template == "" {
			return nil, &ArgError{Problems: []string{"path: no operation has this template; proxmox_api_find searches them"}}
		}
		return nil, apiError(nil, err)
	}
	return t.Op, nil
}

// orderedParams lists the path variables (in path order), then the required parameters, then the others.
func orderedParams(op *schema.Operation) []*schema.Param {
	out := slices.Clone(op.PathParams())
	var optional []*schema.Param
	for _, p := range op.Params {
		switch {
		case op.PathVariable(p.Name):
		case !p.Optional && p.Count == 0 && p.Alias == "" && p.TypeProperty == "":
			out = append(out, p)
		default:
			optional = append(optional, p)
		}
	}
	return append(out, optional...)
}

func paramNames(op *schema.Operation) []string {
	var out []string
	for _, p := range orderedParams(op) {
		out = append(out, p.DisplayName())
	}
	return out
}

func viewParam(op *schema.Operation, p *schema.Param, full bool) apiParamView {
	v := apiParamView{Name: p.DisplayName(), Type: p.Type, Required: !p.Optional && p.Count == 0 && p.Alias == "" && p.TypeProperty == ""}
	switch {
	case op.PathVariable(p.Name):
		v.In = "path"
	case op.Method == "GET" || op.Method == "DELETE":
		v.In = "query"
	default:
		v.In = "body"
	}
	if p.HasDefault {
		v.Default = clean(p.Default, 64)
	}
	if p.Count > 0 {
		v.Name = fmt.Sprintf("%s[n] (%s0…%s%d)", p.Name, p.Name, p.Name, p.Count-1)
	}
	if p.TypeProperty != "" && len(p.InstanceTypes) > 0 {
		v.Name += fmt.Sprintf(" (for %s %s)", p.TypeProperty, strings.Join(p.InstanceTypes, ", "))
	}
	allowed := p.Allowed()
	if p.Type == "array" && p.Items != nil {
		allowed = "a list of: " + orText(p.Items.Allowed(), p.Items.Type)
	}
	if !full {
		v.Allowed = clean(allowed, maxAllowed)
		v.Description = firstSentence(p.Description, maxParamLine)
		return v
	}
	v.Allowed = clean(allowed, maxParamText)
	if syn := p.Syntax(); syn != "" {
		v.Allowed = "a property string: " + clean(syn, maxParamText)
	}
	v.Description = clean(p.Description, maxParamText)
	for i := range p.Keys {
		k := &p.Keys[i]
		if k.Alias != "" {
			continue
		}
		kv := apiParamView{Name: k.Name, In: "key", Type: k.Type, Required: !k.Optional, Allowed: clean(k.Allowed(), maxAllowed),
			Description: firstSentence(k.Description, maxParamLine)}
		if k.DefaultKey {
			kv.In = "key, or a bare value"
		}
		if k.HasDefault {
			kv.Default = clean(k.Default, 64)
		}
		v.Keys = append(v.Keys, kv)
	}
	return v
}

func orText(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// firstSentence is the start of a schema description, up to its first full stop or line break, cut at max.
func firstSentence(s string, max int) string {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, ". "); i >= 0 {
		s = s[:i+1]
	}
	if i := strings.Index(s, "\n\n"); i >= 0 {
		s = s[:i]
	}
	return clean(s, max)
}

// describeText is an operation's description when it says more than its summary.
func describeText(desc, summary string) string {
	d := clean(desc, maxParamText)
	if d == clean(summary, maxParamText) || strings.TrimSuffix(d, ".") == strings.TrimSuffix(clean(summary, maxParamText), ".") {
		return ""
	}
	return d
}

// returnsText says what an operation answers.
func returnsText(op *schema.Operation) string {
	if op.ReturnsTask() {
		return "a task id (UPID); proxmox_api_call waits for the task and reports how it ended"
	}
	if op.Returns == nil {
		return "nothing the schema describes"
	}
	return clean(op.Returns.String(), maxParamText)
}

// escalationGate says what the gate asks of the calls an operation's escalations raise: "when delete names a
// disk or an unused volume, or skiplock is true, the call is destructive: confirm: true, destructive: true and …";
// for an operator-only escalation, that the operator must name the operation first.
func (e *env) escalationGate(op *schema.Operation, destructive string) string {
	var parts []string
	for _, c := range []schema.Class{schema.Destructive, schema.OperatorOnly} {
		var whens []string
		for _, esc := range op.Escalations() {
			if esc.Class == c && !slices.Contains(whens, esc.When) {
				whens = append(whens, esc.When)
			}
		}
		if len(whens) == 0 {
			continue
		}
		when := "when " + strings.Join(whens, ", or ")
		switch {
		case c == schema.Destructive:
			parts = append(parts, when+", the call is destructive: confirm: true, "+destructive)
		case e.policy.Allowed(op.Key()):
			parts = append(parts, when+", the call is operator-only, which the operator allowed in "+gate.EnvAPIAllow+": destructive")
		default:
			parts = append(parts, fmt.Sprintf("%s, the call is operator-only: refused until the operator adds %q to %s, then destructive", when, op.Key(), gate.EnvAPIAllow))
		}
	}
	return strings.Join(parts, "; ")
}

// gateText says what the gate asks of a generic call of op, on this server.
func (e *env) gateText(op *schema.Operation) string {
	key := op.Key()
	destructive := "destructive: true and the server setting " + gate.EnvDestructive + "=1"
	if e.policy.DestructiveEnabled() {
		destructive += " (set here)"
	} else {
		destructive += " (off here: only the operator sets it)"
	}
	var s string
	switch {
	case op.NeverGeneric:
		return "never sent by the generic tools, whatever " + gate.EnvAPIAllow + " says: guest-agent exec has a tool of its own, proxmox_guest_exec (guest toolset), with the operator's command allowlist"
	case op.Class == schema.Read:
		s = "nothing: proxmox_api_get reads it"
	case op.Class == schema.OperatorOnly && op.Method == "GET" && e.policy.Allowed(key):
		s = "nothing more: the operator allowed it in " + gate.EnvAPIAllow + "; proxmox_api_get reads it"
	case op.Class == schema.OperatorOnly && op.Method == "GET":
		s = fmt.Sprintf("refused: it can read secrets or guest data; only the operator can allow it, by adding %q to %s", key, gate.EnvAPIAllow)
	case op.Class == schema.Write && op.EscalationText() != "":
		s = "proxmox_api_call with confirm: true; " + e.escalationGate(op, destructive)
	case op.Class == schema.Write:
		s = "proxmox_api_call with confirm: true"
	case op.Class == schema.Destructive:
		s = "proxmox_api_call with confirm: true, " + destructive
	case op.Class == schema.OperatorOnly && e.policy.Allowed(key):
		s = "the operator allowed it in " + gate.EnvAPIAllow + "; proxmox_api_call sends it as a destructive operation: confirm: true, " + destructive
	case op.Class == schema.OperatorOnly:
		s = fmt.Sprintf("refused: it can grant power, run code or read secrets; only the operator can allow it, by adding %q to %s; then proxmox_api_call sends it as a destructive operation: confirm: true, %s", key, gate.EnvAPIAllow, destructive)
	default:
		return "refused: it has no class"
	}
	if op.Method != "GET" {
		s += "; dry_run: true shows the request first"
		if _, ok := e.policy.Tier("proxmox_api_call"); !ok {
			s += "; but this server does not offer proxmox_api_call (read-only, or left out by PROXMOX_TOOLS)"
		}
	}
	return s
}
