package main

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/proxmox-mcp/proxmox-mcp/pve/schema/internal/tableformat"
)

// The table's wire format; pve/schema's decode.go reads it. Every number is an unsigned varint; a string is
// its index in the string table (0 is the empty string); a reference into a pool is the index of an entry
// written before it (children come first), or for an optional reference index+1 with 0 for none.
//
//	file    = magic strings params schemas ops
//	magic   = "pveschema1\n"
//	strings = count (count-1 entries: len bytes)
//	params  = count param…
//	param   = flags name type format pattern typetext description default alias keyAlias requires
//	          typeProperty formatDescription min max minLength maxLength count
//	          enum:(n str…) keys:(n ref…) items:optref oneOf:(n ref…) instanceTypes:(n str…)
//	schemas = count schema…
//	schema  = flags type description format pattern link min max enum:(n str…) props:(n (str ref)…)
//	          items:optref oneOf:(n ref…)
//	ops     = count op…
//	op      = flags method path summary description proxyto params:(n ref…) permUser permDescription check
//	          returns:ref
//	check   = kind, then by kind: perm (path privs:(n str…) flags requireParam), and/or (n check…),
//	          userid-group (privs groupsParam), userid-param (sub), perm-modify (path)

var checkKinds = map[string]uint64{"perm": tableformat.CheckPerm, "and": tableformat.CheckAnd, "or": tableformat.CheckOr,
	"userid-group": tableformat.CheckUseridGroup, "userid-param": tableformat.CheckUseridParam, "perm-modify": tableformat.CheckPermModify}

type encoder struct {
	strIndex map[string]uint64
	strs     []string
	params   [][]byte
	paramIdx map[string]uint64
	schemas  [][]byte
	schemaIx map[string]uint64
}

func newEncoder() *encoder {
	return &encoder{
		strIndex: map[string]uint64{"": 0},
		strs:     []string{""},
		paramIdx: map[string]uint64{},
		schemaIx: map[string]uint64{},
	}
}

type rec struct{ b []byte }

func (r *rec) u(v uint64) { r.b = binary.AppendUvarint(r.b, v) }

func (r *rec) flag(cond bool, bit uint64, flags *uint64) {
	if cond {
		*flags |= bit
	}
}

func (e *encoder) str(s string) uint64 {
	if i, ok := e.strIndex[s]; ok {
		return i
	}
	i := uint64(len(e.strs))
	e.strs = append(e.strs, s)
	e.strIndex[s] = i
	return i
}

func (e *encoder) strList(r *rec, ss []string) {
	r.u(uint64(len(ss)))
	for _, s := range ss {
		r.u(e.str(s))
	}
}

// param returns the pool index of p, sharing one entry between equal parameters (node appears in 400
// operations, the disk keys of scsi0 … scsi30 are alike).
func (e *encoder) param(p *param) uint64 {
	var keys, oneOf []uint64
	for _, k := range p.Keys {
		keys = append(keys, e.param(k))
	}
	for _, a := range p.OneOf {
		oneOf = append(oneOf, e.param(a))
	}
	var items uint64
	if p.Items != nil {
		items = e.param(p.Items) + 1
	}
	var flags uint64
	r := &rec{}
	r.flag(p.Optional, tableformat.ParamOptional, &flags)
	r.flag(p.DefaultKey, tableformat.ParamDefaultKey, &flags)
	r.flag(p.HasDefault, tableformat.ParamHasDefault, &flags)
	r.flag(p.HasMin, tableformat.ParamHasMin, &flags)
	r.flag(p.HasMax, tableformat.ParamHasMax, &flags)
	r.flag(p.HasMinLength, tableformat.ParamHasMinLength, &flags)
	r.flag(p.HasMaxLength, tableformat.ParamHasMaxLength, &flags)
	r.flag(p.KeysFromTypeText, tableformat.ParamKeysFromTypeText, &flags)
	r.u(flags)
	for _, s := range []string{p.Name, p.Type, p.Format, p.Pattern, p.TypeText, p.Description, p.Default, p.Alias,
		p.KeyAlias, p.Requires, p.TypeProperty, p.FormatDescription, p.Min, p.Max} {
		r.u(e.str(s))
	}
	r.u(uint64(p.MinLength))
	r.u(uint64(p.MaxLength))
	r.u(uint64(p.Count))
	e.strList(r, p.Enum)
	r.u(uint64(len(keys)))
	for _, k := range keys {
		r.u(k)
	}
	r.u(items)
	r.u(uint64(len(oneOf)))
	for _, a := range oneOf {
		r.u(a)
	}
	e.strList(r, p.InstanceTypes)
	key := string(r.b)
	if i, ok := e.paramIdx[key]; ok {
		return i
	}
	i := uint64(len(e.params))
	e.params = append(e.params, r.b)
	e.paramIdx[key] = i
	return i
}

