package schema

import (
	"errors"
	"fmt"
	"strconv"
)

// The wire format is documented in internal/gen/encode.go, which writes it; the flag bits match its constants.
const tableMagic = "pveschema1\n"

const (
	paramOptional = 1 << iota
	paramDefaultKey
	paramHasDefault
	paramHasMin
	paramHasMax
	paramHasMinLength
	paramHasMaxLength
	paramKeysFromTypeText
)

const (
	schemaOptional = 1 << iota
	schemaAdditionalProperties
	schemaHasMin
	schemaHasMax
)

const (
	opProtected = 1 << iota
	opAllowToken
	opHasPermissions
	opExposeCredentials
	opDownloadAllowed
	opAdditionalParams
)

const checkAny = 1

var checkKindNames = []string{1: "perm", 2: "and", 3: "or", 4: "userid-group", 5: "userid-param", 6: "perm-modify"}

var errTruncated = errors.New("truncated")

// reader walks the table. Strings are slices of the embedded data, so decoding copies no text.
type reader struct {
	data string
	pos  int
	strs []string
	err  error
}

func (r *reader) u() uint64 {
	var x uint64
	var shift uint
	for {
		if r.pos >= len(r.data) {
			r.fail(errTruncated)
			return 0
		}
		b := r.data[r.pos]
		r.pos++
		if shift >= 64 {
			r.fail(errors.New("varint overflow"))
			return 0
		}
		x |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return x
		}
		shift += 7
	}
}

// n reads a count, bounded by what the rest of the data could hold.
func (r *reader) n() int {
	v := r.u()
	if v > uint64(len(r.data)-r.pos+1) {
		r.fail(fmt.Errorf("count %d exceeds the data", v))
		return 0
	}
	return int(v)
}

func (r *reader) fail(err error) {
	if r.err == nil {
		r.err = fmt.Errorf("offset %d: %w", r.pos, err)
	}
}

func (r *reader) str() string {
	i := r.u()
	if i >= uint64(len(r.strs)) {
		r.fail(fmt.Errorf("string %d out of range", i))
		return ""
	}
	return r.strs[i]
}

func (r *reader) strList() []string {
	n := r.n()
	if n == 0 {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = r.str()
	}
	return out
}

func (r *reader) number(text string) float64 {
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		r.fail(fmt.Errorf("bound %q: %w", text, err))
	}
	return f
}

func decode(data string) (*table, error) {
	if len(data) < len(tableMagic) || data[:len(tableMagic)] != tableMagic {
		return nil, errors.New("not a schema table")
	}
	r := &reader{data: data, pos: len(tableMagic)}
	nstr := r.n()
	r.strs = make([]string, 0, nstr)
	if nstr > 0 {
		r.strs = append(r.strs, "")
	}
	for i := 1; i < nstr && r.err == nil; i++ {
		l := r.n()
		if r.pos+l > len(data) {
			r.fail(errTruncated)
			break
		}
		r.strs = append(r.strs, data[r.pos:r.pos+l])
		r.pos += l
	}
	params := make([]Param, r.n())
	for i := range params {
		params[i] = r.param(params[:i])
	}
	schemas := make([]Schema, r.n())
	for i := range schemas {
		schemas[i] = r.schema(schemas[:i])
	}
	t := &table{ops: make([]*Operation, r.n())}
	for i := range t.ops {
		t.ops[i] = r.op(params, schemas)
	}
	if r.err == nil && r.pos != len(data) {
		r.fail(errors.New("trailing data"))
	}
	if r.err != nil {
		return nil, r.err
	}
	return t, nil
}

// ref reads a reference to an earlier pool entry.
func (r *reader) ref(limit int) int {
	i := r.u()
	if i >= uint64(limit) {
		r.fail(fmt.Errorf("reference %d out of range", i))
		return -1
	}
	return int(i)
}

