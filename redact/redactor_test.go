package redact

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

const (
	uuidSecret = "5f0c2a0e-3d7b-4b8e-9a51-6c1f0b2d9e47"
	// oddSecret has something for every encoder to escape: space, reserved URL characters, HTML
	// characters JSON escapes, a quote, a backslash, non-ASCII, U+2028 and a character outside the BMP.
	oddSecret = "p@ss w/rd?&=+<tag>\"q\\é\u2028😀%41"
)

// formsOf lists the encoded forms of secret that the redactor must mask when they sit between spaces.
func formsOf(secret string) map[string]string {
	forms := map[string]string{
		"raw":                  secret,
		"upper":                asciiUpper(secret),
		"lower":                asciiLower(secret),
		"query escape":         url.QueryEscape(secret),
		"path escape":          url.PathEscape(secret),
		"query escape lower":   lowerPercentHex(url.QueryEscape(secret)),
		"percent all upper":    percentAll(secret, true),
		"percent all lower":    percentAll(secret, false),
		"json":                 jsonInner(secret, true),
		"json without html":    jsonInner(secret, false),
		"json all \\u escaped": unicodeAll(secret),
		"go quoted":            goQuoted(secret),
		"go quoted ascii":      unquoted(strconv.QuoteToASCII(secret)),
	}
	encs := map[string]*base64.Encoding{
		"std": base64.StdEncoding, "url": base64.URLEncoding,
		"raw std": base64.RawStdEncoding, "raw url": base64.RawURLEncoding,
	}
	for name, enc := range encs {
		for off := 0; off < 3; off++ {
			forms[fmt.Sprintf("base64 %s offset %d", name, off)] = b64Blob(enc, off, secret)
		}
	}
	return forms
}

func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

func lowerPercentHex(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1], b[i+2] = asciiLower(string(b[i+1]))[0], asciiLower(string(b[i+2]))[0]
		}
	}
	return string(b)
}

func TestStringMasksEveryForm(t *testing.T) {
	for _, secret := range []string{uuidSecret, oddSecret} {
		r := New(secret)
		for name, form := range formsOf(secret) {
			t.Run(name+" "+secret[:4], func(t *testing.T) {
				in := "before " + form + " after"
				if diff := cmp.Diff("before "+Mask+" after", r.String(in)); diff != "" {
					t.Errorf("String(%q) mismatch (-want +got):\n%s", in, diff)
				}
			})
		}
	}
}

