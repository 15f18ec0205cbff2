package builtin

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/action"
)

// lkBenchDocs is the engine's Docs shape for benchmarks: the list is kept in
// memory (as the engine keeps it), reads and stats go to the disk.
type lkBenchDocs struct {
	*lkDir
	list []string
}

func (d *lkBenchDocs) List() []string { return d.list }

// lkGenVault writes n notes of about 1.5 KB with about ten links each into
// dir, deterministically: wiki links by name and to headings and blocks,
// relative Markdown links with anchors, embeds of attachments, and about one
// broken link in a hundred. It returns the note paths, sorted.
func lkGenVault(tb testing.TB, dir string, n int) []string {
	tb.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	const folders = 100
	name := func(i int) string { return fmt.Sprintf("Note %05d", i) }
	folder := func(i int) string { return fmt.Sprintf("area-%02d", i%folders) }
	if err := os.MkdirAll(filepath.Join(dir, "attachments"), 0o755); err != nil {
		tb.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		if err := os.WriteFile(filepath.Join(dir, "attachments", fmt.Sprintf("img-%02d.png", i)), []byte("PNG"), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	paths := make([]string, 0, n)
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.Reset()
		fmt.Fprintf(&b, "---\ntitle: %s\ntags: [bench, t%d]\n---\n# %s\n\n", name(i), i%17, name(i))
		for s := 1; s <= 3; s++ {
			fmt.Fprintf(&b, "## Section %d\n\nSome prose about the topic of this section, long enough to look like a real note. ", s)
			for k := 0; k < 3; k++ {
				j := r.IntN(n)
				switch r.IntN(7) {
				case 0:
					fmt.Fprintf(&b, "See [[%s#Section %d]]. ", name(j), 1+r.IntN(3))
				case 1:
					fmt.Fprintf(&b, "Also [that note](../%s/Note%%20%05d.md#section-%d). ", folder(j), j, 1+r.IntN(3))
				case 2:
					fmt.Fprintf(&b, "Decided in [[%s#^b1|this decision]]. ", name(j))
				case 3:
					fmt.Fprintf(&b, "![[img-%02d.png]] ", r.IntN(20))
				default:
					fmt.Fprintf(&b, "Related: [[%s]]. ", name(j))
				}
			}
			if r.IntN(100) < 3 {
				fmt.Fprintf(&b, "A typo [[Note %05dx]]. ", r.IntN(n))
			}
			b.WriteString("\n\n`[[not a link]]` and more text to pad the paragraph out. ^b")
			fmt.Fprintf(&b, "%d\n\n", s)
		}
		p := folder(i) + "/" + name(i) + ".md"
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(b.String()), 0o644); err != nil {
			tb.Fatal(err)
		}
		paths = append(paths, p)
	}
	slices.Sort(paths)
	return paths
}

const lkBenchParams = "{attachment_folders: [attachments]}"

// lkCheckAll does what `scribe check` does with one links.check rule: read
// every note and run the action on it, GOMAXPROCS at a time, then Finish.
// It returns the number of findings.
func lkCheckAll(tb testing.TB, a action.Action, docs *lkBenchDocs) int {
	var mu sync.Mutex
	findings := 0
	work := make(chan string)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range work {
				content, err := os.ReadFile(filepath.Join(docs.dir, filepath.FromSlash(p)))
				if err != nil {
					tb.Error(err)
					continue
				}
				out, err := a.Run(context.Background(), action.Input{
					Path: p, Content: content, FrontMatter: map[string]any{},
					Host: action.Host{Docs: docs, Clock: func() time.Time { return lkClock }},
				})
				if err != nil {
					tb.Error(err)
					continue
				}
				mu.Lock()
				findings += len(out.Findings)
				mu.Unlock()
			}
		}()
	}
	for _, p := range docs.list {
		work <- p
	}
	close(work)
	wg.Wait()
	if _, err := a.(action.Finisher).Finish(context.Background(), action.Host{Docs: docs}); err != nil {
		tb.Fatal(err)
	}
	return findings
}

