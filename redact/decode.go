package redact

import (
	"unicode/utf16"
	"unicode/utf8"
)

// text is what the scanner reads: String and Bytes share one instantiation each, with no copy.
type text interface{ ~string | ~[]byte }

var hexVal = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = int8(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = int8(c - 'a' + 10)
		t[c-'a'+'A'] = int8(c - 'a' + 10)
	}
	return t
}()

// readHex reads n hex digits at s[i:], upper or lower case.
func readHex[T text](s T, i, n int) (rune, bool) {
	if i+n > len(s) {
		return 0, false
	}
	var r rune
	for k := i; k < i+n; k++ {
		v := hexVal[s[k]]
		if v < 0 {
			return 0, false
		}
		r = r<<4 | rune(v)
	}
	return r, true
}

// percentAt decodes a %XX escape at s[i]; ok is false when there is none.
func percentAt[T text](s T, i int) (b byte, size int, ok bool) {
	if s[i] != '%' {
		return 0, 0, false
	}
	r, ok := readHex(s, i+1, 2)
	if !ok {
		return 0, 0, false
	}
	return byte(r), 3, true
}

// backslashAt decodes a JSON or Go escape at s[i] into dst, returning the decoded bytes and the length of
// the escape; ok is false when s[i] does not start one. \u escapes decode surrogate pairs as JSON does
// (a lone surrogate becomes U+FFFD); \x gives the raw byte, as in strconv.Quote of invalid UTF-8.
func backslashAt[T text](s T, i int, dst *[utf8.UTFMax]byte) (out []byte, size int, ok bool) {
	if s[i] != '\\' || i+1 >= len(s) {
		return nil, 0, false
	}
	simple := func(c byte) ([]byte, int, bool) {
		dst[0] = c
		return dst[:1], 2, true
	}
	switch s[i+1] {
	case '"', '\\', '/', '\'':
		return simple(s[i+1])
	case 'a':
		return simple('\a')
	case 'b':
		return simple('\b')
	case 'f':
		return simple('\f')
	case 'n':
		return simple('\n')
	case 'r':
		return simple('\r')
	case 't':
		return simple('\t')
	case 'v':
		return simple('\v')
	case 'x':
		r, ok := readHex(s, i+2, 2)
		if !ok {
			return nil, 0, false
		}
		dst[0] = byte(r)
		return dst[:1], 4, true
	case 'u':
		r, ok := readHex(s, i+2, 4)
		if !ok {
			return nil, 0, false
		}
		size = 6
		if utf16.IsSurrogate(r) {
			lo, ok := rune(0), false
			if i+7 < len(s) && s[i+6] == '\\' && s[i+7] == 'u' {
				lo, ok = readHex(s, i+8, 4)
			}
			if d := utf16.DecodeRune(r, lo); ok && d != utf8.RuneError {
				r, size = d, 12
			} else {
				r = utf8.RuneError
			}
		}
		return dst[:utf8.EncodeRune(dst[:], r)], size, true
	case 'U':
		r, ok := readHex(s, i+2, 8)
		if !ok {
			return nil, 0, false
		}
		if !utf8.ValidRune(r) {
			r = utf8.RuneError
		}
		return dst[:utf8.EncodeRune(dst[:], r)], 10, true
	}
	return nil, 0, false
}
