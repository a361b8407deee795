package schema

import (
	"regexp"
	"strings"
	"sync"

	"github.com/proxmox-mcp/proxmox-mcp/pve/internal/lazyre"
)

// patterns caches compiled schema patterns; nil marks one RE2 cannot express (left unchecked).
var patterns sync.Map // string -> *regexp.Regexp

// bigRepeat is a counted repetition beyond RE2's limit of 1000.
var bigRepeat = &lazyre.Regexp{Src: `\{(\d+),(\d{4,})\}`}

// compilePattern turns a schema pattern, a Perl regular expression, into an anchored RE2 one, as
// check_prop uses it (m/^$pattern$/). A repetition bound above RE2's 1000 is dropped ({0,4096} becomes
// {0,}); the schema's maxLength still bounds such values.
func compilePattern(p string) *regexp.Regexp {
	if re, ok := patterns.Load(p); ok {
		return re.(*regexp.Regexp)
	}
	goPat := bigRepeat.ReplaceAllString(perlToRE2(p), "{$1,}")
	re, err := regexp.Compile(`^(?:` + goPat + `)$`)
	if err != nil {
		re = nil
	}
	patterns.Store(p, re)
	return re
}

// perlToRE2 rewrites the Perl constructs the PVE schema uses: (?^:…) and (?^i:…) groups (Perl's way of
// printing a qr// with its flags), atomic groups (?>…), {,n} (Perl 5.34+: {0,n}), \0 for NUL, and escapes of
// word characters such as \_ that RE2 refuses.
func perlToRE2(p string) string {
	var b strings.Builder
	inClass := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\' && i+1 < len(p):
			n := p[i+1]
			switch {
			case n == '0' && (i+2 >= len(p) || p[i+2] < '0' || p[i+2] > '7'):
				b.WriteString(`\x00`)
			case n == '_':
				b.WriteByte('_')
			default:
				b.WriteByte(c)
				b.WriteByte(n)
			}
			i++
		case inClass:
			if c == ']' {
				inClass = false
			}
			b.WriteByte(c)
		case c == '[':
			inClass = true
			b.WriteByte(c)
			// a ']' right after '[' or '[^' is a literal member
			if i+1 < len(p) && p[i+1] == '^' {
				b.WriteByte('^')
				i++
			}
			if i+1 < len(p) && p[i+1] == ']' {
				b.WriteByte(']')
				i++
			}
		case strings.HasPrefix(p[i:], "(?^i:"):
			b.WriteString("(?i:")
			i += 4
		case strings.HasPrefix(p[i:], "(?^:"):
			b.WriteString("(?:")
			i += 3
		case strings.HasPrefix(p[i:], "(?>"):
			b.WriteString("(?:")
			i += 2
		case c == '{' && i+1 < len(p) && p[i+1] == ',':
			b.WriteString("{0")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
