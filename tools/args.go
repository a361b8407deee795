package tools

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp/pve"
	"github.com/proxmox-mcp/proxmox-mcp/pve/schema"
)

// A tool's arguments are a Go struct; its tags are the single source of the input schema and of validation:
//
//	json:"name"          the argument's name (embedded structs are flattened)
//	desc:"..."           what it means to the person, in a few words; required on every argument
//	arg:"required"       it must be present
//	enum:"a|b|c"         allowed values of a string
//	check:"vmid"         a Proxmox format: vmid, node, snapshot, storage, pool, dnsname, volume, upid, disksize, tag, disk,
//	                     bridge (see checks: the official schema's formats, with the client's own caps)
//	min:"1" max:"300"    integer bounds; maxlen:"N" for strings
//	accept:"string"      an integer that may also arrive as a string of digits (a cursor a client echoes back)
//	example:"df|-h"      an array argument's example elements, shown in its errors (required on arrays: a
//	                     model that sent a string needs the form, not only the word "array")
//
// A map[string]any field is an object argument (a generic call's parameters): its members are decoded as JSON
// gives them, numbers as json.Number, and validated by the tool against the operation's schema. Unexported fields
// are not arguments: a tool may keep there what it derived from them.
//
// Decoding is strict where mcp-go's helpers are lenient: an integer must be a JSON integer (not 100.7, "100" or
// 1e2), a boolean must be true or false, names are case-sensitive, and unknown arguments are refused. Values are
// echoed in errors only when short and plain: an argument may hold a secret pasted by mistake, and a prefix of
// one is as bad as the whole.

type kind int

const (
	kindInt kind = iota + 1
	kindBool
	kindString
	kindStrings
	kindObject
)

var kindNames = map[kind]string{kindInt: "integer", kindBool: "boolean", kindString: "string", kindStrings: "array", kindObject: "object"}

type field struct {
	name      string
	index     []int
	kind      kind
	ptr       bool // *bool, *int or *string: absent differs from false, 0 or ""
	required  bool
	desc      string
	enum      []string
	check     string
	min, max  *int64
	maxLen    int
	strDigits bool     // accept:"string"
	example   []string // example:"a|b", an array's
}

type argSpec struct {
	fields []*field
	byName map[string]*field
}

// check is a Proxmox format an argument is validated against before any request is built: the official
// schema's named format (schema.CheckFormat, the rule the generic tools and the simulated cluster apply too),
// and the client's own stricter rule where the value goes into a path or a property string (pve's validators:
// ASCII, length caps). A new disk (STORAGE:GiB) and a task id have no named format in the schema: the client's
// rule is the whole check.
type check struct {
	format string
	client func(string) error
}

// checks are the formats of the check tag.
var checks = map[string]check{
	"vmid":     {format: "pve-vmid"},
	"node":     {"pve-node", pve.ValidNode},
	"snapshot": {"pve-configid", pve.ValidSnapshotName},
	"storage":  {"pve-storage-id", pve.ValidStorage},
	"pool":     {"pve-poolid", pve.ValidPool},
	"dnsname":  {"dns-name", pve.ValidDNSName},
	"volume":   {"pve-volume-id", pve.ValidVolumeID},
	"tag":      {"pve-tag", pve.ValidTag},
	"bridge":   {"pve-bridge-id", pve.ValidBridge},
	"disk":     {client: pve.ValidDiskSpec},
	"upid":     {client: func(s string) error { _, err := pve.ParseUPID(s); return err }},
	"disksize": {client: validDiskSize},
}

// validDiskSize takes a size with its unit: Proxmox reads a bare number as bytes, so +10 would grow a disk by
// ten bytes where +10G was meant.
func validDiskSize(s string) error {
	if _, _, err := pve.ParseDiskSize(s); err != nil {
		return err
	}
	if s == "" || s[len(s)-1] >= '0' && s[len(s)-1] <= '9' {
		return fmt.Errorf("size %q has no unit", s)
	}
	return nil
}

// valid reports whether s has the format.
func (c check) valid(s string) bool {
	if c.format != "" {
		if msg, known := schema.CheckFormat(c.format, s); !known || msg != "" {
			return false
		}
	}
	return c.client == nil || c.client(s) == nil
}