func (e *encoder) schema(s *schemaNode) uint64 {
	type prop struct{ name, ref uint64 }
	var props []prop
	for _, p := range s.Props {
		props = append(props, prop{e.str(p.Name), e.schema(p.Schema)})
	}
	var items uint64
	if s.Items != nil {
		items = e.schema(s.Items) + 1
	}
	var oneOf []uint64
	for _, a := range s.OneOf {
		oneOf = append(oneOf, e.schema(a))
	}
	var flags uint64
	r := &rec{}
	r.flag(s.Optional, tableformat.SchemaOptional, &flags)
	r.flag(s.AdditionalProperties, tableformat.SchemaAdditionalProperties, &flags)
	r.flag(s.HasMin, tableformat.SchemaHasMin, &flags)
	r.flag(s.HasMax, tableformat.SchemaHasMax, &flags)
	r.u(flags)
	for _, str := range []string{s.Type, s.Description, s.Format, s.Pattern, s.Link, s.Min, s.Max} {
		r.u(e.str(str))
	}
	e.strList(r, s.Enum)
	r.u(uint64(len(props)))
	for _, p := range props {
		r.u(p.name)
		r.u(p.ref)
	}
	r.u(items)
	r.u(uint64(len(oneOf)))
	for _, a := range oneOf {
		r.u(a)
	}
	key := string(r.b)
	if i, ok := e.schemaIx[key]; ok {
		return i
	}
	i := uint64(len(e.schemas))
	e.schemas = append(e.schemas, r.b)
	e.schemaIx[key] = i
	return i
}

func (e *encoder) check(r *rec, c *check) error {
	if c == nil {
		r.u(0)
		return nil
	}
	kind, ok := checkKinds[c.Kind]
	if !ok {
		return fmt.Errorf("unknown check kind %q", c.Kind)
	}
	r.u(kind)
	switch c.Kind {
	case "perm":
		r.u(e.str(c.Path))
		e.strList(r, c.Privs)
		var flags uint64
		r.flag(c.Any, tableformat.CheckAny, &flags)
		r.u(flags)
		r.u(e.str(c.RequireParam))
	case "and", "or":
		r.u(uint64(len(c.Checks)))
		for _, sc := range c.Checks {
			if err := e.check(r, sc); err != nil {
				return err
			}
		}
	case "userid-group":
		e.strList(r, c.Privs)
		r.u(e.str(c.GroupsParam))
	case "userid-param":
		r.u(e.str(c.Sub))
	case "perm-modify":
		r.u(e.str(c.Path))
	}
	return nil
}

// encode writes the whole table.
func encode(ops []*op) ([]byte, error) {
	e := newEncoder()
	var opRecs [][]byte
	for _, o := range ops {
		var params []uint64
		for _, p := range o.Params {
			params = append(params, e.param(p))
		}
		returns := e.schema(o.Returns)
		var flags uint64
		r := &rec{}
		r.flag(o.Protected, tableformat.OpProtected, &flags)
		r.flag(o.AllowToken, tableformat.OpAllowToken, &flags)
		r.flag(o.HasPermissions, tableformat.OpHasPermissions, &flags)
		r.flag(o.ExposeCredentials, tableformat.OpExposeCredentials, &flags)
		r.flag(o.DownloadAllowed, tableformat.OpDownloadAllowed, &flags)
		r.flag(o.AdditionalParams, tableformat.OpAdditionalParams, &flags)
		r.u(flags)
		for _, s := range []string{o.Method, o.Path, o.Summary, o.Description, o.ProxyTo} {
			r.u(e.str(s))
		}
		r.u(uint64(len(params)))
		for _, p := range params {
			r.u(p)
		}
		r.u(e.str(o.PermUser))
		r.u(e.str(o.PermDescription))
		if err := e.check(r, o.Check); err != nil {
			return nil, fmt.Errorf("%s %s: %w", o.Method, o.Path, err)
		}
		r.u(returns)
		opRecs = append(opRecs, r.b)
	}
	var out bytes.Buffer
	out.WriteString(tableformat.Magic)
	w := &rec{}
	w.u(uint64(len(e.strs)))
	for _, s := range e.strs[1:] {
		w.u(uint64(len(s)))
		w.b = append(w.b, s...)
	}
	for _, pool := range [][][]byte{e.params, e.schemas, opRecs} {
		w.u(uint64(len(pool)))
		for _, b := range pool {
			w.b = append(w.b, b...)
		}
	}
	out.Write(w.b)
	return out.Bytes(), nil
}
