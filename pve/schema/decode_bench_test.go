package schema

import (
	"runtime"
	"testing"
)

// BenchmarkIndex is what the first routed request pays: the string table, the records' offsets, the path
// tree. heap-B is the memory that keeps.
func BenchmarkIndex(b *testing.B) {
	benchmarkLoad(b, func(t *table) {})
}

// BenchmarkDecodeAll is the whole table decoded and classified (what Operations and Find need).
func BenchmarkDecodeAll(b *testing.B) {
	benchmarkLoad(b, func(t *table) {
		for i := range t.heads {
			t.get(&t.heads[i])
		}
	})
}

func benchmarkLoad(b *testing.B, then func(*table)) {
	var before, after runtime.MemStats
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&before)
		b.StartTimer()
		t, err := index(tableData)
		if err != nil {
			b.Fatal(err)
		}
		for i := range t.heads {
			t.heads[i].segs = splitSegs(t.heads[i].path)
		}
		t.root = buildTree(t.heads)
		then(t)
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc), "heap-B")
		runtime.KeepAlive(t)
		b.StartTimer()
	}
}
