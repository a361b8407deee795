// Package lazyre is a regular expression compiled on first use. Written as a composite literal it is static
// data, so a package holding many (the schema's formats, the simulator linked into the product for --demo)
// compiles nothing and allocates nothing at start-up.
package lazyre

import (
	"regexp"
	"sync"
)

// Regexp is Src, compiled by the first method called on it.
type Regexp struct {
	Src  string
	once sync.Once
	re   *regexp.Regexp
}

// Get is the compiled expression; a source that does not compile panics, as regexp.MustCompile does.
func (l *Regexp) Get() *regexp.Regexp {
	l.once.Do(func() { l.re = regexp.MustCompile(l.Src) })
	return l.re
}

func (l *Regexp) MatchString(s string) bool            { return l.Get().MatchString(s) }
func (l *Regexp) FindString(s string) string           { return l.Get().FindString(s) }
func (l *Regexp) FindStringSubmatch(s string) []string { return l.Get().FindStringSubmatch(s) }
func (l *Regexp) Split(s string, n int) []string       { return l.Get().Split(s, n) }
func (l *Regexp) ReplaceAllString(src, repl string) string {
	return l.Get().ReplaceAllString(src, repl)
}
func (l *Regexp) ReplaceAllLiteralString(src, repl string) string {
	return l.Get().ReplaceAllLiteralString(src, repl)
}
func (l *Regexp) String() string { return l.Src }
