package vault

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/action/actiontest"
)

// benchDocs is the engine's Docs shape for benchmarks: the list is kept in
// memory (as the engine keeps it), reads and stats go to the disk.
type benchDocs struct {
	*noteDir
	list []string
}

func (d *benchDocs) List() []string { return d.list }

const benchParams = "{attachment_folders: [attachments]}"

// checkAll does what `scribe check` does with one links.check rule: read
// every note and run the action on it, GOMAXPROCS at a time, then Finish.
// It returns the number of findings.
func checkAll(tb testing.TB, a action.Action, docs *benchDocs) int {
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
					Host: action.Host{Docs: docs, Clock: func() time.Time { return clock }},
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
	docs := &benchDocs{noteDir: openNoteDir(b, dir), list: actiontest.GenVault(b, dir, 10000)}
	b.Run("cold", func(b *testing.B) {
		base := actiontest.HeapLive()
		var a action.Action
		cpu := cpuTime()
		for b.Loop() {
			a = mustNew(b, "links.check", benchParams)
			if n := checkAll(b, a, docs); n == 0 {
				b.Fatal("no findings: the generated typos were not caught")
			}
		}
		reportCPU(b, cpu)
		actiontest.ReportLive(b, base, a)
	})
	b.Run("warm", func(b *testing.B) {
		// A second full run of the same action (a new generation): Stat
		// only, nothing re-read.
		a := mustNew(b, "links.check", benchParams)
		checkAll(b, a, docs)
		cpu := cpuTime()
		for b.Loop() {
			checkAll(b, a, docs)
		}
		reportCPU(b, cpu)
	})
}

// reportCPU reports the process CPU time per operation since start.
func reportCPU(b *testing.B, start time.Duration) {
	if used := cpuTime() - start; used > 0 {
		b.ReportMetric(float64(used.Microseconds())/1000/float64(b.N), "cpu-ms/op")
	}
}

// BenchmarkLinksIncremental measures one edit in a checked 10,000-note
// vault: the edited note is re-checked (a heading renamed, so its linkers are
// affected), every affected note is read and re-checked, and the batch ends
// with Finish, as the daemon does.
func BenchmarkLinksIncremental(b *testing.B) {
	dir := b.TempDir()
	docs := &benchDocs{noteDir: openNoteDir(b, dir), list: actiontest.GenVault(b, dir, 10000)}
	a := mustNew(b, "links.check", benchParams)
	checkAll(b, a, docs)
	edited := docs.list[4242]
	orig, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(edited)))
	if err != nil {
		b.Fatal(err)
	}
	versions := [][]byte{
		[]byte(strings.Replace(string(orig), "## Section 2", "## Section Two", 1)),
		orig,
	}
	host := action.Host{Docs: docs, Clock: func() time.Time { return clock }}
	affected := 0
	i := 0
	cpu := cpuTime()
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
	reportCPU(b, cpu)
	if affected == 0 {
		b.Fatal("renaming a heading affected no linker")
	}
	b.ReportMetric(float64(affected)/float64(i), "affected/op")
}
