package pvesim

import (
	"math"
	"strconv"
	"unicode/utf8"
)

// jsonWriter appends JSON to a byte slice. Answers are built with it rather than encoding/json so that the
// order of keys is fixed, absent fields are simply not written (Proxmox omits, never nulls), integers stay
// integers, and a 5,000-guest /cluster/resources costs no reflection.
//
// Commas are placed by looking at the last byte written: after '{', '[' or ':' none is needed.
type jsonWriter struct{ b []byte }

// rawJSON is an answer already encoded; handlers return it as their data.
type rawJSON []byte

func (w *jsonWriter) sep() {
	if n := len(w.b); n > 0 {
		switch w.b[n-1] {
		case '{', '[', ':':
		default:
			w.b = append(w.b, ',')
		}
	}
}

func (w *jsonWriter) key(k string) {
	w.sep()
	w.b = appendJSONString(w.b, k)
	w.b = append(w.b, ':')
}

// Str writes "k":"v".
func (w *jsonWriter) Str(k, v string) { w.key(k); w.b = appendJSONString(w.b, v) }

// Int writes "k":v.
func (w *jsonWriter) Int(k string, v int64) { w.key(k); w.b = strconv.AppendInt(w.b, v, 10) }

// Bit writes a Proxmox boolean: "k":1 or "k":0.
func (w *jsonWriter) Bit(k string, v bool) {
	w.key(k)
	if v {
		w.b = append(w.b, '1')
	} else {
		w.b = append(w.b, '0')
	}
}

// Bool writes a JSON boolean (a few nested answers, like qemu's proxmox-support, use real ones).
func (w *jsonWriter) Bool(k string, v bool) { w.key(k); w.b = strconv.AppendBool(w.b, v) }

// Float writes "k":v with the shortest representation that round-trips.
func (w *jsonWriter) Float(k string, v float64) { w.key(k); w.b = appendFloat(w.b, v) }

// Raw writes "k": followed by already encoded JSON.
func (w *jsonWriter) Raw(k string, v []byte) { w.key(k); w.b = append(w.b, v...) }

// Null writes "k":null.
func (w *jsonWriter) Null(k string) { w.key(k); w.b = append(w.b, "null"...) }

// Obj opens an object member; End closes it.
func (w *jsonWriter) Obj(k string) { w.key(k); w.b = append(w.b, '{') }

// Arr opens an array member; EndArr closes it.
func (w *jsonWriter) Arr(k string) { w.key(k); w.b = append(w.b, '[') }

// Open starts an object as an array element (or as the whole document).
func (w *jsonWriter) Open() { w.sep(); w.b = append(w.b, '{') }

// OpenArr starts an array as an element (or as the whole document).
func (w *jsonWriter) OpenArr() { w.sep(); w.b = append(w.b, '[') }

// End closes an object.
func (w *jsonWriter) End() { w.b = append(w.b, '}') }

// EndArr closes an array.
func (w *jsonWriter) EndArr() { w.b = append(w.b, ']') }

// StrElem writes a string array element.
func (w *jsonWriter) StrElem(v string) { w.sep(); w.b = appendJSONString(w.b, v) }

// RawElem writes an already encoded array element.
func (w *jsonWriter) RawElem(v []byte) { w.sep(); w.b = append(w.b, v...) }

// IntElem writes an integer array element.
func (w *jsonWriter) IntElem(v int64) { w.sep(); w.b = strconv.AppendInt(w.b, v, 10) }

// appendFloat never uses exponent notation: clients decode whole numbers like 16777216000 into integers.
func appendFloat(b []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, '0')
	}
	if v == math.Trunc(v) && math.Abs(v) < 1e18 {
		return strconv.AppendInt(b, int64(v), 10)
	}
	return strconv.AppendFloat(b, v, 'f', -1, 64)
}

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s as JSON does: control characters escaped, invalid UTF-8 replaced by U+FFFD, and
// U+2028/U+2029 escaped so the text stays valid JavaScript too (guest notes and task logs are hostile input).
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
