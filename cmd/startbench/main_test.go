package main

import (
	"os"
	"runtime"
	"testing"
)

func TestRSS(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	kb := rssKB(os.Getpid())
	if kb < 1024 || kb > 1<<22 {
		t.Errorf("RSS of this test process = %d kB: not a plausible reading", kb)
	}
	if rssKB(-1) != 0 {
		t.Error("a missing process must read as 0")
	}
}
