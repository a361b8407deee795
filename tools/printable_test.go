package tools

import (
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"
)

func TestPrintable(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "Proxmox VE 9.1.3", "Proxmox VE 9.1.3"},
		{"letters of any script", "nœud-ä 日本 Ωmega", "nœud-ä 日本 Ωmega"},
		{"colour", "\x1b[31;1mred\x1b[0m text", "red text"},
		{"cursor and erase", "ok\x1b[2K\x1b[1A\x1b[?25lhidden", "okhidden"},
		{"OSC title ended by BEL", "\x1b]0;owned\x07after", "after"},
		{"OSC 8 hyperlink ended by ST", "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\", "click"},
		{"C1 CSI and OSC", "a\u009b31mb\u009d0;t\u009cc", "abc"},
		{"DCS string", "x\x1bPq#0;2;0;0;0\x1b\\y", "xy"},
		{"unterminated OSC runs to the end", "shown\x1b]52;c;c2VjcmV0", "shown"},
		{"two-character sequences", "a\x1bcb\x1b(Bc\x1b7d", "abcd"},
		{"lone ESC at the end", "end\x1b", "end"},
		{"bidi override and isolates", "abc\u202edcba\u2066x\u2069", "abcdcbax"},
		{"zero-width and BOM", "to\u200bk\u200den\ufeff", "token"},
		{"tag characters", "hi\U000E0041\U000E0042", "hi"},
		{"newlines and tabs become one space", "line one\r\nline two\n\n\tthree", "line one line two three"},
		{"other controls", "bell\x07back\x08null\x00del\x7f", "bellbacknulldel"},
		{"long text is not cut", strings.Repeat("abcdefghij", 100), strings.Repeat("abcdefghij", 100)},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, Printable(tc.in)); diff != "" {
			t.Errorf("%s: (-want +got)\n%s", tc.name, diff)
		}
	}
}

func TestPrintableText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"table layout stays", "100  web\t(qemu)\n101  db   (lxc)\n", "100  web\t(qemu)\n101  db   (lxc)\n"},
		{"escape sequences go", "Error: 500 boom \x1b]0;pwned\x07 \x1b[31mred\x1b[0m", "Error: 500 boom  red"},
		{"carriage return cannot overwrite a line", "safe\rEVIL\r\nnext", "safe\nEVIL\nnext"},
		{"bidi and zero-width go", "a\u202eb\u200bc\u2066d", "abcd"},
		{"other controls go", "x\x00\x08\x7f\u0085y", "xy"},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, PrintableText(tc.in)); diff != "" {
			t.Errorf("%s: (-want +got)\n%s", tc.name, diff)
		}
	}
}

// FuzzPrintable checks Printable and PrintableText: with its own definition of what a terminal acts on, that nothing of it survives: no C0
// or C1 control, no DEL, no format character (bidi, zero-width), no line or paragraph separator, no replacement character.
func FuzzPrintable(f *testing.F) {
	for _, s := range []string{"\x1b[31mx", "\x1b]0;t\x07", "a\u202eb", "\u009b1m", "x\ny", "\x1b", "é\u200b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Printable(s)
		for _, r := range out {
			if r < 0x20 || r >= 0x7f && r <= 0x9f || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' || r == 0xfffd {
				t.Fatalf("Printable(%q) = %q keeps %U", s, out, r)
			}
		}
		if Printable(out) != out {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, out, Printable(out))
		}
		text := PrintableText(s)
		for _, r := range text {
			if r < 0x20 && r != '\n' && r != '\t' || r >= 0x7f && r <= 0x9f || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' || r == 0xfffd {
				t.Fatalf("PrintableText(%q) = %q keeps %U", s, text, r)
			}
		}
	})
}
