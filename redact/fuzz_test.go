package redact

import (
	"bytes"
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// Seeds: what tool results, errors and logs around a secret look like.
var (
	seedPrefixes = []string{
		"",
		`{"data":{"upid":"UPID:pve1:0000ABCD:0001E240:65A1B2C3:qmstart:100:root@pam!mcp:","token":"`,
		"Authorization: ",
		"GET https://pve.example:8006/api2/json/nodes?token=",
		`proxmox: 401 Unauthorized: {"errors":{"token":"invalid token value `,
		"level=error msg=\"request failed\" header=",
		"data:application/octet-stream;base64,",
	}
	seedSuffixes = []string{"", `"}}`, "\n", "&next=1", `"` + "\nnext line", " (retrying)", "==; path=/"}
	seedSecrets  = []string{
		uuidSecret,
		strings.ToUpper(uuidSecret),
		oddSecret,
		"Sup3r$ecret!pa55w0rd",
		"token with spaces+plus",
		"ÄÖÜ-unicode-sécret-ß",
		"<script>&amp;\u2028</script>",
		"REDACTED-but-longer",
	}
)

// fuzzForms lists the ways FuzzRedactString embeds a registered secret; enc picks one.
var fuzzForms = []func(string) string{
	func(s string) string { return s },
	asciiUpper,
	url.QueryEscape,
	url.PathEscape,
	func(s string) string { return percentAll(s, false) },
	func(s string) string { return jsonInner(s, true) },
	func(s string) string { return jsonInner(s, false) },
	unicodeAll,
	goQuoted,
	func(s string) string { return b64Blob(base64.StdEncoding, 0, s) },
	func(s string) string { return b64Blob(base64.StdEncoding, 1, s) },
	func(s string) string { return b64Blob(base64.StdEncoding, 2, s) },
	func(s string) string { return b64Blob(base64.RawURLEncoding, 0, s) },
	func(s string) string { return b64Blob(base64.RawURLEncoding, 1, s) },
	func(s string) string { return b64Blob(base64.RawURLEncoding, 2, s) },
	func(s string) string { return "PVEAPIToken=root@pam!mcp=" + s },
	func(s string) string { return "PVEAPIToken%3Droot%40pam%21mcp%3D" + url.QueryEscape(s) },
	func(s string) string {
		return base64.StdEncoding.EncodeToString([]byte("Authorization: PVEAPIToken=root@pam!mcp=" + s))
	},
}

// FuzzRedactString embeds a registered secret in one of its forms between arbitrary text and fails if the
// output still holds any form of it (raw case-insensitive, URL-encoded, JSON-escaped, Go-quoted, base64 at
// any alignment), or if redacting the output changes it again.
//
// The secret is at least 8 bytes of valid UTF-8. Shorter secrets are redacted too, but by design not in
// every form (a 1- or 2-byte secret has no base64 core worth matching, see minBase64Core), and they occur
// by chance in any text. Invalid UTF-8 has no faithful JSON form (json.Marshal writes U+FFFD for each bad
// byte, so the "form" is not the secret); TestEdgeCases covers that case with the U+FFFD spelling.
func FuzzRedactString(f *testing.F) {
	for i, s := range seedSecrets {
		for j, p := range seedPrefixes {
			f.Add(p, s, seedSuffixes[(i+j)%len(seedSuffixes)], uint8(i*len(seedPrefixes)+j))
		}
	}
	f.Fuzz(func(t *testing.T, prefix, secret, suffix string, enc uint8) {
		if len(secret) < 8 || !utf8.ValidString(secret) {
			t.Skip()
		}
		r := New(secret)
		in := prefix + fuzzForms[int(enc)%len(fuzzForms)](secret) + suffix
		out := r.String(in)
		if l := leaks(out, secret); len(l) > 0 {
			t.Fatalf("secret %q, input %q:\noutput %q\nleaks %v", secret, in, out, l)
		}
		if again := r.String(out); again != out {
			t.Fatalf("not idempotent: %q -> %q", out, again)
		}
		if b := r.Bytes([]byte(in)); string(b) != out {
			t.Fatalf("Bytes %q != String %q", b, out)
		}
	})
}

// headerSecretOK says whether s can be the secret of a header value: printable ASCII that does not end the
// value. '%' and '\' are excluded because the parser decodes escapes (a header may be URL- or
// JSON-encoded), so a literal one is indistinguishable from an escape; Proxmox secrets are UUIDs.
func headerSecretOK(s string) bool { return len(s) >= 8 && plainValue(s) }

func plainValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c > '~' || endsValue(c) || c == '%' || c == '\\' {
			return false
		}
	}
	return true
}

