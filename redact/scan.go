package redact

import (
	"bytes"
	"cmp"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// span is a byte range [start, end) of the input to replace with the mask.
type span struct{ start, end int }

// matcher is a compiled set of secrets. It is immutable, so readers share it without locks.
type matcher struct {
	raw    *automaton // every text form of the secrets, folded, plus the header keyword
	dec    *automaton // the decoded spellings only, for the decoded views
	b64    *automaton // base64 cores of the secrets and of the header keyword, exact case
	window int        // longest pattern of dec and b64: how far a decoded view looks around an escape
	ring   int        // power of two >= the longest decoded spelling
	keep   int        // longest stretch of input one match can take (for Writer)
	mask   string
}

// compile builds the matcher for secrets (already split and deduplicated).
func compile(secrets []string) *matcher {
	raw := []pattern{{text: foldString(headerKeyword), keyword: true}}
	var dec []pattern
	var forms, cores []string
	for _, s := range secrets {
		decoded, encoded := textForms(s)
		for _, f := range decoded {
			dec = append(dec, pattern{text: f})
		}
		forms = append(append(forms, decoded...), encoded...)
		cores = append(cores, base64Cores(s)...)
	}
	for _, f := range forms {
		raw = append(raw, pattern{text: f})
	}
	var b64 []pattern
	for _, c := range append(base64Cores(headerKeyword), cores...) {
		b64 = append(b64, pattern{text: c})
	}
	longest := func(pats []pattern) (n int) {
		for _, p := range pats {
			n = max(n, len(p.text))
		}
		return n
	}
	ring := 1
	for ring < longest(dec) {
		ring <<= 1
	}
	return &matcher{
		raw:    newAutomaton(raw, foldByte),
		dec:    newAutomaton(dec, foldByte),
		b64:    newAutomaton(b64, identityByte),
		window: max(longest(dec), longest(b64)),
		ring:   ring,
		// The widest escape takes 6 input bytes per decoded byte (\u00XX); the encoded forms are literal.
		keep: max(6*max(longest(dec), longest(b64)), longest(raw)) + 12,
		mask: chooseMask(forms, cores),
	}
}

var defaultMatcher = sync.OnceValue(func() *matcher { return compile(nil) })

// isB64 marks the characters of both base64 alphabets. A run of them may end in '=' padding, which is not
// in the table so that "key=" is not taken for part of a run.
var isB64 = func() (t [256]bool) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_") {
		t[c] = true
	}
	return t
}()

// Escape introducers seen by the raw pass decide which decoded views run.
const (
	escPercent uint8 = 1 << iota
	escBackslash
)

var escFlag = func() (t [256]uint8) {
	t['%'] = escPercent
	t['\\'] = escBackslash
	return t
}()

// redactText replaces every match with the mask, and repeats on the result until nothing changes: a
// replacement can cut an escape sequence in two or put text next to a mask, and the repetition makes
// "the output holds no match" true by construction rather than by argument. The second pass is on the slow
// path only; it usually finds nothing but the masks of header values, which need no change. It terminates:
// every pass that changes the text masks a byte of the original or merges adjacent masks into one.
func redactText[T text](m *matcher, s T) T {
	var buf [16]span
	spans := find(m, s, buf[:0])
	for changes(s, spans, m.mask) {
		s = T(apply(s, spans, m.mask))
		spans = find(m, s, spans[:0])
	}
	return s
}

// changes reports whether masking spans would change s: some span is not already the mask.
func changes[T text](s T, spans []span, mask string) bool {
	for _, sp := range spans {
		if sp.end-sp.start != len(mask) {
			return true
		}
		for i := range len(mask) {
			if s[sp.start+i] != mask[i] {
				return true
			}
		}
	}
	return false
}

