package safefile

import (
	"bytes"
	"path/filepath"
	"testing"
)

// BenchmarkReplace measures atomic compare-and-swap rewrites of a 4 KiB file
// (read, temp write, two fsyncs, exchange, checks), reported as writes/s.
func BenchmarkReplace(b *testing.B) {
	dir, root := newRoot(b)
	content := [2][]byte{bytes.Repeat([]byte("a"), 4096), bytes.Repeat([]byte("b"), 4096)}
	writeFile(b, filepath.Join(dir, "bench.md"), content[0], 0o644)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		s, err := Read(root, "bench.md", 0)
		if err != nil {
			b.Fatal(err)
		}
		if err := Replace(root, "bench.md", s, content[(i+1)%2]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
}

// BenchmarkRead measures a safe read of a 4 KiB file.
func BenchmarkRead(b *testing.B) {
	dir, root := newRoot(b)
	writeFile(b, filepath.Join(dir, "bench.md"), bytes.Repeat([]byte("a"), 4096), 0o644)
	for b.Loop() {
		if _, err := Read(root, "bench.md", 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadListed measures a read of a 4 KiB file through a Dir as a
// dry run's listing makes it, its buffer released for the next.
func BenchmarkReadListed(b *testing.B) {
	dir, root := newRoot(b)
	writeFile(b, filepath.Join(dir, "bench.md"), bytes.Repeat([]byte("a"), 4096), 0o644)
	d, err := OpenDir(root, ".")
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	b.ReportAllocs()
	for b.Loop() {
		s, err := d.ReadListed("bench.md", 0)
		if err != nil {
			b.Fatal(err)
		}
		s.Release()
	}
}