func TestStringMasksInsideLargerText(t *testing.T) {
	r := New(uuidSecret)
	tests := []struct {
		name, in, want string
	}{
		{"glued to words", "x" + uuidSecret + "y", "x" + Mask + "y"},
		{"twice", uuidSecret + uuidSecret, Mask},
		{"twice apart", uuidSecret + "," + uuidSecret, Mask + "," + Mask},
		{"in json", `{"secret":"` + uuidSecret + `","ok":1}`, `{"secret":"` + Mask + `","ok":1}`},
		{"in query", "https://pve:8006/api2/json?token=" + url.QueryEscape(uuidSecret) + "&x=1",
			"https://pve:8006/api2/json?token=" + Mask + "&x=1"},
		{"partial is kept", uuidSecret[:20], uuidSecret[:20]},
		{"base64 run masked whole", "Basic " + base64.StdEncoding.EncodeToString([]byte("user:"+uuidSecret)) + "\n",
			"Basic " + Mask + "\n"},
		{"other base64 left alone", "data " + base64.StdEncoding.EncodeToString([]byte("hello world")),
			"data " + base64.StdEncoding.EncodeToString([]byte("hello world"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, r.String(tt.in)); diff != "" {
				t.Errorf("String(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestTokenIDStaysReadable(t *testing.T) {
	const tokenID = "root@pam!mcp"
	header := "PVEAPIToken=" + tokenID + "=" + uuidSecret
	// pve registers both the secret and the whole header value.
	r := New(uuidSecret, header)
	tests := []struct {
		name, in, want string
	}{
		{"header", "Authorization: " + header, "Authorization: PVEAPIToken=" + tokenID + "=" + Mask},
		{"upid", "UPID:pve1:0000ABCD:0001E240:65A1B2C3:qmstart:100:" + tokenID + ":",
			"UPID:pve1:0000ABCD:0001E240:65A1B2C3:qmstart:100:" + tokenID + ":"},
		{"token id alone", "token " + tokenID, "token " + tokenID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, r.String(tt.in)); diff != "" {
				t.Errorf("String(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestHeaderPatternForUnregisteredSecrets(t *testing.T) {
	const secret = "0b8d2f6e-1c3a-4e5f-8a7b-9c0d1e2f3a4b"
	b64 := func(enc *base64.Encoding, s string) string { return enc.EncodeToString([]byte(s)) }
	tests := []struct {
		name, in, want string
	}{
		{"equals", "PVEAPIToken=root@pam!mcp=" + secret, "PVEAPIToken=root@pam!mcp=" + Mask},
		{"space", "Authorization: PVEAPIToken root@pam!mcp=" + secret, "Authorization: PVEAPIToken root@pam!mcp=" + Mask},
		{"keyword case", "pveapitoken=root@pam!mcp=" + secret, "pveapitoken=root@pam!mcp=" + Mask},
		{"user with dots and realm with dashes", "PVEAPIToken=john.doe@my-ldap!ci_01=" + secret,
			"PVEAPIToken=john.doe@my-ldap!ci_01=" + Mask},
		{"url encoded", "auth=PVEAPIToken%3Droot%40pam%21mcp%3D" + secret + "&next=1",
			"auth=PVEAPIToken%3Droot%40pam%21mcp%3D" + Mask + "&next=1"},
		{"url encoded lower hex", "PVEAPIToken%3droot%40pam%21mcp%3d" + secret, "PVEAPIToken%3droot%40pam%21mcp%3d" + Mask},
		{"json escaped", `{"h":"PVEAPIToken\u003droot@pam!mcp\u003d` + secret + `"}`,
			`{"h":"PVEAPIToken\u003droot@pam!mcp\u003d` + Mask + `"}`},
		{"go quoted", strconv.Quote("PVEAPIToken=root@pam!mcp=" + secret + "\n"),
			`"PVEAPIToken=root@pam!mcp=` + Mask + `\n"`},
		{"escaped quote ends it", `"msg":"header \"PVEAPIToken=root@pam!mcp=` + secret + `\" sent"`,
			`"msg":"header \"PVEAPIToken=root@pam!mcp=` + Mask + `\" sent"`},
		{"ends at comma", "PVEAPIToken=root@pam!mcp=" + secret + ",x", "PVEAPIToken=root@pam!mcp=" + Mask + ",x"},
		{"ends at semicolon", "PVEAPIToken=root@pam!mcp=" + secret + ";x", "PVEAPIToken=root@pam!mcp=" + Mask + ";x"},
		{"ends at angle", "<h>PVEAPIToken=root@pam!mcp=" + secret + "</h>", "<h>PVEAPIToken=root@pam!mcp=" + Mask + "</h>"},
		{"ends at single quote", "'PVEAPIToken=root@pam!mcp=" + secret + "'", "'PVEAPIToken=root@pam!mcp=" + Mask + "'"},
		{"ends at tab", "PVEAPIToken=root@pam!mcp=" + secret + "\tx", "PVEAPIToken=root@pam!mcp=" + Mask + "\tx"},
		{"no token id", "PVEAPIToken=" + secret, "PVEAPIToken=" + Mask},
		{"token id without secret", "PVEAPIToken=root@pam!mcp rest", "PVEAPIToken=" + Mask + " rest"},
		{"malformed token id", "PVEAPIToken=root:x@pam!mcp=" + secret, "PVEAPIToken=" + Mask},
		{"empty secret", "PVEAPIToken=root@pam!mcp= x", "PVEAPIToken=root@pam!mcp= x"},
		{"space without token id is prose", "set the PVEAPIToken header", "set the PVEAPIToken header"},
		{"two headers", "PVEAPIToken=a@pve!t1=" + secret + " PVEAPIToken=b@pve!t2=" + secret,
			"PVEAPIToken=a@pve!t1=" + Mask + " PVEAPIToken=b@pve!t2=" + Mask},
		{"base64 of header", "X-Debug: " + b64(base64.StdEncoding, "Authorization: PVEAPIToken=root@pam!mcp="+secret) + " end",
			"X-Debug: " + Mask + " end"},
		{"base64 url offset 1", "t=" + b64(base64.RawURLEncoding, "x PVEAPIToken root@pam!mcp="+secret),
			"t=" + Mask},
		{"base64 offset 2", b64(base64.StdEncoding, "xy"+"PVEAPIToken=root@pam!mcp="+secret), Mask},
	}
	for _, r := range []*Redactor{nil, {}, New(uuidSecret)} {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if diff := cmp.Diff(tt.want, r.String(tt.in)); diff != "" {
					t.Errorf("String(%q) mismatch (-want +got):\n%s", tt.in, diff)
				}
			})
		}
	}
}

func TestEdgeCases(t *testing.T) {
	tests := []struct {
		name    string
		secrets []string
		in      string
		want    string
	}{
		{"overlapping occurrences", []string{"abab"}, "xababab y", "x" + Mask + " y"},
		{"overlapping secrets", []string{"abcd", "cdef"}, "xabcdefx", "x" + Mask + "x"},
		{"substring secret, longest first", []string{"secret", "secret-longer"}, "a secret-longer b secret c",
			"a " + Mask + " b " + Mask + " c"},
		{"adjacent occurrences make one mask", []string{"aaaa"}, "aaaaaaaa", Mask},
		{"secret inside Mask", []string{"REDACTED"}, "pw=REDACTED!", "pw=" + FallbackMask + "!"},
		{"short secret inside Mask", []string{"ACT"}, "ACT and act", FallbackMask + " and " + FallbackMask},
		{"secret starting with Mask's end", []string{"]tail"}, "x]tailtail", "x" + FallbackMask + "tail"},
		{"secret equal to Mask", []string{Mask}, "was " + Mask, "was " + FallbackMask},
		{"secret clashing with both masks", []string{"]*"}, "a]*b", "a###b"},
		{"one-byte secret", []string{"x"}, "fox xerox", "fo" + Mask + " " + Mask + "ero" + Mask},
		{"empty secret ignored", []string{""}, "anything", "anything"},
		{"whole header registered", []string{"PVEAPIToken=root@pam!mcp=" + uuidSecret}, "root@pam!mcp " + uuidSecret,
			"root@pam!mcp " + Mask},
		{"invalid utf-8 secret in json", []string{"ab\xffcd-secret"}, `"ab\ufffdcd-secret"`, `"` + Mask + `"`},
		{"invalid utf-8 secret go-quoted", []string{"ab\xffcd-secret"}, `"ab\xffcd-secret"`, `"` + Mask + `"`},
		{"raw and decoded matches overlap", []string{"%4", "A-tail"}, "x%41-tail", "x" + Mask},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New(tt.secrets...)
			got := r.String(tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("String(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
			for _, s := range tt.secrets {
				if s != "" && strings.Contains(asciiLower(got), asciiLower(s)) {
					t.Errorf("String(%q) = %q still contains %q", tt.in, got, s)
				}
			}
		})
	}
}

func TestHugeInputWithDenseMatches(t *testing.T) {
	// Catastrophic cases for a backtracking matcher: long runs of almost-matches.
	tests := []struct {
		name, secret string
		in           string
		want         string
	}{
		{"near misses", "aaaaaaaab", strings.Repeat("a", 1<<20), strings.Repeat("a", 1<<20)},
		{"dense hits", "ab", strings.Repeat("ab", 1<<19), Mask},
		{"long base64 run", uuidSecret, strings.Repeat("QUJD", 1<<18) + base64.StdEncoding.EncodeToString([]byte(uuidSecret)),
			Mask},
		{"many header keywords", "unused-secret", strings.Repeat("PVEAPIToken=", 1<<16), "PVEAPIToken=" + Mask},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, New(tt.secret).String(tt.in)); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNilAndZeroRedactor(t *testing.T) {
	const in = "no secret here, and PVEAPIToken=root@pam!mcp=abc-def"
	const want = "no secret here, and PVEAPIToken=root@pam!mcp=" + Mask
	var zero Redactor
	var nilR *Redactor
	for name, r := range map[string]*Redactor{"nil": nilR, "zero": &zero} {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(want, r.String(in)); diff != "" {
				t.Errorf("String mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(want, string(r.Bytes([]byte(in)))); diff != "" {
				t.Errorf("Bytes mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(Mask, r.Mask()); diff != "" {
				t.Errorf("Mask mismatch (-want +got):\n%s", diff)
			}
		})
	}
	zero.Add("abc")
	if got := zero.String("xabcx"); got != "x"+Mask+"x" {
		t.Errorf("zero Redactor after Add: got %q", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("Add on a nil *Redactor did not panic")
		}
	}()
	nilR.Add("abc")
}

func TestNoMatchReturnsInputWithoutAllocating(t *testing.T) {
	r := New(uuidSecret, oddSecret)
	tests := []string{
		"",
		"plain text",
		`{"data":[{"vmid":100,"name":"web","status":"running"}]}`,
		`escapes \" \n \u0041 and %20 percent`,
		base64.StdEncoding.EncodeToString([]byte("some unrelated base64 payload")),
	}
	for _, in := range tests {
		got := r.String(in)
		if unsafe.StringData(got) != unsafe.StringData(in) || got != in {
			t.Errorf("String(%q) = %q, not the input itself", in, got)
		}
		if n := testing.AllocsPerRun(20, func() { r.String(in) }); n != 0 && !raceEnabled {
			t.Errorf("String(%q) allocated %v times", in, n)
		}
		b := []byte(in)
		if got := r.Bytes(b); len(b) > 0 && &got[0] != &b[0] {
			t.Errorf("Bytes(%q) returned a copy", in)
		}
	}
}

func TestBytesDoesNotModifyInput(t *testing.T) {
	in := []byte("x " + uuidSecret + " y")
	orig := string(in)
	got := New(uuidSecret).Bytes(in)
	if diff := cmp.Diff("x "+Mask+" y", string(got)); diff != "" {
		t.Errorf("Bytes mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(orig, string(in)); diff != "" {
		t.Errorf("input modified (-want +got):\n%s", diff)
	}
}

type codeError struct{ code int }

func (e *codeError) Error() string { return fmt.Sprintf("code %d with token %s", e.code, uuidSecret) }

func TestErrorKeepsChain(t *testing.T) {
	r := New(uuidSecret)
	sentinel := errors.New("sentinel")
	tests := []struct {
		name    string
		err     error
		wantMsg string
	}{
		{"wrapped sentinel", fmt.Errorf("calling with %s: %w", uuidSecret, sentinel), "calling with " + Mask + ": sentinel"},
		{"typed", fmt.Errorf("outer: %w", &codeError{7}), "outer: code 7 with token " + Mask},
		{"joined", errors.Join(fs.ErrNotExist, errors.New("secret "+uuidSecret)), "file does not exist\nsecret " + Mask},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := r.Error(tt.err)
			if diff := cmp.Diff(tt.wantMsg, got.Error()); diff != "" {
				t.Errorf("Error() mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantMsg, fmt.Sprintf("%+v", got)); diff != "" {
				t.Errorf("%%+v mismatch (-want +got):\n%s", diff)
			}
			if !errors.Is(got, tt.err) {
				t.Error("errors.Is(redacted, original) = false")
			}
		})
	}
	if got := r.Error(fmt.Errorf("x: %w", sentinel)); !errors.Is(got, sentinel) {
		t.Error("errors.Is lost the sentinel")
	}
	var ce *codeError
	if !errors.As(r.Error(fmt.Errorf("x: %w", &codeError{3})), &ce) || ce.code != 3 {
		t.Error("errors.As lost the typed error")
	}
	if r.Error(nil) != nil {
		t.Error("Error(nil) != nil")
	}
}

func TestAddRacesWithString(t *testing.T) {
	r := New()
	secrets := make([]string, 50)
	for i := range secrets {
		secrets[i] = fmt.Sprintf("secret-%03d-%s", i, uuidSecret[:8])
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for _, s := range secrets {
			r.Add(s)
		}
	})
	for range 4 {
		wg.Go(func() {
			for _, s := range secrets {
				r.String("log line with " + s)
			}
		})
	}
	wg.Wait()
	for _, s := range secrets {
		if got := r.String("x " + s); got != "x "+Mask {
			t.Errorf("after concurrent Add, String(%q) = %q", s, got)
		}
	}
}
