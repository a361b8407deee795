package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
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

// TestReadmeProvisionOutput: the output the README shows under its provisioning example is what the demo
// prints, line for line, but for task ids and seconds.
func TestReadmeProvisionOutput(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "go run ./cmd/proxmox-mcp --demo call proxmox_provision_vm template=9000 name=web1 ciuser=ops \\\n")
	if !ok {
		t.Fatal("README has no provisioning example")
	}
	var shown []string
	for _, l := range strings.Split(after, "\n")[1:] { // after the line with the key
		l, ok := strings.CutPrefix(l, "# ")
		if !ok {
			break
		}
		shown = append(shown, l)
	}
	var out, errb bytes.Buffer
	args := []string{"--demo", "call", "proxmox_provision_vm", "template=9000", "name=web1", "ciuser=ops", "sshkeys=" + demoKey, "confirm=true"}
	if code := run(context.Background(), args, strings.NewReader(""), &out, &errb, func(string) string { return "" }); code != 0 {
		t.Fatalf("exit %d: %s%s", code, out.String(), errb.String())
	}
	mask := func(lines []string) []string {
		upid, secs := regexp.MustCompile(`UPID:[^ ]*`), regexp.MustCompile(`[0-9]+\.[0-9]s`)
		out := make([]string, len(lines))
		for i, l := range lines {
			out[i] = secs.ReplaceAllString(upid.ReplaceAllString(l, "UPID:…"), "N.Ns")
		}
		return out
	}
	printed := strings.Split(out.String(), "\n")
	if len(shown) == 0 || len(printed) < len(shown) {
		t.Fatalf("README shows %d lines, the demo printed:\n%s", len(shown), out.String())
	}
	if diff := cmp.Diff(mask(shown), mask(printed[:len(shown)])); diff != "" {
		t.Errorf("README's provisioning output (-README +demo)\n%s", diff)
	}
}

// TestReadmeTestCommands: every `go test ... -run NAME ... ./PKG` the README tells a reader to run selects a
// test that exists in that package (a renamed test would leave the command running nothing, and passing).
func TestReadmeTestCommands(t *testing.T) {
	root := filepath.Join("..", "..")
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	cmds := regexp.MustCompile("go test [^`\n]*").FindAllString(string(readme), -1)
	checked := 0
	for _, c := range cmds {
		run := regexp.MustCompile(`-run '?(\^?\w+)`).FindStringSubmatch(c)
		pkgs := regexp.MustCompile(`\./([\w/-]+)`).FindAllStringSubmatch(c, -1)
		if run == nil || len(pkgs) != 1 {
			continue // '^$' (benchmarks only) or ./...
		}
		prefix := strings.TrimPrefix(run[1], "^")
		found := false
		files, _ := filepath.Glob(filepath.Join(root, pkgs[0][1], "*_test.go"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			found = found || regexp.MustCompile(`(?m)^func `+regexp.QuoteMeta(prefix)+`\w*\(t \*testing\.T\)`).Match(b)
		}
		if !found {
			t.Errorf("the README's %q selects no test in ./%s", c, pkgs[0][1])
		}
		checked++
	}
	if checked < 2 {
		t.Errorf("found %d README test commands with -run, want the README's (TestREADMEBlocks, TestTargets)", checked)
	}
}
