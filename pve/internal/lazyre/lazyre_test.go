package lazyre

import (
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRegexp: nothing is compiled until first use; then every method answers as the compiled expression does,
// also when goroutines race to the first use.
func TestRegexp(t *testing.T) {
	re := &Regexp{Src: `^(a+)-(\d+)$`}
	if re.re != nil {
		t.Fatal("compiled before its first use")
	}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); re.MatchString("aa-1") }()
	}
	wg.Wait()
	got := []any{re.MatchString("aa-12"), re.MatchString("b-1"), re.FindString("aa-3"), re.FindStringSubmatch("a-7"),
		(&Regexp{Src: `,\s*`}).Split("a, b,c", -1), (&Regexp{Src: `\d`}).ReplaceAllString("a1b2", "#"),
		(&Regexp{Src: `x`}).ReplaceAllLiteralString("axb", "$1"), re.String()}
	want := []any{true, false, "aa-3", []string{"a-7", "a", "7"}, []string{"a", "b", "c"}, "a#b#", "a$1b", `^(a+)-(\d+)$`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

func TestRegexpPanicsOnABadSource(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("a source that does not compile did not panic")
		}
	}()
	(&Regexp{Src: `(`}).MatchString("x")
}