// specOf reads the tags of struct type t.
func specOf(t reflect.Type) (*argSpec, error) {
	s := &argSpec{byName: map[string]*field{}}
	if err := s.collect(t, nil); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *argSpec) collect(t reflect.Type, index []int) error {
	if t.Kind() != reflect.Struct {
		return fmt.Errorf("arguments must be a struct, not %s", t)
	}
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		idx := append(slices.Clone(index), i)
		if !sf.IsExported() && !sf.Anonymous {
			continue
		}
		if sf.Anonymous {
			if err := s.collect(sf.Type, idx); err != nil {
				return err
			}
			continue
		}
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			return fmt.Errorf("field %s has no json name", sf.Name)
		}
		f := &field{name: name, index: idx, required: sf.Tag.Get("arg") == "required", desc: sf.Tag.Get("desc"),
			check: sf.Tag.Get("check"), strDigits: sf.Tag.Get("accept") == "string"}
		if f.desc == "" {
			return fmt.Errorf("argument %s has no description (desc tag): the model reads every argument's", name)
		}
		switch {
		case sf.Type.Kind() == reflect.Int:
			f.kind = kindInt
		case sf.Type.Kind() == reflect.Pointer && sf.Type.Elem().Kind() == reflect.Int:
			f.kind, f.ptr = kindInt, true
		case sf.Type.Kind() == reflect.Bool:
			f.kind = kindBool
		case sf.Type.Kind() == reflect.Pointer && sf.Type.Elem().Kind() == reflect.Bool:
			f.kind, f.ptr = kindBool, true
		case sf.Type.Kind() == reflect.String:
			f.kind = kindString
		case sf.Type.Kind() == reflect.Pointer && sf.Type.Elem().Kind() == reflect.String:
			f.kind, f.ptr = kindString, true
		case sf.Type.Kind() == reflect.Slice && sf.Type.Elem().Kind() == reflect.String:
			f.kind = kindStrings
		case sf.Type == reflect.TypeFor[map[string]any]():
			f.kind = kindObject
		default:
			return fmt.Errorf("field %s: unsupported type %s", sf.Name, sf.Type)
		}
		if e := sf.Tag.Get("enum"); e != "" {
			f.enum = strings.Split(e, "|")
		}
		if e := sf.Tag.Get("example"); e != "" {
			f.example = strings.Split(e, "|")
		}
		if f.kind == kindStrings && len(f.example) == 0 {
			return fmt.Errorf("argument %s is an array without an example (example tag): its errors show the form", name)
		}
		for tag, dst := range map[string]**int64{"min": &f.min, "max": &f.max} {
			if v := sf.Tag.Get(tag); v != "" {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					return fmt.Errorf("field %s: %s: %w", sf.Name, tag, err)
				}
				*dst = &n
			}
		}
		if f.check == "vmid" {
			lo, hi := int64(pve.MinVMID), int64(pve.MaxVMID)
			f.min, f.max = &lo, &hi
		}
		if v := sf.Tag.Get("maxlen"); v != "" {
			f.maxLen, _ = strconv.Atoi(v)
		}
		if _, ok := checks[f.check]; f.check != "" && !ok {
			return fmt.Errorf("field %s: unknown check %q", sf.Name, f.check)
		}
		if _, dup := s.byName[name]; dup {
			return fmt.Errorf("argument %s declared twice", name)
		}
		s.fields = append(s.fields, f)
		s.byName[name] = f
	}
	return nil
}

// names lists the valid argument names, for error messages.
func (s *argSpec) names() string {
	n := make([]string, len(s.fields))
	for i, f := range s.fields {
		n[i] = f.name
	}
	return strings.Join(n, ", ")
}

// object is a call's arguments, parsed once: the gate reads its confirmations from it and the decoder fills the
// tool's struct from it.
type object map[string]json.RawMessage

// parseObject reads a call's raw arguments. No arguments at all, and JSON null, are an empty object.
func parseObject(raw json.RawMessage) (object, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return object{}, nil
	}
	var m object
	if raw[0] != '{' || json.Unmarshal(raw, &m) != nil {
		return nil, &ArgError{Problems: []string{"arguments must be a JSON object"}}
	}
	if m == nil {
		m = object{}
	}
	return m, nil
}

var integerLiteral = regexp.MustCompile(`^-?[0-9]+$`)

// unknown lists, shown safely and sorted, the arguments m gives that the tool does not take.
func (s *argSpec) unknown(m object) []string {
	var out []string
	for k := range m {
		if s.byName[k] == nil {
			out = append(out, showName(k))
		}
	}
	slices.Sort(out)
	return out
}

