package schema

import (
	"runtime"
	"testing"
)

// BenchmarkFirstUse is what the first call that needs the table pays: decoding, classifying, the path tree.
// heap-B is the memory the decoded table keeps.
func BenchmarkFirstUse(b *testing.B) {
	var before, after runtime.MemStats
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&before)
		b.StartTimer()
		t, err := decode(tableData)
		if err != nil {
			b.Fatal(err)
		}
		classify(t.ops)
		t.root = buildTree(t.ops)
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc), "heap-B")
		runtime.KeepAlive(t)
		b.StartTimer()
	}
}
