package pve

import (
	"context"
	"crypto/sha256"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp/pve/pvesim"
)

// BenchmarkTaskEndToReturn measures how long after a task ends its wait returns (gap-ms), with the production
// poll schedule, for tasks of 300 ms and a few other lengths: a stop of a stopped VM, which Proxmox runs as a
// task that succeeds.
func BenchmarkTaskEndToReturn(b *testing.B) {
	srv := pvesim.Serve(pvesim.New(pvesim.Default()))
	b.Cleanup(srv.Close)
	fp, err := ParseFingerprint(srv.Fingerprint)
	if err != nil {
		b.Fatal(err)
	}
	var polls atomic.Int64
	c := clientFor(b, srv.URL, fp, WithObserver(func(e Event) {
		if strings.HasSuffix(e.Path, "/status") {
			polls.Add(1)
		}
	}))
	ctx := context.Background()
	req, err := PowerRequest(GuestRef{Node: "pve2", Type: Qemu, VMID: 103}, ActionStop, 0, false)
	if err != nil {
		b.Fatal(err)
	}
	// 0 stands for lengths spread over 200-400 ms, one per run, so that where a task's end falls between two
	// polls averages out.
	for _, d := range []time.Duration{300 * time.Millisecond, 250 * time.Millisecond, 0, 1050 * time.Millisecond, 3 * time.Second} {
		name := d.String()
		if d == 0 {
			name = "200-400ms"
		}
		b.Run(name, func(b *testing.B) {
			srv.SetTaskDuration("qmstop", d)
			var gap time.Duration
			polls.Store(0)
			for i := 0; b.Loop(); i++ {
				if d == 0 {
					srv.SetTaskDuration("qmstop", 200*time.Millisecond+time.Duration(i*37%200)*time.Millisecond)
				}
				u, err := c.Submit(ctx, req)
				if err != nil {
					b.Fatal(err)
				}
				res, err := c.WaitTask(ctx, u, WaitOptions{})
				returned := time.Now()
				if err != nil || !res.OK() {
					b.Fatalf("%+v %v", res, err)
				}
				for _, t := range srv.Tasks() {
					if t.UPID == u.String() {
						gap += returned.Sub(t.End)
					}
				}
			}
			b.ReportMetric(float64(gap.Microseconds())/1000/float64(b.N), "gap-ms")
			b.ReportMetric(float64(polls.Load())/float64(b.N), "polls/op")
		})
	}
}

// BenchmarkEndlessTaskLog: four concurrent tails of 5 lines against a server whose log never ends. It reports the
// peak of the live heap during the reads (peak-MiB) and how each ended.
func BenchmarkEndlessTaskLog(b *testing.B) {
	line := []byte(`{"n":1,"t":"INFO: a line of a task log that goes on and on and on"},`)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		_, _ = w.Write([]byte(`{"total":20000,"data":[`))
		chunk := []byte(strings.Repeat(string(line), 1000))
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	b.Cleanup(srv.Close)
	sum := sha256.Sum256(srv.Certificate().Raw)
	c := clientFor(b, srv.URL, sum[:])
	u, err := ParseUPID(testUPID)
	if err != nil {
		b.Fatal(err)
	}
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
		}
	}()
	var tooLarge atomic.Int64
	ctx := context.Background()
	for b.Loop() {
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, err := c.TaskLogTail(ctx, u, 5)
				if errors.Is(err, ErrTooLarge) {
					tooLarge.Add(1)
				}
			}()
		}
		wg.Wait()
	}
	close(stop)
	<-sampled
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-MiB")
	b.ReportMetric(float64(tooLarge.Load())/float64(4*b.N), "too-large/read")
}
