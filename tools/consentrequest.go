package tools

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/proxmox-mcp/proxmox-mcp/pve"
)

// A person approves exactly the request that will be sent, so the question shows all of it: every parameter,
// whole, one value per line (an exec's argv one element per line). The values are the caller's text: each is
// shown inside a fence (every line of it starts with "| ", which no value can produce) and quoted the way Go
// quotes strings, so a line break, a quote, a control, bidi or invisible character appears as an escape (\n,
// \", \u202e) instead of acting on the display. What a person reads is exactly reversible to what is sent.
//
// Values are wrapped by the server at a fixed width, so that a client never wraps a fenced line itself (a
// value wrapped by the client could start a visual line that looks like the server's). A request whose shown
// form is longer than maxShownLines is not put to a person at all: nobody checks every line of a question
// several screens long, and an approval of what was not read is no approval.

const (
	// shownWidth is the widest line of a shown request, in terminal columns: it fits an 80-column terminal
	// with room for the client's own margins, so no line is wrapped by the client.
	shownWidth = 72
	// maxShownLines bounds the request's part of a question: about one screen of a terminal or a dialog
	// (60 lines of 72 columns, some 4,000 characters of values). Past that, the call is refused unasked.
	maxShownLines = 60
	// minValueWidth is the least room a value gets on a line, however long its label.
	minValueWidth = 32
	// maxMarks is how many combining marks in a row are shown as they are; more (text stacked to spill over
	// the lines around it) are escaped.
	maxMarks = 3
)

// shownRequest is a request as the question shows it.
type shownRequest struct {
	lines   []string // the request line, then the fenced parameters
	escaped bool     // some value needed an escape: the question explains them
	rows    int      // how many lines of a question it takes, the request line's own wrapping included
}

// showRequest renders req for a person: its method and path, then every parameter, fenced.
func showRequest(req pve.Request) shownRequest {
	params := req.Params()
	head := "Request: " + req.Method() + " /api2/json" + req.Path() // the path is built from escaped segments only
	var s shownRequest
	switch n := countValues(params); n {
	case 0:
		s.lines = []string{head + ", with no parameters"}
	default:
		s.lines = append(s.lines, head+", with "+count(n, "parameter value", "parameter values")+":",
			"[the parameters, whole and exactly as they would be sent: the AI assistant's text, not this server's]")
		s.lines = append(s.lines, fenceParams(params, &s.escaped)...)
		if s.escaped {
			s.lines = append(s.lines, `(In the values, \n is a line break, \t a tab, \" a quote, \\ a backslash, and \u or \x a character that would be invisible or change the display.)`)
		}
	}
	for _, l := range s.lines {
		s.rows += (columns(l) + shownWidth - 1) / shownWidth
	}
	return s
}

// fits reports whether the request can be put to a person whole.
func (s shownRequest) fits() bool { return s.rows <= maxShownLines }

// tooLong says how far the request is over the bound, for the refusal.
func (s shownRequest) tooLong() string {
	return fmt.Sprintf("shown whole it takes %d lines of %d columns; a question shows at most %d", s.rows, shownWidth, maxShownLines)
}

func countValues(p url.Values) int {
	n := 0
	for _, vals := range p {
		n += len(vals)
	}
	return n
}

// fenceParams renders parameters in key order, one value per line or more: `| key = "value"`, and for a key
// sent more than once (an argv) `| key[0] = "value"`, each element on its own line.
func fenceParams(p url.Values, escaped *bool) []string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		name, esc := quoteKey(k)
		*escaped = *escaped || esc
		for i, v := range p[k] {
			label := name
			if len(p[k]) > 1 {
				label += "[" + strconv.Itoa(i) + "]"
			}
			lines, esc := wrapValue(v, label)
			*escaped = *escaped || esc
			out = append(out, lines...)
		}
	}
	return out
}

// quoteKey shows a parameter's name as it is when it is a plain API name, quoted like a value otherwise.
func quoteKey(k string) (string, bool) {
	plain := k != "" && len(k) <= 64
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' || r == ':') {
			plain = false
			break
		}
	}
	if plain {
		return k, false
	}
	var b strings.Builder
	esc := false
	for _, t := range valueTokens(k) {
		b.WriteString(t.text)
		esc = esc || t.escaped
	}
	return `"` + b.String() + `"`, esc
}

// wrapValue renders one value under its label: `| label = "…`, continued on lines aligned under the opening
// quote, each at most shownWidth columns, the last closed with `"`.
func wrapValue(v, label string) (lines []string, escaped bool) {
	first := "| " + label + ` = "`
	indent := "| " + strings.Repeat(" ", columns(first)-2)
	room := max(shownWidth-columns(first)-1, minValueWidth) // -1: the closing quote
	var line strings.Builder
	line.WriteString(first)
	used := 0
	toks := valueTokens(v)
	for i, t := range toks {
		// A space that would end a line or begin a continued one cannot be seen, nor told from the indent:
		// spell it out.
		if t.text == " " && (used+t.width > room || i+1 < len(toks) && used+t.width+toks[i+1].width > room) {
			t = token{text: `\x20`, width: 4, escaped: true}
		}
		escaped = escaped || t.escaped
		if used+t.width > room && used > 0 {
			lines = append(lines, line.String())
			line.Reset()
			line.WriteString(indent)
			used = 0
		}
		line.WriteString(t.text)
		used += t.width
	}
	line.WriteString(`"`)
	return append(lines, line.String()), escaped
}

// token is one character of a value as shown: the character itself, or its escape.
type token struct {
	text    string
	width   int
	escaped bool
}

// valueTokens splits a value into what is shown for each of its characters (each byte of invalid UTF-8).
// A character is shown as it is when strconv would print it inside a quoted string (a letter, mark, number,
// punctuation, symbol or the ASCII space), except the quote and the backslash, and combining marks beyond
// maxMarks in a row or with nothing to combine with; everything else is its strconv escape.
func valueTokens(v string) []token {
	out := make([]token, 0, len(v))
	marks, prevShown := 0, false
	for i := 0; i < len(v); {
		r, size := utf8.DecodeRuneInString(v[i:])
		ch := v[i : i+size]
		i += size
		isMark := unicode.Is(unicode.M, r)
		switch {
		case isMark:
			marks++
		default:
			marks = 0
		}
		plain := !(r == utf8.RuneError && size == 1) && r != '"' && r != '\\' && strconv.IsPrint(r) &&
			(!isMark || prevShown && marks <= maxMarks)
		if plain {
			out = append(out, token{text: ch, width: runeColumns(r)})
			prevShown = true
			continue
		}
		q := strconv.Quote(ch)
		q = q[1 : len(q)-1]
		if isMark && r > 0xffff {
			q = fmt.Sprintf(`\U%08x`, r) // strconv prints a mark as it is: spell it out
		} else if isMark {
			q = fmt.Sprintf(`\u%04x`, r)
		}
		out = append(out, token{text: q, width: len(q), escaped: true})
		prevShown = false
	}
	return out
}

// columns is how many terminal columns s takes at most.
func columns(s string) int {
	n := 0
	for _, r := range s {
		n += runeColumns(r)
	}
	return n
}

// runeColumns counts a character from U+1100 on (where East Asian wide characters and emoji begin) as two
// columns: overcounting only wraps a line sooner.
func runeColumns(r rune) int {
	if r >= 0x1100 {
		return 2
	}
	return 1
}