// decode fills dst (a pointer to the struct) from the parsed arguments, collecting every problem.
func (s *argSpec) decode(m object, dst any) error {
	var problems []string
	if unknown := s.unknown(m); len(unknown) > 0 {
		problems = append(problems, "unknown argument "+strings.Join(unknown, ", "))
	}
	v := reflect.ValueOf(dst).Elem()
	for _, f := range s.fields {
		r, present := m[f.name]
		if present && string(bytes.TrimSpace(r)) == "null" {
			present = false
		}
		if !present {
			if f.required {
				problems = append(problems, fmt.Sprintf("%s is required (%s)", f.name, f.allowed()))
			}
			continue
		}
		err := f.set(v.FieldByIndex(f.index), r)
		var elem *elemError
		switch {
		case errors.As(err, &elem):
			problems = append(problems, fmt.Sprintf("%s[%d]: %v; expected %s", f.name, elem.i, elem.err, f.elemExpected()))
		case err != nil:
			problems = append(problems, fmt.Sprintf("%s: %v; expected %s", f.name, err, f.expected(r)))
		}
	}
	if len(problems) > 0 {
		return &ArgError{Problems: problems, Valid: s.names()}
	}
	return nil
}

// set decodes one value strictly and validates it.
func (f *field) set(dst reflect.Value, raw json.RawMessage) error {
	raw = bytes.TrimSpace(raw)
	switch f.kind {
	case kindInt:
		lit := raw
		if f.strDigits && len(raw) > 2 && raw[0] == '"' && raw[len(raw)-1] == '"' && digitsOnly(raw[1:len(raw)-1]) {
			lit = raw[1 : len(raw)-1]
		}
		if !integerLiteral.Match(lit) {
			return fmt.Errorf("got %s", describe(raw))
		}
		n, err := strconv.ParseInt(string(lit), 10, 64)
		if err != nil {
			return fmt.Errorf("got %s (out of range)", describe(raw))
		}
		if f.min != nil && n < *f.min || f.max != nil && n > *f.max || f.check != "" && !checks[f.check].valid(strconv.FormatInt(n, 10)) {
			return fmt.Errorf("got %d", n)
		}
		if f.ptr {
			i := int(n)
			dst.Set(reflect.ValueOf(&i))
		} else {
			dst.SetInt(n)
		}
	case kindBool:
		var b bool
		switch string(raw) {
		case "true":
			b = true
		case "false":
		default:
			return fmt.Errorf("got %s", describe(raw))
		}
		if f.ptr {
			dst.Set(reflect.ValueOf(&b))
		} else {
			dst.SetBool(b)
		}
	case kindString:
		var str string
		if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &str) != nil {
			return fmt.Errorf("got %s", describe(raw))
		}
		if err := f.validString(str); err != nil {
			return err
		}
		if f.ptr {
			dst.Set(reflect.ValueOf(&str))
		} else {
			dst.SetString(str)
		}
	case kindStrings:
		var list []string
		if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &list) != nil {
			return fmt.Errorf("got %s", describe(raw))
		}
		for i, str := range list {
			if err := f.validString(str); err != nil {
				return &elemError{i, err}
			}
		}
		dst.Set(reflect.ValueOf(list))
	case kindObject:
		var m map[string]any
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if len(raw) == 0 || raw[0] != '{' || d.Decode(&m) != nil {
			return fmt.Errorf("got %s", describe(raw))
		}
		dst.Set(reflect.ValueOf(m))
	}
	return nil
}

func (f *field) validString(s string) error {
	if f.maxLen > 0 && len(s) > f.maxLen {
		return fmt.Errorf("got %d characters", len(s))
	}
	if strings.ContainsRune(s, 0) {
		return fmt.Errorf("got a NUL character")
	}
	if len(f.enum) > 0 && !slices.Contains(f.enum, s) {
		return fmt.Errorf("got %s", showValue(s))
	}
	if c, ok := checks[f.check]; ok && !c.valid(s) {
		// The validators' messages quote the value; the checked value may be anything the caller pasted.
		return fmt.Errorf("got %s", showValue(s))
	}
	return nil
}

// expected is allowed, for a value that was refused: an array given as a string shows the string as the array
// it should have been, when the string is one element that may be shown.
func (f *field) expected(raw json.RawMessage) string {
	var s string
	if f.kind != kindStrings || json.Unmarshal(raw, &s) != nil || !plainShown(s) || strings.ContainsAny(s, " ,;") || f.validString(s) != nil {
		return f.allowed()
	}
	return f.arrayOf([]string{s})
}

// arrayOf says what an array argument accepts, with example as its example.
func (f *field) arrayOf(example []string) string {
	msg := "an array of strings"
	if each := f.elemAllowed(); each != "" {
		msg += " (each " + each + ")"
	}
	ex, _ := json.Marshal(example)
	return msg + ", e.g. " + string(ex)
}

// elemError is an array element that was refused: the error names it by its index.
type elemError struct {
	i   int
	err error
}

func (e *elemError) Error() string { return e.err.Error() }

