package journal

import (
	"bytes"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
)

// benchContent is a 4 KiB Markdown-like document, made distinct per record
// so that every record compresses and stores a new blob.
func benchContent(i uint64) []byte {
	b := bytes.Repeat([]byte("- [ ] a task line with some words in it\n"), 4096/40)
	b = fmt.Appendf(b[:0:0], "---\nid: %d\n---\n%s", i, b)
	return b[:4096]
}

// BenchmarkRecord measures durable Record calls (fsync on every commit) of
// 4 KiB of new content: one writer at a time, and 8 concurrent writers
// sharing commits.
func BenchmarkRecord(b *testing.B) {
	for _, workers := range []int{1, 8} {
		b.Run(fmt.Sprintf("writers=%d", workers), func(b *testing.B) {
			j := openTest(b, Retention{})
			var n atomic.Uint64
			b.SetBytes(4096)
			b.ResetTimer()
			if workers == 1 {
				for b.Loop() {
					recordBench(b, j, n.Add(1))
				}
			} else {
				b.SetParallelism(max(1, workers/runtime.GOMAXPROCS(0)))
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						recordBench(b, j, n.Add(1))
					}
				})
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

func recordBench(b *testing.B, j *Journal, i uint64) {
	c := benchContent(i)
	if _, err := j.Record(Entry{Root: "/r", Path: fmt.Sprintf("n/%d.md", i%100), Rule: "bench",
		BeforeHash: Hash(c), AfterHash: Hash(c[:10])}, c); err != nil {
		b.Fatal(err)
	}
}