// find appends the spans to mask in s, sorted and merged, to out.
func find[T text](m *matcher, s T, out []span) []span {
	out, esc := scanRaw(m, s, out)
	if esc != 0 {
		ring := getRing(m.ring)
		// The decoded views start from a nil slice, so out stays on the caller's stack unless they find
		// something.
		if esc&escPercent != 0 {
			out = append(out, scanDecoded(m, s, escPercent, *ring)...)
		}
		if esc&escBackslash != 0 {
			out = append(out, scanDecoded(m, s, escBackslash, *ring)...)
		}
		ringPool.Put(ring)
	}
	if len(out) < 2 {
		return out
	}
	slices.SortFunc(out, func(a, b span) int { return cmp.Compare(a.start, b.start) })
	merged := out[:1]
	for _, sp := range out[1:] {
		if last := &merged[len(merged)-1]; sp.start <= last.end {
			last.end = max(last.end, sp.end)
		} else {
			merged = append(merged, sp)
		}
	}
	return merged
}

// addSpan appends sp, merging it into the previous span when they touch (the common case of dense
// matches); find sorts and merges the rest.
func addSpan(out []span, sp span) []span {
	if sp.start >= sp.end {
		return out
	}
	if n := len(out); n > 0 && sp.start <= out[n-1].end && sp.end >= out[n-1].start {
		out[n-1] = span{min(sp.start, out[n-1].start), max(sp.end, out[n-1].end)}
		return out
	}
	return append(out, sp)
}

// scanRaw is the hot path: both automata over the input as it is, the header parser at each keyword, and
// a note of which escape introducers occur.
func scanRaw[T text](m *matcher, s T, out []span) ([]span, uint8) {
	t, b := m.raw, m.b64
	var ts, bs uint32
	var esc uint8
	headerEnd, runEnd := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		esc |= escFlag[c]
		x := t.next[ts+uint32(t.class[c])]
		ts = x & idxMask
		if x&hitBit != 0 {
			n, kw := t.hit(ts)
			if n > 0 {
				out = addSpan(out, span{i + 1 - n, i + 1})
			}
			// A keyword inside a value already parsed cannot widen that value's span.
			if kw && i+1 >= headerEnd {
				var sp span
				sp, headerEnd = parseHeader(s, i+1)
				out = addSpan(out, sp)
			}
		}
		y := b.next[bs+uint32(b.class[c])]
		bs = y & idxMask
		// Mask the whole base64 run. Each run is walked once: later hits inside it are skipped.
		if y&hitBit != 0 && i >= runEnd {
			start := i
			for start > 0 && isB64[s[start-1]] {
				start--
			}
			runEnd = i + 1
			for runEnd < len(s) && isB64[s[runEnd]] {
				runEnd++
			}
			for runEnd < len(s) && s[runEnd] == '=' {
				runEnd++
			}
			out = addSpan(out, span{start, runEnd})
		}
	}
	return out, esc
}

// scanDecoded runs the decoded-spelling and base64 automata over a decoded view of s (percent escapes, or
// JSON/Go backslash escapes) and maps matches back to the input. Outside escapes the view is the raw text,
// where scanRaw already looked, so only windows of m.window bytes around escapes are scanned: a match that
// involves an escape lies within one. Text with a few escapes costs little more than the raw pass.
func scanDecoded[T text](m *matcher, s T, view uint8, ring []int) []span {
	z := decodedScan[T]{m: m, s: s, ring: ring}
	w := m.window
	var buf [utf8.UTFMax]byte
	pos, tail := 0, false
	for pos < len(s) {
		p := nextEscape(s, pos, view)
		a := pos
		if tail { // finish the window after the previous escape
			for e := min(p, a+w); a < e; a++ {
				z.feed(s[a], a, 1)
			}
		}
		if p == len(s) {
			break
		}
		if p-a > w { // a gap: restart the automata a window's width before the escape
			z.ts, z.bs, a = 0, 0, p-w
		}
		for ; a < p; a++ {
			z.feed(s[a], a, 1)
		}
		dec, size := decodeEscape(s, p, view, &buf)
		for _, c := range dec {
			z.feed(c, p, size)
		}
		pos, tail = p+size, true
	}
	return z.out
}

