package schema

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/proxmox-mcp/proxmox-mcp/pve/schema/internal/tableformat"
)

// The wire format is documented in internal/gen/encode.go, which writes it; internal/tableformat holds the
// markers both use.

var checkKindNames = []string{tableformat.CheckPerm: "perm", tableformat.CheckAnd: "and", tableformat.CheckOr: "or",
	tableformat.CheckUseridGroup: "userid-group", tableformat.CheckUseridParam: "userid-param", tableformat.CheckPermModify: "perm-modify"}

var errTruncated = errors.New("truncated")

// reader walks the table. Strings are slices of the embedded data, so decoding copies no text.
type reader struct {
	data string
	pos  int
	strs []uint32 // offset of each string's length prefix; 0 is the empty string
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
	if i == 0 {
		return ""
	}
	pos := int(r.strs[i])
	var l, shift uint
	for ; pos < len(r.data); shift += 7 {
		b := r.data[pos]
		pos++
		l |= uint(b&0x7f) << shift
		if b < 0x80 {
			break
		}
	}
	return r.data[pos : pos+int(l)] // bounds checked when the table was indexed
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

// The table is read in two steps. index, on first use, reads the string table, skims every record for its
// offset and reads each operation's method and path: enough to route requests. The rest of a record is
// decoded when something asks for it (ensure), so a process that routes a few calls never holds the other
// 640 operations' parameters in memory.
func index(data string) (*table, error) {
	if len(data) < len(tableformat.Magic) || data[:len(tableformat.Magic)] != tableformat.Magic {
		return nil, errors.New("not a schema table")
	}
	r := &reader{data: data, pos: len(tableformat.Magic)}
	nstr := r.n()
	r.strs = make([]uint32, 0, nstr)
	if nstr > 0 {
		r.strs = append(r.strs, 0)
	}
	for i := 1; i < nstr && r.err == nil; i++ {
		start := r.pos
		l := r.n()
		if r.pos+l > len(data) {
			r.fail(errTruncated)
			break
		}
		r.strs = append(r.strs, uint32(start))
		r.pos += l
	}
	t := &table{data: data, strs: r.strs}
	t.paramOff = make([]int, r.n())
	for i := range t.paramOff {
		t.paramOff[i] = r.pos
		r.skipParam()
	}
	t.schemaOff = make([]int, r.n())
	for i := range t.schemaOff {
		t.schemaOff[i] = r.pos
		r.skipSchema()
	}
	t.params = make([]*Param, len(t.paramOff))
	t.schemas = make([]*Schema, len(t.schemaOff))
	t.heads = make([]opHead, r.n())
	for i := range t.heads {
		h := &t.heads[i]
		h.off = r.pos
		r.u() // flags
		h.method, h.path = r.str(), r.str()
		r.pos = h.off
		r.skipOp()
	}
	if r.err == nil && r.pos != len(data) {
		r.fail(errors.New("trailing data"))
	}
	if r.err != nil {
		return nil, r.err
	}
	return t, nil
}

// decodeAll decodes every record, reporting the first defect: the tests' check that the table is whole.
func decodeAll(data string) (t *table, err error) {
	t, err = index(data)
	if err != nil {
		return nil, err
	}
	defer func() {
		if p := recover(); p != nil {
			t, err = nil, fmt.Errorf("%v", p)
		}
	}()
	for i := range t.heads {
		t.get(&t.heads[i])
	}
	return t, nil
}

func (r *reader) skipStrings(n int) {
	for range n {
		r.u()
	}
}

func (r *reader) skipList() { r.skipStrings(r.n()) }

// skipParam walks over a param record (see param for its fields).
func (r *reader) skipParam() {
	r.u()
	r.skipStrings(14 + 3) // strings, then minLength, maxLength, count
	r.skipList()          // enum
	r.skipList()          // keys
	r.u()                 // items
	r.skipList()          // oneOf
	r.skipList()          // instance types
}

func (r *reader) skipSchema() {
	r.u()
	r.skipStrings(7)
	r.skipList() // enum
	r.skipStrings(2 * r.n())
	r.u()        // items
	r.skipList() // oneOf
}

func (r *reader) skipOp() {
	r.u()
	r.skipStrings(5)
	r.skipList() // params
	r.skipStrings(2)
	r.skipCheck(0)
	r.u() // returns
}

func (r *reader) skipCheck(depth int) {
	kind := r.u()
	if depth > 16 {
		r.fail(errors.New("checks nest too deep"))
		return
	}
	switch kind {
	case 0:
	case tableformat.CheckPerm:
		r.u()
		r.skipList()
		r.u()
		r.u()
	case tableformat.CheckAnd, tableformat.CheckOr:
		for range r.n() {
			r.skipCheck(depth + 1)
		}
	case tableformat.CheckUseridGroup:
		r.skipList()
		r.u()
	case tableformat.CheckUseridParam, tableformat.CheckPermModify:
		r.u()
	default:
		r.fail(fmt.Errorf("check kind %d", kind))
	}
}

// reader at offset off, sharing the string table.
func (t *table) at(off int) *reader { return &reader{data: t.data, pos: off, strs: t.strs} }

// param returns pool entry i, decoding it (and the entries it refers to) on first use. t.mu is held.
func (t *table) param(i int) *Param {
	if p := t.params[i]; p != nil {
		return p
	}
	r := t.at(t.paramOff[i])
	p := r.param(t, i)
	if r.err != nil {
		panic("schema: embedded table: param " + r.err.Error())
	}
	t.params[i] = &p
	return &p
}

func (t *table) schema(i int) *Schema {
	if s := t.schemas[i]; s != nil {
		return s
	}
	r := t.at(t.schemaOff[i])
	s := r.schema(t, i)
	if r.err != nil {
		panic("schema: embedded table: returns schema " + r.err.Error())
	}
	t.schemas[i] = &s
	return &s
}

// get decodes an operation and classifies it, once.
func (t *table) get(h *opHead) *Operation {
	if o := h.op.Load(); o != nil {
		return o
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if o := h.op.Load(); o != nil {
		return o
	}
	o := &Operation{Method: h.method, Path: h.path, segs: h.segs}
	r := t.at(h.off)
	r.op(t, o)
	if r.err != nil {
		panic("schema: embedded table: " + o.Key() + ": " + r.err.Error())
	}
	classifyOne(o)
	h.op.Store(o)
	return o
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

// param decodes pool entry self; its references point to earlier entries only.
func (r *reader) param(t *table, self int) Param {
	flags := r.u()
	p := Param{
		Name: r.str(), Type: r.str(), Format: r.str(), Pattern: r.str(), TypeText: r.str(), Description: r.str(),
		Default: r.str(), Alias: r.str(), KeyAlias: r.str(), Requires: r.str(), TypeProperty: r.str(),
		FormatDescription: r.str(),
	}
	minText, maxText := r.str(), r.str()
	p.MinLength, p.MaxLength, p.Count = int(r.u()), int(r.u()), int(r.u())
	p.Optional = flags&tableformat.ParamOptional != 0
	p.DefaultKey = flags&tableformat.ParamDefaultKey != 0
	p.HasDefault = flags&tableformat.ParamHasDefault != 0
	p.HasMin = flags&tableformat.ParamHasMin != 0
	p.HasMax = flags&tableformat.ParamHasMax != 0
	p.HasMinLength = flags&tableformat.ParamHasMinLength != 0
	p.HasMaxLength = flags&tableformat.ParamHasMaxLength != 0
	p.KeysFromTypeText = flags&tableformat.ParamKeysFromTypeText != 0
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
			if i := r.ref(self); i >= 0 {
				p.Keys = append(p.Keys, *t.param(i))
			}
		}
	}
	if it := r.u(); it > 0 {
		if it > uint64(self) {
			r.fail(fmt.Errorf("items %d out of range", it))
		} else {
			items := *t.param(int(it - 1))
			p.Items = &items
		}
	}
	if n := r.n(); n > 0 {
		for range n {
			if i := r.ref(self); i >= 0 {
				p.OneOf = append(p.OneOf, *t.param(i))
			}
		}
	}
	p.InstanceTypes = r.strList()
	return p
}

func (r *reader) schema(t *table, self int) Schema {
	flags := r.u()
	s := Schema{Type: r.str(), Description: r.str(), Format: r.str(), Pattern: r.str(), Link: r.str()}
	minText, maxText := r.str(), r.str()
	s.Optional = flags&tableformat.SchemaOptional != 0
	s.AdditionalProperties = flags&tableformat.SchemaAdditionalProperties != 0
	s.HasMin = flags&tableformat.SchemaHasMin != 0
	s.HasMax = flags&tableformat.SchemaHasMax != 0
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
			if i := r.ref(self); i >= 0 {
				s.Properties = append(s.Properties, Property{Name: name, Schema: t.schema(i)})
			}
		}
	}
	if it := r.u(); it > 0 {
		if it > uint64(self) {
			r.fail(fmt.Errorf("items %d out of range", it))
		} else {
			s.Items = t.schema(int(it - 1))
		}
	}
	if n := r.n(); n > 0 {
		for range n {
			if i := r.ref(self); i >= 0 {
				s.OneOf = append(s.OneOf, t.schema(i))
			}
		}
	}
	return s
}

// op decodes an operation's record into o (whose Method and Path index already set).
func (r *reader) op(t *table, o *Operation) {
	flags := r.u()
	r.str()
	r.str()
	o.Summary, o.Description, o.ProxyTo = r.str(), r.str(), r.str()
	o.Protected = flags&tableformat.OpProtected != 0
	o.AllowToken = flags&tableformat.OpAllowToken != 0
	o.ExposeCredentials = flags&tableformat.OpExposeCredentials != 0
	o.DownloadAllowed = flags&tableformat.OpDownloadAllowed != 0
	o.AdditionalParams = flags&tableformat.OpAdditionalParams != 0
	if n := r.n(); n > 0 {
		o.Params = make([]*Param, 0, n)
		for range n {
			if i := r.ref(len(t.params)); i >= 0 {
				o.Params = append(o.Params, t.param(i))
			}
		}
	}
	o.Permission = Permission{Defined: flags&tableformat.OpHasPermissions != 0, User: r.str(), Description: r.str()}
	o.Permission.Check = r.check(0)
	if i := r.ref(len(t.schemas)); i >= 0 {
		o.Returns = t.schema(i)
	} else {
		o.Returns = &Schema{}
	}
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
		c.Any = r.u()&tableformat.CheckAny != 0
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
