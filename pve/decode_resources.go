package pve

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// The guest list of a large cluster is the biggest answer the client reads, and with several clusters it is
// read from each at once: encoding/json spends most of a list's time on it (scanning the body twice, by
// reflection). resourceList reads that one shape, {"data":[{…flat…},…]}, in one pass, with each field's own
// decoder (Int, Float, Bool) on the raw value, exactly as encoding/json would call it. Anything outside that
// shape, or where the two could disagree (a nested value in a resource, a key that differs only in case, an
// escape, invalid UTF-8, a duplicate member), is handed back to encoding/json, which then decides; the fuzz
// test holds the two to the same answers.

// resourceList is []Resource with that decoder.
type resourceList []Resource

// decodeEnvelope reads a whole answer; ok is false when encoding/json must read it instead.
func (l *resourceList) decodeEnvelope(body []byte) (total Int, ok bool) {
	p := scanner{b: body, strs: map[string]string{}}
	list, total, ok := p.envelope()
	if !ok {
		return 0, false
	}
	*l = list
	return total, true
}

// fastDecoder is an answer type that reads its whole envelope itself when it can.
type fastDecoder interface {
	decodeEnvelope(body []byte) (total Int, ok bool)
}

type scanner struct {
	b    []byte
	i    int
	strs map[string]string // values that repeat (types, nodes, states, storages) are stored once
}

func (p *scanner) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// next skips whitespace and reports whether the next byte is c, consuming it if so.
func (p *scanner) next(c byte) bool {
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *scanner) envelope() (list resourceList, total Int, ok bool) {
	if !p.next('{') {
		return nil, 0, false
	}
	seen := map[string]bool{}
	if !p.next('}') {
		for {
			raw, ok := p.key()
			key := string(raw)
			if !ok || seen[key] {
				return nil, 0, false
			}
			seen[key] = true
			switch {
			case key == "data":
				p.ws()
				if bytes.HasPrefix(p.b[p.i:], []byte("null")) {
					p.i += 4
					list = nil
				} else if list, ok = p.resources(); !ok {
					return nil, 0, false
				}
			case key == "total":
				raw, ok := p.scalar()
				if !ok || total.UnmarshalJSON(raw) != nil {
					return nil, 0, false
				}
			case strings.EqualFold(key, "data") || strings.EqualFold(key, "total") || strings.EqualFold(key, "message") || strings.EqualFold(key, "errors"):
				return nil, 0, false // members encoding/json would decode (and could refuse)
			default:
				if !p.skip(0) {
					return nil, 0, false
				}
			}
			if p.next(',') {
				continue
			}
			if p.next('}') {
				break
			}
			return nil, 0, false
		}
	}
	p.ws()
	return list, total, p.i == len(p.b)
}

// key reads a member name and its colon.
func (p *scanner) key() ([]byte, bool) {
	p.ws()
	raw, ok := p.stringBytes()
	if !ok || !p.next(':') {
		return nil, false
	}
	return raw, true
}

// stringBytes reads a plain string's bytes, without the quotes: no escape, no control character, valid
// UTF-8; anything else is left to encoding/json.
func (p *scanner) stringBytes() ([]byte, bool) {
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return nil, false
	}
	start := p.i + 1
	ascii := true
	for j := start; j < len(p.b); j++ {
		c := p.b[j]
		switch {
		case c == '"':
			p.i = j + 1
			raw := p.b[start:j]
			if !ascii && !utf8.Valid(raw) {
				return nil, false
			}
			return raw, true
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= 0x80:
			ascii = false
		}
	}
	return nil, false
}

// scalar reads a number, a plain string, true, false or null, and returns its raw JSON.
func (p *scanner) scalar() ([]byte, bool) {
	p.ws()
	if p.i >= len(p.b) {
		return nil, false
	}
	start := p.i
	switch c := p.b[p.i]; {
	case c == '"':
		if _, ok := p.stringBytes(); !ok {
			return nil, false
		}
	case c == 't' || c == 'f' || c == 'n':
		for _, lit := range []string{"true", "false", "null"} {
			if bytes.HasPrefix(p.b[p.i:], []byte(lit)) {
				p.i += len(lit)
				return p.b[start:p.i], true
			}
		}
		return nil, false
	case c == '-' || '0' <= c && c <= '9':
		if !p.number() {
			return nil, false
		}
	default:
		return nil, false
	}
	return p.b[start:p.i], true
}

