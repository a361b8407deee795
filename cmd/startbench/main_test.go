package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestRSS(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	m := residentOf(os.Getpid())
	if m.rss < 1024 || m.rss > 1<<22 {
		t.Errorf("RSS of this test process = %d kB: not a plausible reading", m.rss)
	}
	// the kernel counts a third kind (shared memory) in VmRSS too, so the two parts add up to at most the whole
	if m.anon <= 0 || m.file <= 0 || m.anon+m.file > m.rss {
		t.Errorf("anonymous %d kB + file %d kB against RSS %d kB: not a plausible split", m.anon, m.file, m.rss)
	}
	if residentOf(-1) != (resident{}) {
		t.Error("a missing process must read as zero")
	}
}

// TestFailedBuildCleansUp runs startbench where ./cmd/proxmox-mcp does not exist (this package's directory), so
// its build fails: the exit status says so and the temporary build directory is gone.
func TestFailedBuildCleansUp(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	var out, errb bytes.Buffer
	if code := run(nil, &out, &errb); code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, out.String(), errb.String())
	}
	if !strings.Contains(errb.String(), "build:") {
		t.Errorf("stderr does not say the build failed: %s", errb.String())
	}
	left, err := filepath.Glob(filepath.Join(tmp, "startbench*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("temporary build directory left behind: %v", left)
	}
}

func TestRejectsNoRuns(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"-bin", "/nonexistent", "-runs", "0"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "-runs") {
		t.Errorf("exit %d, stderr %q: want 2 and a word about -runs", code, errb.String())
	}
}
