package main

import (
	"testing"
	"time"
)

// A test here never fails because the machine is slow: where it waits for something that must happen (a server
// to listen, a goroutine to exit, an answer), it waits until that happens, and gives up only shortly before
// go test's own -timeout would kill the binary, so that it can still say what it was waiting for.

// timeLeft is how long tb may still wait: until a little before the test binary's deadline, or an hour when
// there is none (a benchmark, or -timeout 0).
func timeLeft(tb testing.TB) time.Duration {
	if t, ok := tb.(interface{ Deadline() (time.Time, bool) }); ok {
		if deadline, ok := t.Deadline(); ok {
			left := time.Until(deadline)
			return max(left-max(left/20, 5*time.Second), time.Second)
		}
	}
	return time.Hour
}

// waitUntil polls ok until it holds and reports whether it did; it gives up only at timeLeft.
func waitUntil(tb testing.TB, ok func() bool) bool {
	deadline := time.Now().Add(timeLeft(tb))
	for !ok() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// waitFor waits for done to close (or to yield), giving up only at timeLeft; it reports whether it did.
func waitFor[T any](tb testing.TB, done <-chan T) (T, bool) {
	select {
	case v := <-done:
		return v, true
	case <-time.After(timeLeft(tb)):
		var zero T
		return zero, false
	}
}
