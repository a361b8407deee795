package schema

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// pathNode is one level of the template tree. As in pve-common's RESTHandler, a level has either fixed
// children or one variable child, never both, so a concrete path has at most one template.
type pathNode struct {
	fixed    []fixedChild // sorted by segment
	varName  string
	varChild *pathNode
	// rest: the variable takes the rest of the path, slashes included. pve-storage registers the content
	// subclass with an empty fragmentDelimiter because volume IDs hold a '/' (local:iso/debian.iso), pve-firewall
	// its IP set entries because a CIDR does (192.0.2.0/24).
	rest     bool
	template string
	ops      [4]*opHead // by methodRank: GET, POST, PUT, DELETE
}

// fixedChild is a fixed path segment and the level below it.
type fixedChild struct {
	seg  string
	node *pathNode
}

// child finds the level below a fixed segment, or nil.
func (n *pathNode) child(seg string) *pathNode {
	i, found := slices.BinarySearchFunc(n.fixed, seg, func(c fixedChild, s string) int { return strings.Compare(c.seg, s) })
	if !found {
		return nil
	}
	return n.fixed[i].node
}

// restVariables are the variables that follow a subclass registered with an empty fragmentDelimiter
// (RESTHandler joins the rest of the path into one segment there).
var restVariables = []string{
	"/nodes/{node}/storage/{storage}/content/{volume}",
	"/cluster/firewall/ipset/{name}/{cidr}",
	"/nodes/{node}/qemu/{vmid}/firewall/ipset/{name}/{cidr}",
	"/nodes/{node}/lxc/{vmid}/firewall/ipset/{name}/{cidr}",
}

func buildTree(heads []opHead) *pathNode {
	root := &pathNode{template: "/"}
	for i := range heads {
		o := &heads[i]
		n := root
		for i, seg := range o.segs {
			if v, ok := varName(seg); ok {
				if n.varChild == nil {
					n.varChild = &pathNode{template: "/" + strings.Join(o.segs[:i+1], "/")}
					n.varName = v
					n.rest = slices.Contains(restVariables, n.varChild.template)
				}
				n = n.varChild
				continue
			}
			c := n.child(seg)
			if c == nil {
				c = &pathNode{template: "/" + strings.Join(o.segs[:i+1], "/")}
				at, _ := slices.BinarySearchFunc(n.fixed, seg, func(c fixedChild, s string) int { return strings.Compare(c.seg, s) })
				n.fixed = slices.Insert(n.fixed, at, fixedChild{seg, c})
			}
			n = c
		}
		n.ops[methodRank(o.method)] = o
	}
	return root
}

// walk follows decoded segments down the tree; nil when no template has this shape. A variable matches a
// segment without white space (RESTHandler's default \S+).
func (root *pathNode) walk(segs []string) (*pathNode, map[string]string) {
	n := root
	vars := map[string]string{}
	for i := 0; i < len(segs); i++ {
		seg := segs[i]
		if c := n.child(seg); c != nil {
			n = c
			continue
		}
		if n.varChild == nil {
			return nil, nil
		}
		if n.rest {
			seg = strings.Join(segs[i:], "/")
			i = len(segs)
		} else if strings.Contains(seg, "/") {
			return nil, nil // an escaped '/' stays in its segment, and no variable but a volume holds one
		}
		if seg == "" || strings.IndexFunc(seg, isSpace) >= 0 {
			return nil, nil
		}
		vars[n.varName] = seg
		n = n.varChild
	}
	if n.ops == [4]*opHead{} {
		return nil, nil
	}
	return n, vars
}

func isSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f' || r == 0x85 || r == 0xa0
}

// Route finds the operation for a method and a path already split into unescaped segments, the way pveproxy
// finds its handler: no validation of the variables (the handler's parameter check does that). ok is false
// when no operation has this path and method; pveproxy answers that with 501.
func Route(method string, segments []string) (op *Operation, vars map[string]string, ok bool) {
	t := loaded()
	n, vars := t.root.walk(segments)
	if n == nil || n.op(method) == nil {
		return nil, nil, false
	}
	return t.get(n.op(method)), vars, true
}

// Target is a concrete request path matched to its operation.
type Target struct {
	Op   *Operation
	Vars map[string]string // the path variables, unescaped and validated
	// Path is the path to send, below /api2/json: the template with each variable escaped (url.PathEscape), so
	// that no value can add or remove a segment.
	Path string
}

