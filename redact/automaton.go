package redact

// automaton is an Aho-Corasick matcher compiled to a dense DFA: one table lookup per input byte whatever the
// number of patterns, so scanning is linear in the input with no backtracking.
//
// Bytes are first mapped to classes (bytes that occur in no pattern share class 0) to keep the table small.
// Table entries hold the next state premultiplied by the class count, with hitBit set when some pattern ends
// in that state, so the hot loop does no multiplication and one branch.
type automaton struct {
	class [256]uint8
	ncls  uint32
	next  []uint32 // (state*ncls + class) -> next state*ncls, | hitBit when out[next] != 0
	out   []uint32 // per state: longest pattern ending here << 1 | 1 if a keyword pattern ends here
}

const (
	hitBit  = uint32(1) << 31
	idxMask = hitBit - 1
)

// pattern is one string to find. A keyword is reported separately from the longest match so the header
// keyword is never hidden by a longer secret that happens to end with it.
type pattern struct {
	text    string
	keyword bool
}

// newAutomaton compiles pats. fold maps each input byte before matching (case folding for text, identity
// for base64); patterns must already be folded.
func newAutomaton(pats []pattern, fold func(byte) byte) *automaton {
	a := &automaton{}
	// Assign classes to the folded bytes the patterns use.
	var used [256]bool
	for _, p := range pats {
		for i := 0; i < len(p.text); i++ {
			used[p.text[i]] = true
		}
	}
	var id [256]uint8
	n := uint32(1)
	for b := range used {
		if used[b] {
			id[b] = uint8(n)
			n++
		}
	}
	a.ncls = n
	for c := range a.class {
		a.class[c] = id[fold(byte(c))]
	}

	// Build the trie in the dense table; 0 means "no child" while building (the root is never a child).
	a.next = make([]uint32, n)
	a.out = make([]uint32, 1)
	for _, p := range pats {
		s := uint32(0)
		for i := 0; i < len(p.text); i++ {
			c := uint32(id[p.text[i]])
			if a.next[s*n+c] == 0 {
				a.next[s*n+c] = uint32(len(a.out))
				a.next = append(a.next, make([]uint32, n)...)
				a.out = append(a.out, 0)
			}
			s = a.next[s*n+c]
		}
		if p.keyword {
			a.out[s] |= 1
		} else if l := uint32(len(p.text)); l<<1 > a.out[s]&^1 {
			a.out[s] = l<<1 | a.out[s]&1
		}
	}

	// Breadth-first: fill missing transitions from the failure state and inherit its outputs. A state's row
	// is still the raw trie when the state is dequeued, so a non-zero entry there is a real child.
	fail := make([]uint32, len(a.out))
	queue := make([]uint32, 0, len(a.out))
	for c := uint32(0); c < n; c++ {
		if v := a.next[c]; v != 0 {
			queue = append(queue, v)
		}
	}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		for c := uint32(0); c < n; c++ {
			v := a.next[u*n+c]
			if v == 0 {
				a.next[u*n+c] = a.next[fail[u]*n+c]
				continue
			}
			f := a.next[fail[u]*n+c]
			fail[v] = f
			a.out[v] |= a.out[f] & 1
			if a.out[f]&^1 > a.out[v]&^1 {
				a.out[v] = a.out[f]&^1 | a.out[v]&1
			}
			queue = append(queue, v)
		}
	}

	// Premultiply and flag.
	for i, v := range a.next {
		e := v * n
		if a.out[v] != 0 {
			e |= hitBit
		}
		a.next[i] = e
	}
	return a
}

// hit decodes the output of the state reached by an entry with hitBit set: the length of the longest
// pattern ending there (0 if only the keyword does) and whether the keyword ends there.
func (a *automaton) hit(state uint32) (longest int, keyword bool) {
	o := a.out[state/a.ncls]
	return int(o >> 1), o&1 != 0
}
