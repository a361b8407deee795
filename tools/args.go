package tools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp/pve"
)

// A tool's arguments are a Go struct; its tags are the single source of the input schema and of validation:
//
//	json:"name"          the argument's name (embedded structs are flattened)
//	arg:"required"       it must be present
//	desc:"..."           a description, only where the name does not say enough
//	enum:"a|b|c"         allowed values of a string
//	check:"vmid"         a Proxmox format: vmid, node, snapshot, storage, pool, dnsname, volume, upid, tag
//	min:"1" max:"300"    integer bounds; maxlen:"N" for strings
//	schema:"noenum"      the enum is enforced but not listed in the schema (the error lists it)
//	schema:"-"           accepted and validated, but left out of the schema: a shared argument (node on a
//	                     guest, dry_run, wait, wait_seconds, limit, cursor) that the server instructions
//	                     explain once instead of every tool's schema repeating it
//
// Decoding is strict where mcp-go's helpers are lenient: an integer must be a JSON integer (not 100.7, "100" or
// 1e2), a boolean must be true or false, names are case-sensitive, and unknown arguments are refused.

type kind int

const (
	kindInt kind = iota + 1
	kindBool
	kindString
	kindStrings
)

var kindNames = map[kind]string{kindInt: "integer", kindBool: "boolean", kindString: "string", kindStrings: "array"}

type field struct {
	name     string
	index    []int
	kind     kind
	ptr      bool // *bool: absent differs from false
	required bool
	desc     string
	enum     []string
	check    string
	min, max *int64
	maxLen   int
	hidden   bool
	noEnum   bool
}

type argSpec struct {
	fields []*field
	byName map[string]*field
}

// checks are the Proxmox formats arguments are validated against before any request is built.
var checks = map[string]func(string) error{
	"node":     pve.ValidNode,
	"snapshot": pve.ValidSnapshotName,
	"storage":  pve.ValidStorage,
	"pool":     pve.ValidPool,
	"dnsname":  pve.ValidDNSName,
	"volume":   pve.ValidVolumeID,
	"tag":      pve.ValidTag,
	"upid":     func(s string) error { _, err := pve.ParseUPID(s); return err },
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
			check: sf.Tag.Get("check"), hidden: sf.Tag.Get("schema") == "-", noEnum: sf.Tag.Get("schema") == "noenum"}
		switch {
		case sf.Type.Kind() == reflect.Int:
			f.kind = kindInt
		case sf.Type.Kind() == reflect.Bool:
			f.kind = kindBool
		case sf.Type.Kind() == reflect.Pointer && sf.Type.Elem().Kind() == reflect.Bool:
			f.kind, f.ptr = kindBool, true
		case sf.Type.Kind() == reflect.String:
			f.kind = kindString
		case sf.Type.Kind() == reflect.Slice && sf.Type.Elem().Kind() == reflect.String:
			f.kind = kindStrings
		default:
			return fmt.Errorf("field %s: unsupported type %s", sf.Name, sf.Type)
		}
		if e := sf.Tag.Get("enum"); e != "" {
			f.enum = strings.Split(e, "|")
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
		if v := sf.Tag.Get("maxlen"); v != "" {
			f.maxLen, _ = strconv.Atoi(v)
		}
		if f.check != "" && f.check != "vmid" && checks[f.check] == nil {
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

var integerLiteral = regexp.MustCompile(`^-?[0-9]+$`)

// decode fills dst (a pointer to the struct) from raw arguments, collecting every problem.
func (s *argSpec) decode(raw json.RawMessage, dst any) error {
	var m map[string]json.RawMessage
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &m); err != nil {
			return &ArgError{Problems: []string{"arguments must be a JSON object"}, Valid: s.names()}
		}
	}
	var problems []string
	var unknown []string
	for k := range m {
		if s.byName[k] == nil {
			unknown = append(unknown, strconv.Quote(clean(k, 40)))
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
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
		if err := f.set(v.FieldByIndex(f.index), r); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v; expected %s", f.name, err, f.allowed()))
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
		if !integerLiteral.Match(raw) {
			return fmt.Errorf("got %s", describe(raw))
		}
		n, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil {
			return fmt.Errorf("got %s (out of range)", describe(raw))
		}
		if f.check == "vmid" {
			if n < pve.MinVMID || n > pve.MaxVMID {
				return fmt.Errorf("got %d", n)
			}
		}
		if f.min != nil && n < *f.min || f.max != nil && n > *f.max {
			return fmt.Errorf("got %d", n)
		}
		dst.SetInt(n)
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
		dst.SetString(str)
	case kindStrings:
		var list []string
		if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &list) != nil {
			return fmt.Errorf("got %s", describe(raw))
		}
		for _, str := range list {
			if err := f.validString(str); err != nil {
				return err
			}
		}
		dst.Set(reflect.ValueOf(list))
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
		return fmt.Errorf("got %q", clean(s, 40))
	}
	if c := checks[f.check]; c != nil {
		if err := c(s); err != nil {
			return err
		}
	}
	return nil
}

