package schema

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/proxmox-mcp/proxmox-mcp/pve/internal/lazyre"
)

// Problem is one thing wrong with one parameter.
type Problem struct {
	// Param is the parameter as given ("net0"), "net0.model" for a key of a property string, "delete[1]" for
	// an array element.
	Param string
	// Kind is unknown, missing, type, format, pattern, length, range, enum or conflict.
	Kind string
	// Msg is what PVE says about it, word for word (the text of its 400 errors map).
	Msg string
	// Allowed is what would be accepted, for the person or model that sent the value.
	Allowed string
	// Keys are a property string's problems, key by key.
	Keys []Problem
	// RequiredBy, for a missing one, is the parameter that needs it (a schema "requires").
	RequiredBy string
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.Param)
	b.WriteString(": ")
	switch {
	case p.Kind == "unknown":
		b.WriteString("unknown parameter")
	case p.Kind == "missing":
		if p.RequiredBy != "" {
			b.WriteString("missing, and " + p.RequiredBy + " needs it")
		} else {
			b.WriteString("required, but missing")
		}
	case len(p.Keys) > 0:
		b.WriteString("invalid property string: ")
		for i, k := range p.Keys {
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(k.String())
		}
		if p.Allowed != "" {
			b.WriteString(" (syntax: " + p.Allowed + ")")
		}
		return b.String()
	default:
		b.WriteString(oneLine(p.Msg))
	}
	if p.Allowed != "" {
		if p.Kind == "unknown" {
			b.WriteString("; " + p.Allowed)
		} else {
			b.WriteString(" (expected " + p.Allowed + ")")
		}
	}
	return b.String()
}

// oneLine joins PVE's multi-line messages (which end in "\n") into one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// ValidationError lists every bad parameter of one call at once.
type ValidationError struct {
	Op       string // METHOD /path/template
	Problems []Problem
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return "invalid parameters for " + e.Op + ": " + strings.Join(parts, "; ")
}

var (
	integerRE = &lazyre.Regexp{Src: `^[+-]?\d+$`}
	numberRE  = &lazyre.Regexp{Src: `^[+-]?(\d+\.\d+|\d+\.|\.\d+|\d+)([eE][+-]?\d+)?$`}
)

// checkParam is PVE's check_prop for one text value: type, format, pattern, length, range, enumeration, in
// PVE's order and with PVE's texts; path names the value in nested (property-string) messages.
func checkParam(p *Param, path, v string) (Problem, bool) {
	fail := func(kind, msg string) (Problem, bool) {
		return Problem{Param: path, Kind: kind, Msg: msg, Allowed: p.hint()}, false
	}
	switch p.Type {
	case "boolean":
		if v != "0" && v != "1" {
			return fail("type", fmt.Sprintf("type check ('boolean') failed - got '%s'", v))
		}
	case "integer":
		if !integerRE.MatchString(v) {
			return fail("type", fmt.Sprintf("type check ('integer') failed - got '%s'", v))
		}
	case "number":
		if !numberRE.MatchString(v) {
			return fail("type", fmt.Sprintf("type check ('number') failed - got '%s'", v))
		}
	case "object":
		return fail("type", "type check ('object') failed")
	}
	if p.isPropertyString() {
		if msg, keys := checkPropertyString(p, path, v); msg != "" {
			pr, _ := fail("format", "invalid format - "+msg)
			pr.Keys = keys
			pr.Allowed = p.syntax()
			return pr, false
		}
	} else if p.Format != "" {
		if msg, _ := CheckFormat(p.Format, v); msg != "" {
			return fail("format", "invalid format - "+msg)
		}
	}
	if p.Pattern != "" {
		if re := compilePattern(p.Pattern); re != nil && !re.MatchString(v) {
			return fail("pattern", "value does not match the regex pattern")
		}
	}
	n := utf8.RuneCountInString(v)
	if p.HasMaxLength && n > p.MaxLength {
		return fail("length", fmt.Sprintf("value may only be %d characters long", p.MaxLength))
	}
	if p.HasMinLength && n < p.MinLength {
		return fail("length", fmt.Sprintf("value must be at least %d characters long", p.MinLength))
	}
	if numberRE.MatchString(v) {
		f, _ := strconv.ParseFloat(v, 64)
		if p.HasMax && f > p.Max {
			return fail("range", "value must have a maximum value of "+formatNumber(p.Max))
		}
		if p.HasMin && f < p.Min {
			return fail("range", "value must have a minimum value of "+formatNumber(p.Min))
		}
	}
	if len(p.Enum) > 0 && !slices.Contains(p.Enum, v) {
		pr, _ := fail("enum", fmt.Sprintf("value '%s' does not have a value in the enumeration '%s'", v, strings.Join(p.Enum, ", ")))
		if pr.Allowed == "one of "+strings.Join(p.Enum, ", ") {
			pr.Allowed = "" // PVE's text lists the values already
		}
		return pr, false
	}
	return Problem{}, true
}

