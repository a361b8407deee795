package pvesim

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestHistoryAt: two clusters made hours apart with the same WithHistoryAt have the same past, task ids
// included; without it, the past moves with the clock and so do the ids.
func TestHistoryAt(t *testing.T) {
	midnight := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	at := func(now time.Time, opts ...Option) []TaskState {
		return New(Default(), append(opts, WithClock(func() time.Time { return now }))...).Tasks()
	}
	morning, evening := midnight.Add(9*time.Hour), midnight.Add(21*time.Hour)
	a, b := at(morning, WithHistoryAt(midnight)), at(evening, WithHistoryAt(midnight))
	if len(a) == 0 {
		t.Fatal("the demo cluster has no task history")
	}
	if diff := cmp.Diff(upids(a), upids(b)); diff != "" {
		t.Errorf("the same anchor, 12 hours apart (-morning +evening):\n%s", diff)
	}
	last := a[len(a)-1].Start
	if !last.Before(midnight) {
		t.Errorf("the newest past task starts at %v, not before the anchor %v", last, midnight)
	}
	if diff := cmp.Diff(upids(at(morning)), upids(at(evening))); diff == "" {
		t.Error("without an anchor the task ids do not move with the clock")
	}
	// An anchor after the clock's now is not taken: the past stays in the past.
	if diff := cmp.Diff(upids(at(morning)), upids(at(morning, WithHistoryAt(evening)))); diff != "" {
		t.Errorf("an anchor in the future was taken (-now +future):\n%s", diff)
	}
}

func upids(ts []TaskState) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.UPID
	}
	return out
}