// allowed says what a field accepts, in the words of the error message.
func (f *field) allowed() string {
	switch {
	case f.check == "vmid":
		return fmt.Sprintf("an integer %d…%d", pve.MinVMID, pve.MaxVMID)
	case f.kind == kindInt && f.min != nil && f.max != nil:
		return fmt.Sprintf("an integer %d…%d", *f.min, *f.max)
	case f.kind == kindBool:
		return "true or false"
	case len(f.enum) > 0:
		return "one of " + strings.Join(f.enum, ", ")
	case f.check != "":
		return checkDescriptions[f.check]
	case f.kind == kindStrings:
		return "an array of strings"
	case f.maxLen > 0:
		return fmt.Sprintf("a string of at most %d characters", f.maxLen)
	}
	return "a " + kindNames[f.kind]
}

var checkDescriptions = map[string]string{
	"node":     "a node name such as pve1",
	"snapshot": "a snapshot name: a letter, then letters, digits, '_' or '-', 2-40 characters",
	"storage":  "a storage id such as local-lvm",
	"pool":     "a pool id",
	"dnsname":  "a DNS name such as web-01",
	"volume":   "a volume id STORAGE:PATH such as local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
	"upid":     "a task id UPID:node:pid:pstart:starttime:type:id:user:",
	"tag":      "tags of letters, digits, '_', '-', '+', '.'",
}

// describe names a JSON value's type and shows it briefly.
func describe(raw json.RawMessage) string {
	shown := clean(string(raw), 40)
	switch {
	case len(raw) == 0:
		return "nothing"
	case raw[0] == '"':
		return "the string " + shown
	case raw[0] == '[':
		return "an array"
	case raw[0] == '{':
		return "an object"
	case string(raw) == "true" || string(raw) == "false":
		return "the boolean " + shown
	default:
		return "the number " + shown
	}
}

// ArgError lists every problem with a call's arguments, and the valid names.
type ArgError struct {
	Problems []string
	Valid    string
}

func (e *ArgError) Error() string {
	return "invalid arguments, nothing was sent to Proxmox: " + strings.Join(e.Problems, "; ") + ". Valid arguments: " + e.Valid + "."
}

// schema is the JSON Schema of the arguments: types, enums and descriptions; ranges and formats are stated once
// in the server instructions to keep tools/list small, and enforced by decode.
func (s *argSpec) schema() json.RawMessage {
	var b bytes.Buffer
	b.WriteString(`{"type":"object","properties":{`)
	var required []string
	first := true
	for _, f := range s.fields {
		if f.hidden {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		fmt.Fprintf(&b, "%q:{\"type\":%q", f.name, kindNames[f.kind])
		if f.kind == kindStrings {
			b.WriteString(`,"items":{"type":"string"}`)
		}
		if len(f.enum) > 0 && !f.noEnum {
			e, _ := json.Marshal(f.enum)
			fmt.Fprintf(&b, `,"enum":%s`, e)
		}
		if f.desc != "" {
			d, _ := json.Marshal(f.desc)
			fmt.Fprintf(&b, `,"description":%s`, d)
		}
		b.WriteByte('}')
		if f.required {
			required = append(required, f.name)
		}
	}
	b.WriteByte('}')
	if len(required) > 0 {
		r, _ := json.Marshal(required)
		fmt.Fprintf(&b, `,"required":%s`, r)
	}
	b.WriteByte('}')
	return b.Bytes()
}
