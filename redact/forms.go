package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// headerKeyword starts the Proxmox token header value; matched case-insensitively.
const headerKeyword = "PVEAPIToken"

// minBase64Core is the shortest base64 core worth matching. A 1- or 2-byte secret yields cores of one or
// two characters that occur in most base64 text (and most words), which would mask nearly everything while
// hiding at most 12 bits; such secrets are still masked in their raw, URL and JSON forms.
const minBase64Core = 3

// foldByte is the equivalence text matching uses: ASCII case-insensitive (a proxy may upper-case hex), and
// space equal to '+' (query encoding turns one into the other, path encoding keeps '+').
func foldByte(c byte) byte {
	switch {
	case 'A' <= c && c <= 'Z':
		return c + 'a' - 'A'
	case c == ' ':
		return '+'
	}
	return c
}

func identityByte(c byte) byte { return c }

func foldString(s string) string {
	b := []byte(s)
	for i, c := range b {
		b[i] = foldByte(c)
	}
	return string(b)
}

// textForms returns the spellings of a secret the text automata look for, folded. decoded are what the
// secret reads as once escapes are undone: the decoded views find any mix of escaped and plain characters
// with them. json.Marshal replaces each invalid UTF-8 byte with U+FFFD, so a secret that is not valid UTF-8
// has two. encoded are the exact outputs of the standard encoders, looked for in the raw text: decoding is
// greedy, so a stray '%' or '\' just before an encoded secret ("%" + "00%C3%A9") shifts the decoded view,
// while the raw text still holds the encoder's output whatever precedes it.
func textForms(secret string) (decoded, encoded []string) {
	decoded = []string{foldString(secret)}
	if !utf8.ValidString(secret) {
		var b strings.Builder
		for i := 0; i < len(secret); {
			r, n := utf8.DecodeRuneInString(secret[i:])
			if r == utf8.RuneError && n == 1 {
				b.WriteRune(utf8.RuneError)
			} else {
				b.WriteString(secret[i : i+n])
			}
			i += n
		}
		decoded = appendNew(decoded, foldString(b.String()))
	}
	quoted := strconv.Quote(secret)
	for _, f := range []string{
		url.QueryEscape(secret), url.PathEscape(secret), jsonEscape(secret, true), jsonEscape(secret, false),
		quoted[1 : len(quoted)-1],
	} {
		if f = foldString(f); !slices.Contains(decoded, f) {
			encoded = appendNew(encoded, f)
		}
	}
	return decoded, encoded
}

// jsonEscape returns s as encoding/json writes it inside quotes, with or without its HTML escapes.
func jsonEscape(s string, escapeHTML bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	_ = enc.Encode(s) // encoding a string cannot fail
	out := bytes.TrimSuffix(b.Bytes(), []byte("\n"))
	return string(out[1 : len(out)-1])
}

// base64Cores returns, for each alignment of s inside a larger blob (byte offset 0, 1 or 2 modulo 3), the
// run of base64 characters that depends only on the bytes of s, in the standard and URL alphabets. Padding
// never falls inside a core, so the raw encodings share them.
func base64Cores(s string) []string {
	var cores []string
	for off := 0; off < 3; off++ {
		buf := make([]byte, off+len(s))
		copy(buf[off:], s)
		enc := base64.StdEncoding.EncodeToString(buf)
		// Character j carries bits [6j, 6j+6); keep those inside the secret's bits [8off, 8(off+len)).
		first, last := (8*off+5)/6, 8*(off+len(s))/6
		if last-first < minBase64Core {
			continue
		}
		std := enc[first:last]
		url := strings.NewReplacer("+", "-", "/", "_").Replace(std)
		cores = appendNew(cores, std)
		cores = appendNew(cores, url)
	}
	return cores
}

func appendNew(list []string, s string) []string {
	for _, v := range list {
		if v == s {
			return list
		}
	}
	return append(list, s)
}

// splitHeader returns the secret part of a registered string that is a whole header value
// ("PVEAPIToken=user@realm!id=SECRET"): registering the whole value would mask the token id too.
func splitHeader(s string) string {
	if len(s) <= len(headerKeyword) || !strings.EqualFold(s[:len(headerKeyword)], headerKeyword) {
		return s
	}
	sp, end := parseHeader(s, len(headerKeyword))
	if sp.start >= sp.end || sp.end != len(s) || end != len(s) {
		return s
	}
	return s[sp.start:]
}