// number reads a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *scanner) number() bool {
	digits := func() int {
		n := 0
		for p.i < len(p.b) && '0' <= p.b[p.i] && p.b[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.b[p.i] == '-' {
		p.i++
	}
	if p.i < len(p.b) && p.b[p.i] == '0' {
		p.i++
	} else if digits() == 0 {
		return false
	}
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return false
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return false
		}
	}
	return true
}

// skip reads any value, to ignore it.
func (p *scanner) skip(depth int) bool {
	p.ws()
	if depth > 64 || p.i >= len(p.b) {
		return false
	}
	switch p.b[p.i] {
	case '{', '[':
		open, closing := p.b[p.i], byte('}')
		if open == '[' {
			closing = ']'
		}
		p.i++
		if p.next(closing) {
			return true
		}
		for {
			if open == '{' {
				if _, ok := p.key(); !ok {
					return false
				}
			}
			if !p.skip(depth + 1) {
				return false
			}
			if p.next(',') {
				continue
			}
			return p.next(closing)
		}
	}
	_, ok := p.scalar()
	return ok
}

func (p *scanner) resources() (resourceList, bool) {
	if !p.next('[') {
		return nil, false
	}
	// About 250 bytes of JSON make one guest: one allocation holds the list.
	list := make(resourceList, 0, min(len(p.b)/250+1, 1<<16))
	if p.next(']') {
		return list, true
	}
	for {
		// Read in place: a Resource of its own would escape to the heap, one allocation per guest.
		list = append(list, Resource{})
		if !p.resource(&list[len(list)-1]) {
			return nil, false
		}
		if p.next(',') {
			continue
		}
		return list, p.next(']')
	}
}

// resource reads one flat object into r, field by field as encoding/json would.
func (p *scanner) resource(r *Resource) bool {
	if !p.next('{') {
		return false
	}
	if p.next('}') {
		return true
	}
	for {
		key, ok := p.key()
		if !ok {
			return false
		}
		if !p.field(r, key) {
			return false
		}
		if p.next(',') {
			continue
		}
		return p.next('}')
	}
}

// field reads the value of member key into its field of r.
func (p *scanner) field(r *Resource, key []byte) bool {
	var str *string
	var num interface{ UnmarshalJSON([]byte) error }
	intern := true
	switch string(key) {
	case "id":
		str, intern = &r.ID, false
	case "name":
		str, intern = &r.Name, false
	case "type":
		str = &r.Type
	case "node":
		str = &r.Node
	case "status":
		str = &r.Status
	case "tags":
		str = &r.Tags
	case "lock":
		str = &r.Lock
	case "pool":
		str = &r.Pool
	case "hastate":
		str = &r.HAState
	case "storage":
		str = &r.Storage
	case "content":
		str = &r.Content
	case "plugintype":
		str = &r.PluginType
	case "vmid":
		num = &r.VMID
	case "template":
		num = &r.Template
	case "shared":
		num = &r.Shared
	case "cpu":
		num = &r.CPU
	case "maxcpu":
		num = &r.MaxCPU
	case "mem":
		num = &r.Mem
	case "maxmem":
		num = &r.MaxMem
	case "disk":
		num = &r.Disk
	case "maxdisk":
		num = &r.MaxDisk
	case "netin":
		num = &r.NetIn
	case "netout":
		num = &r.NetOut
	case "diskread":
		num = &r.DiskRead
	case "diskwrite":
		num = &r.DiskWrite
	case "uptime":
		num = &r.Uptime
	default:
		if resourceFieldFold(string(key)) {
			return false // encoding/json matches names without regard to case
		}
		return p.skip(0)
	}
	if num != nil {
		raw, ok := p.scalar()
		return ok && num.UnmarshalJSON(raw) == nil
	}
	p.ws()
	if bytes.HasPrefix(p.b[p.i:], []byte("null")) {
		p.i += 4 // null leaves a string as it is
		return true
	}
	raw, ok := p.stringBytes()
	if !ok {
		return false // a number where a string belongs: encoding/json refuses it
	}
	if s, ok := p.strs[string(raw)]; ok {
		*str = s
		return true
	}
	s := string(raw)
	if intern && len(p.strs) < 4096 {
		p.strs[s] = s
	}
	*str = s
	return true
}

// resourceFields are Resource's JSON names, for the case-insensitive match encoding/json makes.
var resourceFields = func() []string {
	var out []string
	b, _ := json.Marshal(Resource{})
	var m map[string]json.RawMessage
	_ = json.Unmarshal(b, &m)
	for k := range m {
		out = append(out, k)
	}
	return out
}()

func resourceFieldFold(key string) bool {
	for _, f := range resourceFields {
		if strings.EqualFold(f, key) {
			return true
		}
	}
	return false
}
