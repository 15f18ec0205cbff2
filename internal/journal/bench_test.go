package journal

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/klauspost/compress/zstd"
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

// BenchmarkPackBlob compresses note-sized pieces (about 3 KiB, cut at line
// ends) of the project's own Markdown, as Record does a write's replaced
// content, with S2 (what packBlob uses) and, for comparison, zstd's fastest
// level (what it used before). stored-% is the compressed size as a
// percentage of the content's.
func BenchmarkPackBlob(b *testing.B) {
	var notes [][]byte
	paths, _ := filepath.Glob(filepath.Join("..", "..", "doc", "*.md"))
	for _, p := range paths {
		c, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		for len(c) > 0 {
			n := min(len(c), 3<<10)
			if i := bytes.IndexByte(c[n:], '\n'); i >= 0 && n < len(c) {
				n += i + 1
			} else {
				n = len(c)
			}
			notes = append(notes, c[:n])
			c = c[n:]
		}
	}
	if len(notes) == 0 {
		b.Fatal("no Markdown under doc/")
	}
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	if err != nil {
		b.Fatal(err)
	}
	defer enc.Close()
	j := openTest(b, Retention{})
	for _, c := range []struct {
		name string
		pack func([]byte) []byte
	}{
		{"s2", j.packBlob},
		{"zstd-fastest", func(c []byte) []byte { return enc.EncodeAll(c, []byte{codecZstd}) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			var in, out, i int
			for b.Loop() {
				note := notes[i%len(notes)]
				i++
				in += len(note)
				out += len(c.pack(note))
			}
			b.SetBytes(int64(in / i))
			b.ReportMetric(100*float64(out)/float64(in), "stored-%")
		})
	}
}

// BenchmarkCopyIntoGrownJournal records and copies entries into a store
// that already holds 20,000 of them, each with content of its own, as a
// daemon's journal grows to (doc/PERFORMANCE.md, "A grown journal"): per
// entry recorded and copied into the store, without fsyncs, and the store's
// bytes per entry once done.
func BenchmarkCopyIntoGrownJournal(b *testing.B) {
	j := fast(openTest(b, Retention{}))
	var i uint64
	words := strings.Fields("the a of to and in is that for on with as it by this be are from at or an was note task link page idea draft review meeting project plan week todo done status tag area")
	record := func() {
		i++
		// About 3 KiB of words, which S2 stores at about two thirds, as
		// it does notes (BenchmarkPackBlob).
		rng := rand.New(rand.NewPCG(i, 1))
		c := fmt.Appendf(nil, "---\nid: %d\n---\n", i)
		for len(c) < 3072 {
			c = append(append(c, words[rng.IntN(len(words))]...), " \n"[min(1, rng.IntN(12)/11)])
		}
		if _, err := j.Record(Entry{Root: "/r", Path: fmt.Sprintf("n%d/%d.md", i%100, i%10000), Rule: "bench",
			BeforeHash: Hash(c), AfterHash: Hash(c[:10])}, c); err != nil {
			b.Fatal(err)
		}
	}
	for range 20_000 {
		record()
	}
	if err := j.exclusive(nil); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		record()
	}
	if err := j.exclusive(nil); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/entry")
	if fi, err := os.Stat(j.Path()); err == nil {
		b.ReportMetric(float64(fi.Size())/float64(i), "store-B/entry")
	}
}
