package startheap

import (
	"runtime/debug"
	"testing"
)

// TestTargetWhileStartingThenDefault: the package's init lowered the collector's target, and Done restores the
// default.
func TestTargetWhileStartingThenDefault(t *testing.T) {
	if got := debug.SetGCPercent(startPercent); got != startPercent {
		t.Errorf("while starting the target is %d, want %d", got, startPercent)
	}
	Done()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("after Done the target is %d, want 100", got)
	}
}