// BenchmarkLinksFullCheck10k checks a generated vault of 10,000 notes
// (about 100,000 links) from a cold start: a new action each time, so the
// graph is built from the disk.
func BenchmarkLinksFullCheck10k(b *testing.B) {
	dir := b.TempDir()
	docs := &lkBenchDocs{lkDir: openLKDir(b, dir), list: lkGenVault(b, dir, 10000)}
	b.Run("cold", func(b *testing.B) {
		base := heapLive()
		var a action.Action
		cpu := lkCPUTime()
		for b.Loop() {
			a = lkNew(b, "links.check", lkBenchParams)
			if n := lkCheckAll(b, a, docs); n == 0 {
				b.Fatal("no findings: the generated typos were not caught")
			}
		}
		lkReportCPU(b, cpu)
		reportLive(b, base, a)
	})
	b.Run("warm", func(b *testing.B) {
		// A second full run of the same action (a new generation): Stat
		// only, nothing re-read.
		a := lkNew(b, "links.check", lkBenchParams)
		lkCheckAll(b, a, docs)
		cpu := lkCPUTime()
		for b.Loop() {
			lkCheckAll(b, a, docs)
		}
		lkReportCPU(b, cpu)
	})
}

// heapLive returns the bytes of heap in use after a collection.
func heapLive() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// reportLive reports, as live-MiB, the heap that keep holds beyond base:
// what an action keeps between calls (its graph, its caches). A regression
// in what is kept per document shows here long before it shows in RSS.
func reportLive(b *testing.B, base uint64, keep ...any) {
	live := heapLive()
	runtime.KeepAlive(keep)
	if live > base {
		b.ReportMetric(float64(live-base)/(1<<20), "live-MiB")
	}
}

// lkReportCPU reports the process CPU time per operation since start.
func lkReportCPU(b *testing.B, start time.Duration) {
	if used := lkCPUTime() - start; used > 0 {
		b.ReportMetric(float64(used.Microseconds())/1000/float64(b.N), "cpu-ms/op")
	}
}

// BenchmarkLinksIncremental measures one edit in a checked 10,000-note
// vault: the edited note is re-checked (a heading renamed, so its linkers are
// affected), every affected note is read and re-checked, and the batch ends
// with Finish, as the daemon does.
func BenchmarkLinksIncremental(b *testing.B) {
	dir := b.TempDir()
	docs := &lkBenchDocs{lkDir: openLKDir(b, dir), list: lkGenVault(b, dir, 10000)}
	a := lkNew(b, "links.check", lkBenchParams)
	lkCheckAll(b, a, docs)
	edited := docs.list[4242]
	orig, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(edited)))
	if err != nil {
		b.Fatal(err)
	}
	versions := [][]byte{
		[]byte(strings.Replace(string(orig), "## Section 2", "## Section Two", 1)),
		orig,
	}
	host := action.Host{Docs: docs, Clock: func() time.Time { return lkClock }}
	affected := 0
	i := 0
	cpu := lkCPUTime()
	for b.Loop() {
		out, err := a.Run(context.Background(), action.Input{Path: edited, Content: versions[i%2], FrontMatter: map[string]any{}, Host: host})
		if err != nil {
			b.Fatal(err)
		}
		i++
		affected += len(out.Affected)
		for _, p := range out.Affected {
			content, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := a.Run(context.Background(), action.Input{Path: p, Content: content, FrontMatter: map[string]any{}, Host: host}); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := a.(action.Finisher).Finish(context.Background(), host); err != nil {
			b.Fatal(err)
		}
	}
	lkReportCPU(b, cpu)
	if affected == 0 {
		b.Fatal("renaming a heading affected no linker")
	}
	b.ReportMetric(float64(affected)/float64(i), "affected/op")
}
