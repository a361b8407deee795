package schema

import (
	"slices"
	"sort"
	"strings"
	"sync"
)

// DefaultFindLimit and MaxFindLimit bound Find's answer.
const (
	DefaultFindLimit = 10
	MaxFindLimit     = 50
)

// Hit is one operation Find returns.
type Hit struct {
	Method  string
	Path    string
	Summary string
	Class   Class
	Op      *Operation
}

// searchDoc is an operation's words, stemmed: fixed path segments (and their parts), variable names,
// summary words.
type searchDoc struct {
	op      *Operation
	path    []string // fixed segments and their dash/underscore parts
	last    []string // the last fixed segment and its parts
	vars    []string
	summary []string
	depth   int
}

var searchIndex = sync.OnceValue(func() []searchDoc {
	ops := Operations()
	docs := make([]searchDoc, len(ops))
	for i, o := range ops {
		d := searchDoc{op: o, depth: len(o.segs)}
		last := o.lastSegment()
		for _, seg := range o.segs {
			if v, ok := varName(seg); ok {
				d.vars = append(d.vars, words(v)...)
				continue
			}
			w := words(seg)
			d.path = append(d.path, w...)
			if seg == last {
				d.last = w
			}
		}
		for _, w := range words(o.Summary) {
			if !slices.Contains(stopWords, w) {
				d.summary = append(d.summary, w)
			}
		}
		docs[i] = d
	}
	return docs
})

var stopWords = []string{
	"a", "an", "the", "of", "for", "to", "and", "or", "in",
	"on", "by", "with", "from", "is", "get", "all", "given",
	"this", "specified", "it", "be", "use", "are", "as",
}

// synonyms map a person's words to the schema's.
var synonyms = []struct {
	word string
	alts []string
}{
	{"vm", []string{"qemu"}},
	{"virtual", []string{"qemu"}},
	{"machine", []string{"qemu"}},
	{"container", []string{"lxc"}},
	{"ct", []string{"lxc"}},
	{"guest", []string{"qemu", "lxc"}},
	{"backup", []string{"vzdump", "backup"}},
	{"list", []string{"index"}},
	{"interface", []string{"iface", "network"}},
	{"nic", []string{"net", "network"}},
	{"permission", []string{"acl", "permission"}},
	{"shell", []string{"termproxy", "vncshell", "shell"}},
	{"console", []string{"vncproxy", "termproxy", "spiceproxy", "console"}},
	{"log", []string{"log", "syslog", "journal"}},
	{"disk", []string{"disk", "disks"}},
	{"template", []string{"template", "aplinfo"}},
	{"appliance", []string{"aplinfo"}},
	{"iso", []string{"content", "upload"}},
	{"certificate", []string{"certificate", "acme"}},
	{"cert", []string{"certificate", "acme"}},
	{"power", []string{"status", "start", "stop", "shutdown"}},
	{"job", []string{"job", "backup", "replication"}},
	{"metric", []string{"metric", "rrddata"}},
	{"usage", []string{"rrddata", "status"}},
	{"update", []string{"apt", "update"}},
	{"package", []string{"apt"}},
	{"high", []string{"ha"}},
	{"availability", []string{"ha"}},
}

func synonymsOf(w string) []string {
	for _, s := range synonyms {
		if s.word == w {
			return s.alts
		}
	}
	return nil
}

// words splits text into lower-case stemmed words.
func words(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	}) {
		out = append(out, stem(f))
	}
	return out
}

// stem drops a plural ending, so "rules" finds "rule" and the other way round.
func stem(w string) string {
	switch {
	case len(w) > 4 && strings.HasSuffix(w, "ies"):
		return w[:len(w)-3] + "y"
	case len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us"):
		return w[:len(w)-1]
	}
	return w
}

// Find searches the operations by words ("firewall rules", "ha resources", "storage status") and, if
// method is not empty, by method. Words are matched against path segments (most), the summary, and path
// variable names, singular and plural alike, with a few synonyms (vm: qemu, container: lxc, backup: vzdump).
// Operations that match every word rank first, shorter paths and GETs before longer ones. limit is capped
// at MaxFindLimit; 0 means DefaultFindLimit.
func Find(query, method string, limit int) []Hit {
	if limit <= 0 {
		limit = DefaultFindLimit
	}
	if limit > MaxFindLimit {
		limit = MaxFindLimit
	}
	method = strings.ToUpper(strings.TrimSpace(method))
	// a synonym counts four fifths of the word itself
	type alt struct {
		w      string
		weight int
	}
	var terms [][]alt
	for _, w := range words(query) {
		if slices.Contains(stopWords, w) {
			continue
		}
		alts := []alt{{w, 5}}
		for _, s := range synonymsOf(w) {
			alts = append(alts, alt{stem(s), 4})
		}
		terms = append(terms, alts)
	}
	if len(terms) == 0 {
		return nil
	}
	type scored struct {
		d     *searchDoc
		score int
		all   bool
	}
	docs := searchIndex()
	results := make([]scored, 0, 64)
	anyAll := false
	for i := range docs {
		d := &docs[i]
		if method != "" && d.op.Method != method {
			continue
		}
		score, all := 0, true
		for _, alts := range terms {
			best := 0
			for _, a := range alts {
				best = max(best, termScore(d, a.w)*a.weight/5)
			}
			if best == 0 {
				all = false
				score -= 8
			}
			score += best
		}
		if score <= 0 {
			continue
		}
		if all {
			anyAll = true
			score += 10
		}
		results = append(results, scored{d, score - d.depth, all})
	}
	if anyAll {
		kept := results[:0]
		for _, r := range results {
			if r.all {
				kept = append(kept, r)
			}
		}
		results = kept
	}
	sort.Slice(results, func(i, j int) bool {
		a, b := results[i], results[j]
		if a.score != b.score {
			return a.score > b.score
		}
		if ra, rb := methodRank(a.d.op.Method), methodRank(b.d.op.Method); ra != rb {
			return ra < rb
		}
		return a.d.op.Path < b.d.op.Path
	})
	if len(results) > limit {
		results = results[:limit]
	}
	hits := make([]Hit, len(results))
	for i, r := range results {
		o := r.d.op
		hits[i] = Hit{Method: o.Method, Path: o.Path, Summary: o.Summary, Class: o.Class, Op: o}
	}
	return hits
}

func termScore(d *searchDoc, t string) int {
	best := 0
	for _, w := range d.last {
		if w == t {
			return 13
		}
	}
	for _, w := range d.path {
		switch {
		case w == t:
			best = max(best, 10)
		case len(t) >= 3 && strings.HasPrefix(w, t):
			best = max(best, 5)
		}
	}
	if best >= 10 {
		return best
	}
	for _, w := range d.summary {
		switch {
		case w == t:
			best = max(best, 6)
		case len(t) >= 3 && strings.HasPrefix(w, t):
			best = max(best, 3)
		}
	}
	for _, w := range d.vars {
		if w == t {
			best = max(best, 4)
		}
	}
	return best
}

func methodRank(m string) int {
	switch m {
	case "GET":
		return 0
	case "POST":
		return 1
	case "PUT":
		return 2
	}
	return 3
}
