package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeInstall keeps the README's install facts true: the Go version is go.mod's, it says where go
// install puts the binary, and the tests it says skip without ../shared exist where it says.
func TestReadmeInstall(t *testing.T) {
	root := filepath.Join("..", "..")
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(mod)
	if m == nil {
		t.Fatal("go.mod has no go line")
	}
	text := string(readme)
	for _, want := range []string{"Go " + string(m[1]) + " or newer", "$(go env GOPATH)/bin", "on the `PATH`"} {
		if !strings.Contains(text, want) {
			t.Errorf("README does not say %q", want)
		}
	}
	// "`TestA` and `TestB` (`pkg`), `TestC` (`pkg2`) ..." in the sentence about ../shared
	_, after, ok := strings.Cut(text, "skip without it:")
	if !ok {
		t.Fatal("README does not say which tests skip without ../shared")
	}
	sentence, _, _ := strings.Cut(after, ". ")
	named := 0
	for _, group := range regexp.MustCompile("((?:`Test\\w+`(?:,| and| )*)+)\\(`([\\w/]+)`\\)").FindAllStringSubmatch(sentence, -1) {
		dir := filepath.Join(root, group[2])
		for _, name := range regexp.MustCompile("`(Test\\w+)`").FindAllStringSubmatch(group[1], -1) {
			named++
			if !funcInDir(t, dir, name[1]) {
				t.Errorf("README names %s in %s, which has no such test", name[1], group[2])
			}
		}
	}
	if named == 0 {
		t.Errorf("no test names found in %q", sentence)
	}
}

func funcInDir(t *testing.T, dir, name string) bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "func "+name+"(") {
			return true
		}
	}
	return false
}