func (r *reader) param(earlier []Param) Param {
	flags := r.u()
	p := Param{
		Name: r.str(), Type: r.str(), Format: r.str(), Pattern: r.str(), TypeText: r.str(), Description: r.str(),
		Default: r.str(), Alias: r.str(), KeyAlias: r.str(), Requires: r.str(), TypeProperty: r.str(),
		FormatDescription: r.str(),
	}
	minText, maxText := r.str(), r.str()
	p.MinLength, p.MaxLength, p.Count = int(r.u()), int(r.u()), int(r.u())
	p.Optional = flags&paramOptional != 0
	p.DefaultKey = flags&paramDefaultKey != 0
	p.HasDefault = flags&paramHasDefault != 0
	p.HasMin = flags&paramHasMin != 0
	p.HasMax = flags&paramHasMax != 0
	p.HasMinLength = flags&paramHasMinLength != 0
	p.HasMaxLength = flags&paramHasMaxLength != 0
	p.KeysFromTypeText = flags&paramKeysFromTypeText != 0
	if p.HasMin {
		p.Min = r.number(minText)
	}
	if p.HasMax {
		p.Max = r.number(maxText)
	}
	p.Enum = r.strList()
	if n := r.n(); n > 0 {
		p.Keys = make([]Param, 0, n)
		for range n {
			if i := r.ref(len(earlier)); i >= 0 {
				p.Keys = append(p.Keys, earlier[i])
			}
		}
	}
	if it := r.u(); it > 0 {
		if it > uint64(len(earlier)) {
			r.fail(fmt.Errorf("items %d out of range", it))
		} else {
			items := earlier[it-1]
			p.Items = &items
		}
	}
	if n := r.n(); n > 0 {
		for range n {
			if i := r.ref(len(earlier)); i >= 0 {
				p.OneOf = append(p.OneOf, earlier[i])
			}
		}
	}
	p.InstanceTypes = r.strList()
	return p
}

func (r *reader) schema(earlier []Schema) Schema {
	flags := r.u()
	s := Schema{Type: r.str(), Description: r.str(), Format: r.str(), Pattern: r.str(), Link: r.str()}
	minText, maxText := r.str(), r.str()
	s.Optional = flags&schemaOptional != 0
	s.AdditionalProperties = flags&schemaAdditionalProperties != 0
	s.HasMin = flags&schemaHasMin != 0
	s.HasMax = flags&schemaHasMax != 0
	if s.HasMin {
		s.Min = r.number(minText)
	}
	if s.HasMax {
		s.Max = r.number(maxText)
	}
	s.Enum = r.strList()
	if n := r.n(); n > 0 {
		s.Properties = make([]Property, 0, n)
		for range n {
			name := r.str()
			if i := r.ref(len(earlier)); i >= 0 {
				s.Properties = append(s.Properties, Property{Name: name, Schema: &earlier[i]})
			}
		}
	}
	if it := r.u(); it > 0 {
		if it > uint64(len(earlier)) {
			r.fail(fmt.Errorf("items %d out of range", it))
		} else {
			s.Items = &earlier[it-1]
		}
	}
	if n := r.n(); n > 0 {
		for range n {
			if i := r.ref(len(earlier)); i >= 0 {
				s.OneOf = append(s.OneOf, &earlier[i])
			}
		}
	}
	return s
}

func (r *reader) op(params []Param, schemas []Schema) *Operation {
	flags := r.u()
	o := &Operation{Method: r.str(), Path: r.str(), Summary: r.str(), Description: r.str(), ProxyTo: r.str()}
	o.Protected = flags&opProtected != 0
	o.AllowToken = flags&opAllowToken != 0
	o.ExposeCredentials = flags&opExposeCredentials != 0
	o.DownloadAllowed = flags&opDownloadAllowed != 0
	o.AdditionalParams = flags&opAdditionalParams != 0
	if n := r.n(); n > 0 {
		o.Params = make([]Param, 0, n)
		for range n {
			if i := r.ref(len(params)); i >= 0 {
				o.Params = append(o.Params, params[i])
			}
		}
	}
	o.Permission = Permission{Defined: flags&opHasPermissions != 0, User: r.str(), Description: r.str()}
	o.Permission.Check = r.check(0)
	if i := r.ref(len(schemas)); i >= 0 {
		o.Returns = &schemas[i]
	} else {
		o.Returns = &Schema{}
	}
	return o
}

func (r *reader) check(depth int) *Check {
	kind := r.u()
	if kind == 0 || r.err != nil {
		return nil
	}
	if kind >= uint64(len(checkKindNames)) || depth > 16 {
		r.fail(fmt.Errorf("check kind %d", kind))
		return nil
	}
	c := &Check{Kind: checkKindNames[kind]}
	switch c.Kind {
	case "perm":
		c.Path = r.str()
		c.Privs = r.strList()
		c.Any = r.u()&checkAny != 0
		c.RequireParam = r.str()
	case "and", "or":
		n := r.n()
		for range n {
			if sc := r.check(depth + 1); sc != nil {
				c.Checks = append(c.Checks, sc)
			}
		}
	case "userid-group":
		c.Privs = r.strList()
		c.GroupsParam = r.str()
	case "userid-param":
		c.Sub = r.str()
	case "perm-modify":
		c.Path = r.str()
	}
	return c
}
