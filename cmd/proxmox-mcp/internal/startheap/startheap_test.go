package startheap

import (
	"runtime"
	"runtime/debug"
	"testing"
)

// targetAtInit is the collector's target as the package's init left it (init functions run in file order, and
// startheap.go sorts first), read once however often the tests run.
var targetAtInit int

func init() { targetAtInit = debug.SetGCPercent(startPercent) }

// TestTargetWhileStartingThenDefault: the package's init lowered the collector's target, and Done restores the
// default.
func TestTargetWhileStartingThenDefault(t *testing.T) {
	if targetAtInit != startPercent {
		t.Errorf("while starting the target is %d, want %d", targetAtInit, startPercent)
	}
	debug.SetGCPercent(startPercent)
	Done()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("after Done the target is %d, want 100", got)
	}
}

// sink keeps the garbage allocations from being optimized away.
var sink []byte

// TestDoneReturnsFreedPages: after a few megabytes of garbage, Done hands the freed pages back to the kernel,
// where the collector alone would keep them for a while.
func TestDoneReturnsFreedPages(t *testing.T) {
	for i := 0; i < 64; i++ {
		sink = make([]byte, 64<<10)
	}
	sink = nil
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	Done()
	runtime.ReadMemStats(&after)
	if got := after.HeapReleased - before.HeapReleased; after.HeapReleased <= before.HeapReleased || got < 1<<20 {
		t.Errorf("Done released %d bytes more to the kernel (%d -> %d), want at least 1 MiB of the 4 MiB of garbage",
			int64(after.HeapReleased)-int64(before.HeapReleased), before.HeapReleased, after.HeapReleased)
	}
}