func formatNumber(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// isPropertyString: the value is a comma-separated key=value list checked key by key (a format object, or
// a named format known only by its typetext).
func (p *Param) isPropertyString() bool {
	if len(p.Keys) == 0 {
		return false
	}
	if p.KeysFromTypeText {
		_, known := formatRegistry()[p.Format]
		return !known
	}
	return true
}

// checkValue checks one parameter's value, arrays element by element (repeated values arrive NUL-joined,
// as pve-http-server hands them on).
func checkValue(p *Param, name, v string) []Problem {
	if p.Type == "array" {
		var out []Problem
		items := p.Items
		if items == nil {
			return nil
		}
		for i, el := range strings.Split(v, "\x00") {
			if pr, ok := checkParam(items, fmt.Sprintf("%s[%d]", name, i), el); !ok {
				out = append(out, pr)
			}
		}
		return out
	}
	if pr, ok := checkParam(p, name, v); !ok {
		return []Problem{pr}
	}
	return nil
}

// parseBoolean is PVE's parse_boolean, used inside property strings.
func parseBoolean(v string) (string, bool) {
	switch strings.ToLower(v) {
	case "1", "on", "yes", "true":
		return "1", true
	case "0", "off", "no", "false":
		return "0", true
	}
	return v, false
}

// checkPropertyString is parse_property_string followed by check_object. msg is what PVE puts after
// "invalid format - ", its nested "format error" listing included; keys are the same problems one by one.
func checkPropertyString(p *Param, path, v string) (msg string, keys []Problem) {
	one := func(key, kind, text string, allowed string) (string, []Problem) {
		return text, []Problem{{Param: path + "." + key, Kind: kind, Msg: text, Allowed: allowed}}
	}
	res := map[string]string{}
	defaultKey := ""
	for _, part := range strings.Split(v, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		k, val, hasEq := strings.Cut(part, "=")
		switch {
		case hasEq && k != "" && val != "":
			if _, dup := res[k]; dup {
				return one(k, "conflict", "duplicate key in comma-separated list property: "+k+"\n", "")
			}
			spec := p.key(k)
			if spec != nil && spec.Alias != "" {
				if spec.KeyAlias != "" {
					if _, dup := res[spec.KeyAlias]; dup {
						return one(spec.KeyAlias, "conflict", "key alias '"+spec.KeyAlias+"' is already defined\n", "")
					}
					res[spec.KeyAlias] = k
				}
				k = spec.Alias
				spec = p.key(k)
				if _, dup := res[k]; dup {
					return one(k, "conflict", "key '"+k+"' is already defined (via alias)\n", "")
				}
			}
			if spec == nil {
				return one(k, "unknown", "invalid key in comma-separated list property: "+k+"\n", "keys: "+strings.Join(p.keyNames(), ", "))
			}
			if spec.Type == "boolean" {
				val, _ = parseBoolean(val)
			}
			res[k] = val
		case !hasEq:
			if defaultKey != "" {
				return one(defaultKey, "conflict", "duplicate key in comma-separated list property: "+defaultKey+"\n", "")
			}
			for i := range p.Keys {
				if p.Keys[i].DefaultKey {
					defaultKey = p.Keys[i].Name
					if _, set := res[defaultKey]; set {
						return one(defaultKey, "conflict", "duplicate key in comma-separated list property: "+defaultKey+"\n", "")
					}
					if p.Keys[i].Type == "boolean" {
						part, _ = parseBoolean(part)
					}
					res[defaultKey] = part
					break
				}
			}
			if defaultKey == "" {
				return one("", "format", "value without key, but schema does not define a default key\n", "key=value pairs")
			}
		default:
			return one("", "format", "missing key in comma-separated list property\n", "key=value pairs")
		}
	}
	errs := map[string]Problem{}
	for i := range p.Keys {
		k := &p.Keys[i]
		if k.Alias != "" {
			continue
		}
		sub := path + "." + k.Name
		val, ok := res[k.Name]
		if !ok {
			if !k.Optional {
				errs[sub] = Problem{Param: sub, Kind: "missing", Msg: "property is missing and it is not optional", Allowed: k.hint()}
			}
			continue
		}
		if pr, ok := checkParam(k, sub, val); !ok {
			errs[sub] = pr
		}
		if k.Requires != "" {
			if _, ok := res[k.Requires]; !ok {
				rq := path + "." + k.Requires
				errs[rq] = Problem{Param: rq, Kind: "missing", Msg: "missing property - '" + sub + "' requires this property", RequiredBy: sub}
			}
		}
	}
	if len(errs) == 0 {
		return "", nil
	}
	names := make([]string, 0, len(errs))
	for k := range errs {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("format error\n")
	for _, k := range names {
		b.WriteString(k + ": " + errs[k].Msg + "\n")
		keys = append(keys, errs[k])
	}
	return b.String(), keys
}

func (p *Param) keyNames() []string {
	var out []string
	for _, k := range p.Keys {
		out = append(out, k.Name)
	}
	return out
}

// check is the heart of both validators: every parameter of the operation against the merged values (path
// variables included), all problems at once, as PVE's validate does.
func (o *Operation) check(params map[string]string, allowUnknown bool) []Problem {
	var out []Problem
	instanceType := func(p *Param) (string, bool) {
		if p.TypeProperty == "" {
			return "", false
		}
		v, ok := params[p.TypeProperty]
		return v, ok
	}
	for _, p := range o.Params {
		if p.Count > 0 {
			continue // numbered parameters are all optional; checked below by name
		}
		v, given := params[p.Name]
		if !given {
			optional := p.Optional || p.Alias != ""
			if p.TypeProperty != "" {
				// a parameter of some instance types only (HA rules, SDN fabrics) may be absent from the others
				it, ok := instanceType(p)
				if !ok || len(p.OneOf) > 0 || len(p.InstanceTypes) > 0 && !slices.Contains(p.InstanceTypes, it) {
					optional = true
				}
			}
			if !optional {
				out = append(out, Problem{Param: p.Name, Kind: "missing", Msg: "property is missing and it is not optional", Allowed: p.hint()})
			}
			continue
		}
		if len(p.OneOf) > 0 {
			out = append(out, o.checkOneOf(p, v, instanceType)...)
			continue
		}
		out = append(out, checkValue(p, p.Name, v)...)
		if p.Requires != "" {
			if _, ok := params[p.Requires]; !ok {
				out = append(out, Problem{Param: p.Requires, Kind: "missing", Msg: "missing property - '" + p.Name + "' requires this property", RequiredBy: p.Name})
			}
		}
	}
	for name, v := range params {
		p := o.Param(name)
		if p == nil {
			if !allowUnknown {
				out = append(out, Problem{Param: name, Kind: "unknown",
					Msg:     "property is not defined in schema and the schema does not allow additional properties",
					Allowed: o.validNames(name)})
			}
			continue
		}
		if p.Count > 0 {
			out = append(out, checkValue(p, name, v)...)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Param < out[j].Param })
	return out
}

// checkOneOf validates against the alternatives that apply to the instance type; without one, any
// alternative that accepts the value will do.
func (o *Operation) checkOneOf(p *Param, v string, instanceType func(*Param) (string, bool)) []Problem {
	it, known := instanceType(p)
	var first []Problem
	tried := false
	for i := range p.OneOf {
		alt := &p.OneOf[i]
		if known && len(alt.InstanceTypes) > 0 && !slices.Contains(alt.InstanceTypes, it) {
			continue
		}
		tried = true
		probs := checkValue(alt, p.Name, v)
		if len(probs) == 0 {
			return nil
		}
		if first == nil {
			first = probs
		}
	}
	if !tried {
		return nil
	}
	return first
}

// validNames lists the parameters an operation takes, the closest to a wrong name first.
func (o *Operation) validNames(wrong string) string {
	var names []string
	var near []string
	for _, p := range o.Params {
		if o.PathVariable(p.Name) {
			continue
		}
		n := p.DisplayName()
		names = append(names, n)
		lw, lp := strings.ToLower(wrong), strings.ToLower(p.Name)
		if EditDistance(lw, lp) <= 2 || p.Count > 0 && strings.HasPrefix(wrong, p.Name) || len(lw) >= 4 && strings.HasPrefix(lp, lw) {
			near = append(near, n)
		}
	}
	if len(names) == 0 {
		return "this operation takes no parameters"
	}
	const max = 40
	var b strings.Builder
	if len(near) > 0 {
		b.WriteString("did you mean " + strings.Join(near, " or ") + "? ")
	}
	b.WriteString("valid: ")
	if len(names) > max {
		b.WriteString(strings.Join(names[:max], ", "))
		fmt.Fprintf(&b, ", and %d more", len(names)-max)
	} else {
		b.WriteString(strings.Join(names, ", "))
	}
	return b.String()
}

// CheckRaw validates parameters as PVE's API layer does, for a server that answers as PVE would
// (pve/pvesim): params hold text values (booleans 0/1, repeated values NUL-joined) merged with the path
// variables. The result is PVE's 400 errors map, one entry per bad parameter with PVE's text; nil when all
// are good. Unknown parameters pass where the schema allows them (Operation.AdditionalParams).
func (o *Operation) CheckRaw(params map[string]string) map[string]string {
	probs := o.check(params, o.AdditionalParams)
	if len(probs) == 0 {
		return nil
	}
	out := make(map[string]string, len(probs))
	for _, p := range probs {
		if _, dup := out[p.Param]; !dup {
			out[p.Param] = p.Msg
		}
	}
	return out
}

// Validate checks a call's arguments against the operation before anything is sent: vars are the path
// variables (Target.Vars), args the query or body parameters as a JSON client gives them. Booleans may be
// true/false, 0/1 or "0"/"1" and go out as 0/1; integers must be whole; arrays go out as repeated values.
// Unknown parameters are refused even where PVE would accept them. The result is what to send; on failure a
// *ValidationError lists every bad parameter at once, with what is allowed. Long values are not echoed.
func (o *Operation) Validate(vars map[string]string, args map[string]any) (url.Values, error) {
	raw := make(map[string]string, len(vars)+len(args))
	for k, v := range vars {
		raw[k] = v
	}
	var probs []Problem
	names := make([]string, 0, len(args))
	for k := range args {
		names = append(names, k)
	}
	sort.Strings(names)
	send := url.Values{}
	for _, name := range names {
		p := o.Param(name)
		if p == nil {
			probs = append(probs, Problem{Param: name, Kind: "unknown", Msg: "property is not defined in schema", Allowed: o.validNames(name)})
			continue
		}
		vals, pr := textValues(p, name, args[name])
		if pr != nil {
			probs = append(probs, *pr)
			continue
		}
		if o.PathVariable(name) {
			if len(vals) != 1 || vals[0] != vars[name] {
				probs = append(probs, Problem{Param: name, Kind: "conflict", Msg: "is given by the path; leave it out of the parameters"})
			}
			continue
		}
		raw[name] = strings.Join(vals, "\x00")
		send[name] = vals
	}
	bad := map[string]bool{}
	for _, p := range probs {
		bad[p.Param] = true
	}
	for _, p := range o.check(raw, false) {
		if !bad[p.Param] && !bad[strings.SplitN(p.Param, "[", 2)[0]] {
			probs = append(probs, p)
		}
	}
	if len(probs) == 0 {
		// Only a value PVE would take can still be one that reaches the guest's cloud-init.
		probs = o.cloudInitProblems(send)
	}
	if len(probs) > 0 {
		for i := range probs {
			hideValue(&probs[i], raw[probs[i].Param])
		}
		sort.SliceStable(probs, func(i, j int) bool { return probs[i].Param < probs[j].Param })
		return nil, &ValidationError{Op: o.Key(), Problems: probs}
	}
	return send, nil
}

// maxEcho is the longest value an error message repeats; longer ones (a pasted key, a password) are
// replaced by their length.
const maxEcho = 24

func hideValue(p *Problem, v string) {
	if len(v) > maxEcho {
		p.Msg = strings.ReplaceAll(p.Msg, v, fmt.Sprintf("<%d characters>", utf8.RuneCountInString(v)))
	}
	for i := range p.Keys {
		hideValue(&p.Keys[i], "")
		if len(v) > maxEcho {
			p.Keys[i].Msg = strings.ReplaceAll(p.Keys[i].Msg, v, fmt.Sprintf("<%d characters>", utf8.RuneCountInString(v)))
		}
	}
}

// textValues turns one JSON argument into the text values PVE takes.
func textValues(p *Param, name string, v any) ([]string, *Problem) {
	if p.Type == "array" {
		var items []any
		switch x := v.(type) {
		case []any:
			items = x
		case []string:
			for _, s := range x {
				items = append(items, s)
			}
		default:
			items = []any{v}
		}
		elem := p.Items
		if elem == nil {
			elem = &Param{Type: "string"}
		}
		out := make([]string, 0, len(items))
		for i, it := range items {
			s, pr := textValue(elem, fmt.Sprintf("%s[%d]", name, i), it)
			if pr != nil {
				return nil, pr
			}
			out = append(out, s)
		}
		return out, nil
	}
	if list, ok := v.([]any); ok && p.Type == "string" && strings.HasSuffix(p.Format, "-list") {
		parts := make([]string, 0, len(list))
		for i, it := range list {
			s, pr := textValue(&Param{Type: "string"}, fmt.Sprintf("%s[%d]", name, i), it)
			if pr != nil {
				return nil, pr
			}
			parts = append(parts, s)
		}
		return []string{strings.Join(parts, ",")}, nil
	}
	s, pr := textValue(p, name, v)
	if pr != nil {
		return nil, pr
	}
	return []string{s}, nil
}

func textValue(p *Param, name string, v any) (string, *Problem) {
	bad := func(what string) (string, *Problem) {
		return "", &Problem{Param: name, Kind: "type", Msg: "got " + what, Allowed: p.hint()}
	}
	var f float64
	isNum := false
	switch x := v.(type) {
	case nil:
		return bad("null; leave the parameter out instead")
	case string:
		if p.Type == "boolean" {
			switch strings.ToLower(x) {
			case "1", "true":
				return "1", nil
			case "0", "false":
				return "0", nil
			}
		}
		return x, nil
	case bool:
		// PVE types some flags as integers (a firewall rule's enable): true and false mean 1 and 0 there too
		if p.Type == "boolean" || p.Type == "integer" {
			if x {
				return "1", nil
			}
			return "0", nil
		}
		return bad("a boolean")
	case json.Number:
		if p.Type == "integer" || p.Type == "boolean" {
			if _, err := strconv.ParseInt(x.String(), 10, 64); err != nil {
				return bad("the number " + x.String())
			}
		}
		if p.Type == "boolean" && x.String() != "0" && x.String() != "1" {
			return bad("the number " + x.String())
		}
		return x.String(), nil
	case float64:
		f, isNum = x, true
	case float32:
		f, isNum = float64(x), true
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case int32:
		return strconv.FormatInt(int64(x), 10), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case uint:
		return strconv.FormatUint(uint64(x), 10), nil
	case []any, []string:
		return bad("a list")
	case map[string]any:
		return bad("an object")
	default:
		return bad(fmt.Sprintf("a %T", v))
	}
	if !isNum || math.IsNaN(f) || math.IsInf(f, 0) {
		return bad("a number that is not finite")
	}
	text := strconv.FormatFloat(f, 'f', -1, 64)
	if (p.Type == "integer" || p.Type == "boolean") && f != math.Trunc(f) {
		return bad("the number " + text)
	}
	if p.Type == "boolean" && f != 0 && f != 1 {
		return bad("the number " + text)
	}
	return text, nil
}

// Request is a call ready to send: its operation, the escaped path and the validated parameters.
type Request struct {
	Op   *Operation
	Path string            // below /api2/json, each variable escaped
	Vars map[string]string // the path variables
	// Params are the query (GET, DELETE) or body (POST, PUT) parameters, booleans as 0/1.
	Params url.Values
	// Class is what this call can do: the operation's class, or higher where one of its escalations applies
	// to these parameters (Escalated, then, with the ones that did). The gate judges the call at Class.
	Class     Class
	Escalated []Escalation
}

// Prepare matches a concrete path and validates the arguments: one call for a generic tool. The error is a
// *PathError or a *ValidationError.
func Prepare(method, path string, args map[string]any) (*Request, error) {
	t, err := Match(method, path)
	if err != nil {
		return nil, err
	}
	params, err := t.Op.Validate(t.Vars, args)
	if err != nil {
		return nil, err
	}
	r := &Request{Op: t.Op, Path: t.Path, Vars: t.Vars, Params: params}
	r.Class, r.Escalated = t.Op.ClassFor(params)
	return r, nil
}