// decodedScan is the state of scanDecoded. ring remembers where the last decoded bytes came from, so a
// match's start is known when its end is reached.
type decodedScan[T text] struct {
	m      *matcher
	s      T
	ring   []int
	out    []span
	ts, bs uint32
	d      int // decoded bytes fed
	runEnd int // end of the last base64 run masked
}

// feed runs one decoded byte that came from s[i:i+size].
func (z *decodedScan[T]) feed(c byte, i, size int) {
	t, b := z.m.dec, z.m.b64
	rmask := len(z.ring) - 1
	z.ring[z.d&rmask] = i
	z.d++
	x := t.next[z.ts+uint32(t.class[c])]
	z.ts = x & idxMask
	if x&hitBit != 0 {
		if n, _ := t.hit(z.ts); n > 0 {
			z.out = addSpan(z.out, span{z.ring[(z.d-n)&rmask], i + size})
		}
	}
	y := b.next[z.bs+uint32(b.class[c])]
	z.bs = y & idxMask
	if y&hitBit != 0 && i >= z.runEnd {
		sp := escapedRun(z.s, i)
		z.runEnd = sp.end
		z.out = addSpan(z.out, sp)
	}
}

// escapedRun returns the base64 run around s[i] when it holds escapes: the characters of the alphabets,
// padding, and anything that can be part of an escape. It may take in a little more than the run (a
// neighbouring word after "\n"); it is only used once a base64 core has been found there.
func escapedRun[T text](s T, i int) span {
	start, end := i, i
	for start > 0 && inEscapedRun[s[start-1]] {
		start--
	}
	for end < len(s) && inEscapedRun[s[end]] {
		end++
	}
	return span{start, end}
}

var inEscapedRun = func() [256]bool {
	t := isB64
	for _, c := range []byte("=%\\") {
		t[c] = true
	}
	return t
}()

// nextEscape returns the index of the first escape of the view at or after pos, or len(s).
func nextEscape[T text](s T, pos int, view uint8) int {
	intro := byte('%')
	if view == escBackslash {
		intro = '\\'
	}
	var buf [utf8.UTFMax]byte
	for {
		j := indexByte(s, pos, intro)
		if j < 0 {
			return len(s)
		}
		if dec, _ := decodeEscape(s, j, view, &buf); dec != nil {
			return j
		}
		pos = j + 1
	}
}

// decodeEscape decodes the view's escape at s[i]; dec is nil when there is none.
func decodeEscape[T text](s T, i int, view uint8, buf *[utf8.UTFMax]byte) (dec []byte, size int) {
	if view == escPercent {
		c, size, ok := percentAt(s, i)
		if !ok {
			return nil, 0
		}
		buf[0] = c
		return buf[:1], size
	}
	dec, size, ok := backslashAt(s, i, buf)
	if !ok {
		return nil, 0
	}
	return dec, size
}

// indexByte is strings.IndexByte or bytes.IndexByte from pos, whichever fits.
func indexByte[T text](s T, pos int, c byte) int {
	var j int
	switch v := any(s).(type) {
	case string:
		j = strings.IndexByte(v[pos:], c)
	case []byte:
		j = bytes.IndexByte(v[pos:], c)
	default:
		j = -1
		for k := pos; k < len(s); k++ {
			if s[k] == c {
				return k
			}
		}
	}
	if j < 0 {
		return -1
	}
	return pos + j
}

var ringPool sync.Pool // *[]int

func getRing(n int) *[]int {
	if p, _ := ringPool.Get().(*[]int); p != nil && len(*p) >= n {
		*p = (*p)[:n]
		return p
	}
	r := make([]int, n)
	return &r
}

// apply copies s with every span replaced by mask.
func apply[T text](s T, spans []span, mask string) []byte {
	n := len(s)
	for _, sp := range spans {
		n += len(mask) - (sp.end - sp.start)
	}
	out := make([]byte, 0, n)
	prev := 0
	for _, sp := range spans {
		out = append(out, s[prev:sp.start]...)
		out = append(out, mask...)
		prev = sp.end
	}
	return append(out, s[prev:]...)
}
