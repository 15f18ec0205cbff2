package scan

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// benchTree writes a vault of 20,000 files: 20 top directories of 10
// subdirectories of 100 files, 90% Markdown, with a root .gitignore and a
// nested .scribeignore. It returns how many files the filter includes.
func benchTree(b *testing.B, dir string) int {
	b.Helper()
	included := 0
	for i := range 20 {
		for j := range 10 {
			sub := filepath.Join(dir, fmt.Sprintf("area-%02d", i), fmt.Sprintf("topic-%02d", j))
			if err := os.MkdirAll(sub, 0o755); err != nil {
				b.Fatal(err)
			}
			for k := range 100 {
				name := fmt.Sprintf("note-%03d.md", k)
				if k%10 == 9 {
					name = fmt.Sprintf("image-%03d.png", k)
				} else if !(i == 3 && j == 3) {
					included++
				}
				if err := os.WriteFile(filepath.Join(sub, name), nil, 0o644); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	if err := os.WriteFile(filepath.Join(dir, ".gitignore"), []byte("*.png\n/build/\n*.tmp\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "area-03", ".scribeignore"), []byte("topic-03/\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	return included
}

// BenchmarkWalk lists a 20,000-file tree with a fresh filter each time (as
// `scribe check` does) and reports files/s.
func BenchmarkWalk(b *testing.B) {
	dir := b.TempDir()
	want := benchTree(b, dir)
	root := openRoot(b, dir)
	for _, workers := range []int{1, 2, 4, 8} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				f := mustFilter(b, dir, []string{"**/*.md"}, []string{"archive/**"}, ".scribe")
				entries, errs, err := List(b.Context(), root, f, workers)
				if err != nil || len(errs) > 0 || len(entries) != want {
					b.Fatalf("%d entries (want %d), %v, %v", len(entries), want, errs, err)
				}
			}
			b.ReportMetric(float64(20000*b.N)/b.Elapsed().Seconds(), "files/s")
			b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op")
		})
	}
}

// BenchmarkIncluded measures the lazy path a daemon uses per event, on a warm
// cache.
func BenchmarkIncluded(b *testing.B) {
	dir := b.TempDir()
	benchTree(b, dir)
	f := mustFilter(b, dir, []string{"**/*.md"}, []string{"archive/**"}, ".scribe")
	paths := make([]string, 0, 200)
	for i := range 200 {
		paths = append(paths, fmt.Sprintf("area-%02d/topic-%02d/note-%03d.md", i%20, i%10, i%100))
	}
	for _, p := range paths {
		f.Included(p)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if !f.Included(paths[i%len(paths)]) && !strings.HasPrefix(paths[i%len(paths)], "area-03/topic-03") {
			b.Fatal("not included")
		}
		i++
	}
}

// BenchmarkWalkDirBaseline is the floor to compare BenchmarkWalk with: a
// sequential filepath.WalkDir over the same tree, with no filtering at all.
func BenchmarkWalkDirBaseline(b *testing.B) {
	dir := b.TempDir()
	benchTree(b, dir)
	cpu := cpuTime()
	for b.Loop() {
		n := 0
		err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				n++
			}
			return err
		})
		if err != nil || n < 20000 {
			b.Fatal(n, err)
		}
	}
	b.ReportMetric(float64(20000*b.N)/b.Elapsed().Seconds(), "files/s")
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// cpuTime is the user and system CPU time of the process so far. Reported
// next to the wall time because CPU time stays meaningful on a busy machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
