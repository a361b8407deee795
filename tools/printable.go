package tools

import (
	"strings"
	"unicode/utf8"
)

// Printable makes text from the cluster safe to print on an operator's terminal as one line: escape sequences
// (CSI such as colours and cursor moves, OSC such as titles and hyperlinks, DCS/SOS/PM/APC strings, in their
// ESC and C1 forms) are removed whole, then control, bidi, zero-width and other invisible characters, and
// whitespace runs become one space. It does not cap the length, so that a caller can redact the result before
// cutting it. It is exported for the command line (call, doctor), which prints what tools would otherwise put
// in a result: one definition of "safe to show" for both.
func Printable(s string) string {
	return clean(s, len(s)) // a rune is at least a byte: never capped
}

// PrintableText is Printable for text of several lines laid out for reading, such as a result's text: line
// breaks, tabs and runs of spaces stay (a table's columns), a carriage return becomes a line break (it would let
// a line overwrite what came before it), and everything else Printable removes goes.
func PrintableText(s string) string {
	s = stripEscapes(strings.ReplaceAll(s, "\r\n", "\n"))
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r':
			b.WriteByte('\n')
		case r == utf8.RuneError || !visible(r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// stripEscapes removes terminal escape sequences. What a sequence carries (an OSC's title or link, a DCS
// payload) goes with it; an unterminated string sequence runs to the end of s.
func stripEscapes(s string) string {
	if !strings.ContainsAny(s, "\x1b\u0090\u0098\u009b\u009d\u009e\u009f") {
		return s
	}
	var b strings.Builder
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == 0x1b && i+1 < len(rs) && rs[i+1] == '[', r == 0x9b: // CSI
			if r == 0x1b {
				i++
			}
			// parameter (0x30–0x3F) and intermediate (0x20–0x2F) bytes, then one final byte (0x40–0x7E)
			for i+1 < len(rs) && rs[i+1] >= 0x20 && rs[i+1] <= 0x3f {
				i++
			}
			if i+1 < len(rs) && rs[i+1] >= 0x40 && rs[i+1] <= 0x7e {
				i++
			}
		case r == 0x1b && i+1 < len(rs) && strings.ContainsRune("]PX^_", rs[i+1]), r == 0x9d, r == 0x90, r == 0x98, r == 0x9e, r == 0x9f:
			// OSC, DCS, SOS, PM, APC: a string up to BEL (OSC's usual end), ST (ESC \) or C1 ST
			if r == 0x1b {
				i++
			}
			for i+1 < len(rs) {
				i++
				if rs[i] == 0x07 || rs[i] == 0x9c {
					break
				}
				if rs[i] == 0x1b && i+1 < len(rs) && rs[i+1] == '\\' {
					i++
					break
				}
			}
		case r == 0x1b:
			// a two-character sequence (ESC c, ESC 7, ESC ( B …): drop the character after ESC as well
			if i+1 < len(rs) && rs[i+1] >= 0x20 && rs[i+1] <= 0x7e {
				i++
				if rs[i] >= 0x20 && rs[i] <= 0x2f && i+1 < len(rs) && rs[i+1] >= 0x30 && rs[i+1] <= 0x7e {
					i++ // ESC intermediate final, e.g. ESC ( B
				}
			}
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