// headerForms are the spellings of a header value FuzzHeader tries, and the matching spelling of the
// secret that must not survive.
var headerForms = []struct {
	header func(id, secret string) string
	secret func(string) string
}{
	{func(id, s string) string { return "PVEAPIToken=" + id + "=" + s }, nil},
	{func(id, s string) string { return "PVEAPIToken " + id + "=" + s }, nil},
	{func(id, s string) string { return "pveapitoken=" + id + "=" + s }, nil},
	{func(id, s string) string { return url.QueryEscape("PVEAPIToken=" + id + "=" + s) }, url.QueryEscape},
	{func(id, s string) string {
		return strings.ReplaceAll(jsonInner("PVEAPIToken="+id+"="+s, true), "=", `\u003d`)
	}, func(s string) string { return strings.ReplaceAll(jsonInner(s, true), "=", `\u003d`) }},
	{func(id, s string) string { return strconv.Quote("PVEAPIToken=" + id + "=" + s) }, nil},
	{func(id, s string) string {
		return base64.StdEncoding.EncodeToString([]byte("Authorization: PVEAPIToken=" + id + "=" + s))
	}, nil},
	{func(id, s string) string {
		return base64.RawURLEncoding.EncodeToString([]byte("x PVEAPIToken " + id + "=" + s))
	}, nil},
}

// FuzzHeader embeds a header value with a secret nobody registered and checks that the secret is masked
// and, where the text around cannot interfere, that the token id stays readable.
func FuzzHeader(f *testing.F) {
	for i, s := range []string{uuidSecret, "0123456789abcdef", "c2VjcmV0LXZhbHVl==", "a.b-c_d~e!f@g#h*i(j)k"} {
		for j, p := range seedPrefixes {
			f.Add(p, s, seedSuffixes[(i+j)%len(seedSuffixes)], "root@pam!mcp", uint8(i+j))
		}
	}
	f.Add("x ", uuidSecret, " y", "john.doe@example.com@ldap!ci-01", uint8(0))
	f.Fuzz(func(t *testing.T, prefix, secret, suffix, tokenID string, form uint8) {
		// The token id must be one the parser can read: no '=' (it ends the id), nothing that ends the value
		// or starts an escape, and not longer than any real one.
		if !headerSecretOK(secret) || !isTokenID([]byte(tokenID)) || !plainValue(tokenID) ||
			strings.Contains(tokenID, "=") || len(tokenID) > maxTokenID {
			t.Skip()
		}
		hf := headerForms[int(form)%len(headerForms)]
		spelled := secret
		if hf.secret != nil {
			spelled = hf.secret(secret)
		}
		header := hf.header(tokenID, secret)
		// The secret is not registered: elsewhere in the text, even straddling the header's edges, it is
		// fair game. Only inputs where it occurs once, in its place, are checked.
		in, cores := prefix+header+suffix, encodingCores(secret)
		for _, x := range []string{asciiLower(secret), asciiLower(spelled)} {
			if n := strings.Count(asciiLower(header), x); n > 1 || strings.Count(asciiLower(in), x) != n {
				t.Skip()
			}
		}
		for _, c := range cores {
			if strings.Count(in, c) != strings.Count(header, c) {
				t.Skip()
			}
		}
		var r *Redactor
		out := r.String(in)
		if containsAny(asciiLower(out), asciiLower(secret), asciiLower(spelled)) || containsAny(out, cores...) {
			t.Fatalf("header %q: output %q leaks the secret", header, out)
		}
		if i := strings.LastIndex(header, spelled); i >= 0 {
			// A textual form: the token id stays readable unless the prefix holds a header of its own.
			readable := header[:i]
			if !strings.Contains(asciiLower(prefix), "pveapitoken") && !strings.Contains(out, readable) {
				t.Fatalf("header %q: output %q lost the token id part %q", header, out, readable)
			}
		}
	})
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// FuzzWriter writes a multi-line text holding a secret in several forms through a Writer, split at
// arbitrary points, and checks that nothing leaks and that the result is what String gives for the whole.
func FuzzWriter(f *testing.F) {
	for i, s := range seedSecrets {
		f.Add(seedPrefixes[i%len(seedPrefixes)]+"\n"+seedSuffixes[i%len(seedSuffixes)], s, []byte{1, 7, 200, 3, 64, 9})
	}
	f.Add("a\nb\nc", uuidSecret, bytes.Repeat([]byte{1}, 64))
	f.Fuzz(func(t *testing.T, text, secret string, splits []byte) {
		if len(secret) < 8 || !utf8.ValidString(secret) || strings.Contains(secret, "\n") {
			t.Skip() // see FuzzRedactString; a secret spanning lines is outside the Writer's promise
		}
		mid := len(text) / 2
		in := strings.Join([]string{
			"start " + secret,
			text[:mid] + secret + text[mid:],
			`{"json":"` + jsonInner(secret, true) + `"}`,
			"url " + url.QueryEscape(secret),
			"b64 " + b64Blob(base64.StdEncoding, 1, secret),
			"Authorization: PVEAPIToken=root@pam!mcp=" + secret + " end",
		}, "\n") + "\n"
		r := New(secret)
		var out bytes.Buffer
		w := r.Writer(&out)
		rest := []byte(in)
		for i := 0; len(rest) > 0; i++ {
			n := len(rest)
			if i < len(splits) {
				n = min(n, int(splits[i])+1)
			}
			if k, err := w.Write(rest[:n]); err != nil || k != n {
				t.Fatalf("Write = %d, %v", k, err)
			}
			rest = rest[n:]
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if l := leaks(out.String(), secret); len(l) > 0 {
			t.Fatalf("output %q leaks %v", out.String(), l)
		}
		if want := r.String(in); out.String() != want {
			t.Fatalf("Writer output differs from String:\n got %q\nwant %q", out.String(), want)
		}
	})
}