// elemExpected says what one element of an array accepts.
func (f *field) elemExpected() string {
	switch each := f.elemAllowed(); {
	case each != "":
		return each
	case f.maxLen > 0:
		return fmt.Sprintf("a string of at most %d characters", f.maxLen)
	}
	return "a string"
}

// elemAllowed says what each element of an array accepts, when more than any string.
func (f *field) elemAllowed() string {
	switch {
	case len(f.enum) > 0:
		return "one of " + strings.Join(f.enum, ", ")
	case f.check != "":
		return checkDescriptions[f.check]
	}
	return ""
}

// allowed says what a field accepts, in the words of the error message.
func (f *field) allowed() string {
	if f.kind == kindStrings {
		return f.arrayOf(f.example)
	}
	switch {
	case f.kind == kindInt && f.min != nil && f.max != nil:
		return fmt.Sprintf("an integer %d…%d", *f.min, *f.max)
	case f.kind == kindInt && f.min != nil:
		return fmt.Sprintf("an integer from %d", *f.min)
	case f.kind == kindBool:
		return "true or false"
	case len(f.enum) > 0:
		return "one of " + strings.Join(f.enum, ", ")
	case f.check != "":
		return checkDescriptions[f.check]
	case f.maxLen > 0:
		return fmt.Sprintf("a string of at most %d characters", f.maxLen)
	}
	return "a " + kindNames[f.kind]
}

var checkDescriptions = map[string]string{
	"node":     "a node name such as pve1: letters, digits and '-'",
	"snapshot": "a snapshot name: a letter, then letters, digits, '_' or '-', 2-40 characters, not current or pending",
	"storage":  "a storage id such as local-lvm",
	"pool":     "a pool id: letters, digits, '.', '_', '-', nested with '/' at most 3 deep",
	"dnsname":  "a DNS name such as web-01",
	"volume":   "a volume id STORAGE:PATH such as local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
	"upid":     "a task id UPID:node:pid:pstart:starttime:type:id:user:",
	"disksize": "a size: +10G grows by 10 GiB, 40G grows to 40 GiB (units K, M, G, T)",
	"tag":      "a tag of letters, digits, '_', '-', '+', '.'",
	"disk":     "STORAGE:GiB such as local-lvm:32",
	"bridge":   "a bridge name such as vmbr0",
}

// Echoing what the caller sent helps when it is a near miss ("runing", "100.7") and harms when it is a secret
// pasted into the wrong argument: only short values made of the characters names and numbers use are shown.
const maxShown = 24

func plainShown(s string) bool {
	if s == "" || len(s) > maxShown {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("._-:/ +", c) >= 0) {
			return false
		}
	}
	return true
}

// showValue shows a string value if it is a short plain near miss, else only its length.
func showValue(s string) string {
	if plainShown(s) {
		return strconv.Quote(s)
	}
	return "a string of " + count(len(s), "character", "characters")
}

// showName shows an unknown argument name the same way.
func showName(s string) string {
	if plainShown(s) {
		return strconv.Quote(s)
	}
	return "(a name of " + count(len(s), "character", "characters") + ")"
}

// describe names a JSON value's type and shows it when that is safe.
func describe(raw json.RawMessage) string {
	switch {
	case len(raw) == 0:
		return "nothing"
	case raw[0] == '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			if plainShown(s) {
				return "the string " + strconv.Quote(s)
			}
			return showValue(s) // "a string of N characters"
		}
		return "a malformed string"
	case raw[0] == '[':
		return "an array"
	case raw[0] == '{':
		return "an object"
	case string(raw) == "true" || string(raw) == "false":
		return "the boolean " + string(raw)
	case len(raw) <= maxShown && isNumberLiteral(raw):
		return "the number " + string(raw)
	default:
		return "a number"
	}
}

func digitsOnly(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

func isNumberLiteral(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E') {
			return false
		}
	}
	return true
}

// argProblem is one problem of an argument, from a validator's error: "name: what is wrong". A validator's
// message that names the argument already ("size \"-1G\" is not …") stands alone, so the name is not said twice.
func argProblem(name string, err error) string {
	msg := err.Error()
	if strings.HasPrefix(msg, name+" ") {
		return msg
	}
	return name + ": " + msg
}

// ArgError lists every problem with a call's arguments, and the valid names.
type ArgError struct {
	Problems []string
	Valid    string
}

func (e *ArgError) Error() string {
	msg := "Invalid arguments, nothing was sent to Proxmox: " + strings.Join(e.Problems, "; ") + "."
	if e.Valid != "" {
		msg += " Valid arguments: " + e.Valid + "."
	}
	return msg
}
