package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// The helpers here derive a secret's encoded forms from the standard library, independently of the
// package's own code, so the tests check the redactor against the encoders rather than against itself.

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func jsonInner(s string, escapeHTML bool) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(escapeHTML)
	if err := enc.Encode(s); err != nil {
		panic(err)
	}
	out := strings.TrimSuffix(buf.String(), "\n")
	return out[1 : len(out)-1]
}

// fullyEscaped escapes every byte: %XX for URLs, \u00XX-style for JSON.
func percentAll(s string, upper bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if upper {
			fmt.Fprintf(&b, "%%%02X", s[i])
		} else {
			fmt.Fprintf(&b, "%%%02x", s[i])
		}
	}
	return b.String()
}

func unicodeAll(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r > 0xffff {
			hi, lo := (r-0x10000)>>10+0xd800, (r-0x10000)&0x3ff+0xdc00
			fmt.Fprintf(&b, `\u%04X\u%04X`, hi, lo)
			continue
		}
		fmt.Fprintf(&b, `\u%04X`, r)
	}
	return b.String()
}

// encodingCores returns the base64 characters that depend only on s when s sits at each alignment of a
// larger blob. They are found empirically: encode s between all-zero and all-one filler bytes; a character
// that mixes in any filler bit differs between the two, so the positions where both agree are the core.
func encodingCores(s string) []string {
	var cores []string
	for off := 0; off < 3; off++ {
		encs := [2]string{}
		for k, fill := range []byte{0x00, 0xff} {
			blob := append(bytes.Repeat([]byte{fill}, off), s...)
			blob = append(blob, fill, fill, fill)
			encs[k] = base64.StdEncoding.EncodeToString(blob)
		}
		// The first stretch where both agree; '=' padding, identical in both, comes after a differing tail.
		start := 0
		for start < len(encs[0]) && encs[0][start] != encs[1][start] {
			start++
		}
		end := start
		for end < len(encs[0]) && encs[0][end] == encs[1][end] {
			end++
		}
		if end-start < minBase64Core {
			continue
		}
		core := encs[0][start:end]
		cores = append(cores, core)
		if u := strings.NewReplacer("+", "-", "/", "_").Replace(core); u != core {
			cores = append(cores, u)
		}
	}
	return cores
}

// leaks names each form of secret that out still contains: raw (ASCII case-insensitive), URL-encoded,
// JSON-escaped, Go-quoted, and base64 at any alignment in both alphabets.
func leaks(out, secret string) []string {
	lo := asciiLower(out)
	var found []string
	textual := map[string]string{
		"raw":        secret,
		"query":      url.QueryEscape(secret),
		"path":       url.PathEscape(secret),
		"json":       jsonInner(secret, true),
		"json-plain": jsonInner(secret, false),
		"go-quoted":  goQuoted(secret),
	}
	for name, form := range textual {
		if strings.Contains(lo, asciiLower(form)) {
			found = append(found, name)
		}
	}
	for _, core := range encodingCores(secret) {
		if strings.Contains(out, core) {
			found = append(found, "base64 "+core)
		}
	}
	return found
}

// b64Blob encodes secret at byte offset off of a larger blob, in the given encoding.
func b64Blob(enc *base64.Encoding, off int, secret string) string {
	return enc.EncodeToString([]byte(strings.Repeat("x", off) + secret + " tail"))
}

// goQuoted is s as strconv.Quote writes it, without the enclosing quotes.
func goQuoted(s string) string { return unquoted(strconv.Quote(s)) }

func unquoted(q string) string { return q[1 : len(q)-1] }