// PathError is a concrete path that names no operation, or not this one, or holds a bad variable.
type PathError struct {
	Method, Path string
	Reason       string
	// Template and Methods: the path has a template, but not for Method; these are the methods it has.
	Template string
	Methods  []string
	// Closest are the templates nearest to a path that matches none.
	Closest []Candidate
	// Problems are the variables that failed their parameter's schema.
	Problems []Problem
}

// Candidate is a template and the methods it has.
type Candidate struct {
	Path    string
	Methods []string
}

func (c Candidate) String() string { return strings.Join(c.Methods, ",") + " " + c.Path }

func (e *PathError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %s", e.Method, e.Path, e.Reason)
	if e.Template != "" {
		fmt.Fprintf(&b, "; %s has only %s", e.Template, strings.Join(e.Methods, ", "))
	}
	for i, p := range e.Problems {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	if len(e.Closest) > 0 {
		b.WriteString("; closest: ")
		for i, c := range e.Closest {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(c.String())
		}
	}
	return b.String()
}

// Match finds the operation a concrete path and method name ("GET", "/nodes/pve1/qemu/100/firewall/rules")
// and validates every path variable against its parameter's schema (format, pattern, range). The path is
// below /api2/json (a leading /api2/json is dropped); segments may be percent-escaped. Refused: a query or
// fragment, empty, "." or ".." segments, control characters, an escaped '/' inside a segment (except in a
// volume ID or an IP set's CIDR, which PVE reads to the end of the path), and any path whose template or
// method does not exist.
func Match(method, path string) (*Target, error) {
	method = strings.ToUpper(method)
	perr := func(reason string) *PathError { return &PathError{Method: method, Path: path, Reason: reason} }
	switch method {
	case "GET", "POST", "PUT", "DELETE":
	default:
		return nil, perr("the method must be GET, POST, PUT or DELETE")
	}
	if !utf8.ValidString(path) {
		return nil, perr("the path is not valid UTF-8")
	}
	if !strings.HasPrefix(path, "/") {
		return nil, perr("the path must start with /")
	}
	if strings.ContainsAny(path, "?#") {
		return nil, perr("the path must not hold a query or fragment: give parameters separately")
	}
	if strings.IndexFunc(path, func(r rune) bool { return r < 0x20 || r == 0x7f || isSpace(r) }) >= 0 {
		return nil, perr("the path holds white space or control characters")
	}
	rest := path
	if r, ok := strings.CutPrefix(rest, "/api2/json"); ok && (r == "" || r[0] == '/') {
		rest = r
	}
	rest = strings.TrimRight(rest, "/")
	if rest == "" {
		return nil, perr("the path names no operation")
	}
	raw := strings.Split(rest[1:], "/")
	segs := make([]string, len(raw))
	for i, r := range raw {
		if r == "" {
			return nil, perr("the path has an empty segment (//)")
		}
		u, err := url.PathUnescape(r)
		if err != nil {
			return nil, perr(fmt.Sprintf("segment %d has a bad %%-escape", i+1))
		}
		if u == "." || u == ".." {
			return nil, perr(`the path must not hold "." or ".." segments`)
		}
		if strings.IndexFunc(u, func(r rune) bool { return r < 0x20 || r == 0x7f || isSpace(r) }) >= 0 {
			return nil, perr(fmt.Sprintf("segment %d holds white space or control characters", i+1))
		}
		if !utf8.ValidString(u) {
			return nil, perr(fmt.Sprintf("segment %d is not valid UTF-8", i+1))
		}
		segs[i] = u
	}
	t := loaded()
	n, vars := t.root.walk(segs)
	if n == nil {
		for i, s := range segs {
			if strings.Contains(s, "/") {
				return nil, perr(fmt.Sprintf("segment %d holds an escaped '/'", i+1))
			}
		}
		e := perr("no operation has this path")
		e.Closest = closest(t, method, segs, 3)
		return nil, e
	}
	var op *Operation
	if h := n.op(method); h != nil {
		op = t.get(h)
	}
	if op == nil {
		e := perr("no such method for this path")
		e.Template = n.template
		e.Methods = methodsOf(n)
		return nil, e
	}
	var problems []Problem
	for _, seg := range op.segs {
		name, ok := varName(seg)
		if !ok {
			continue
		}
		p := op.Param(name)
		if p == nil {
			continue
		}
		v := vars[name]
		if slices.Contains(restVariables, op.Path) && strings.Contains(v, "/") {
			if dotSegments(v) {
				problems = append(problems, Problem{Param: name, Kind: "format", Msg: `must not hold "." or ".." path elements`})
				continue
			}
		}
		if pr, ok := checkParam(p, name, v); !ok {
			problems = append(problems, pr)
		}
	}
	if len(problems) > 0 {
		e := perr("a path variable is not valid")
		e.Problems = problems
		return nil, e
	}
	var b strings.Builder
	for _, seg := range op.segs {
		b.WriteByte('/')
		if name, ok := varName(seg); ok {
			b.WriteString(url.PathEscape(vars[name]))
		} else {
			b.WriteString(seg)
		}
	}
	return &Target{Op: op, Vars: vars, Path: b.String()}, nil
}

func dotSegments(v string) bool {
	for _, part := range strings.Split(v, "/") {
		if part == "." || part == ".." {
			return true
		}
	}
	return false
}

func methodsOf(n *pathNode) []string {
	var out []string
	for _, m := range []string{"GET", "POST", "PUT", "DELETE"} {
		if n.op(m) != nil {
			out = append(out, m)
		}
	}
	return out
}

// op is the node's operation for a method, or nil.
func (n *pathNode) op(method string) *opHead {
	switch method {
	case "GET", "POST", "PUT", "DELETE":
		return n.ops[methodRank(method)]
	}
	return nil
}

// closest ranks every template against the segments: a fixed segment that matches scores most, a near miss
// (a typo, a missing plural s) less, a variable a little; a wrong segment or a different length costs.
func closest(t *table, method string, segs []string, limit int) []Candidate {
	type scored struct {
		c     Candidate
		score int
		tie   int
	}
	seen := map[string]bool{}
	var all []scored
	for i := range t.heads {
		o := &t.heads[i]
		if seen[o.path] {
			continue
		}
		seen[o.path] = true
		score := 0
		for i := 0; i < len(o.segs) && i < len(segs); i++ {
			seg := o.segs[i]
			switch {
			case strings.HasPrefix(seg, "{"):
				score++
			case seg == segs[i]:
				score += 3
			case near(seg, segs[i]):
				score += 2
			default:
				score -= 2
			}
		}
		d := len(o.segs) - len(segs)
		if d < 0 {
			d = -d
		}
		score -= 2 * d
		if score <= 0 {
			continue
		}
		n, _ := t.root.walkTemplate(o.segs)
		c := Candidate{Path: o.path, Methods: methodsOf(n)}
		tie := 0
		if n.op(method) == nil {
			tie = 1
		}
		all = append(all, scored{c, score, tie})
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].score != all[j].score {
			return all[i].score > all[j].score
		}
		if all[i].tie != all[j].tie {
			return all[i].tie < all[j].tie
		}
		return all[i].c.Path < all[j].c.Path
	})
	var out []Candidate
	for i := 0; i < len(all) && i < limit; i++ {
		out = append(out, all[i].c)
	}
	return out
}

// walkTemplate follows a template's own segments.
func (root *pathNode) walkTemplate(segs []string) (*pathNode, bool) {
	n := root
	for _, seg := range segs {
		if _, ok := varName(seg); ok {
			n = n.varChild
		} else {
			n = n.child(seg)
		}
		if n == nil {
			return nil, false
		}
	}
	return n, true
}

// near reports a likely typo: an edit distance of at most 2 on words of 4 or more letters, or one being the
// other's prefix.
func near(a, b string) bool {
	if len(a) < 3 || len(b) < 3 {
		return false
	}
	if strings.HasPrefix(a, b) || strings.HasPrefix(b, a) {
		return true
	}
	return len(a) >= 4 && len(b) >= 4 && EditDistance(a, b) <= 2
}

// EditDistance is the Levenshtein distance between a and b, by bytes, for near-miss suggestions (a misspelt
// parameter here; a tool's, a setting's or a targets-file key's name in cmd). Strings longer than 64 bytes
// are never near anything: 99.
func EditDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
