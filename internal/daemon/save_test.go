package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"testing/synctest"
	"time"

	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/engine"
	"github.com/scribe-md/scribe/internal/findings"
	"github.com/scribe-md/scribe/internal/safefile"
	"github.com/scribe-md/scribe/internal/state"
)

// A changed index is saved every ten seconds while it is small, and less
// often as it grows, so that its saves write about indexWriteRate bytes a
// second, never further apart than maxIndexSave.
func TestIndexSaveEvery(t *testing.T) {
	for _, tc := range []struct {
		name string
		size int64
		want time.Duration
	}{
		{"never saved", 0, minIndexSave},
		{"10,000 files (230 KB)", 230_000, minIndexSave},
		{"at the rate", 640 << 10, minIndexSave},
		{"100,000 files (2.3 MB)", 2_300_000, 2_300_000 * time.Second / indexWriteRate},
		{"a million files (23 MB)", 23_000_000, maxIndexSave},
	} {
		if got := indexSaveEvery(tc.size); got != tc.want {
			t.Errorf("%s: every %v, want %v", tc.name, got, tc.want)
		}
	}
	if got := indexSaveEvery(2_300_000); got < 30*time.Second || got > 40*time.Second {
		t.Errorf("2.3 MB: every %v, want about 35 s (64 KiB/s)", got)
	}
}

// The saver writes a changed index at its first tick, then, however often
// the index changes, not again until indexSaveEvery of its size has passed.
// The clock is synctest's; the saves are real files.
func TestSaverSpacesTheSavesOfALargeIndex(t *testing.T) {
	dir := t.TempDir()
	ix, _ := state.Load(state.PathFor(dir, "/vault"))
	for i := range 100_000 {
		ix.Set(fmt.Sprintf("d%02d/note-%06d.md", i%100, i), safefile.Stamp(i+1))
	}
	if err := ix.Save(); err != nil {
		t.Fatal(err)
	}
	every := indexSaveEvery(ix.Size())
	if every < 2*minIndexSave {
		t.Fatalf("an index of %d bytes is saved every %v: too small for this test", ix.Size(), every)
	}
	synctest.Test(t, func(t *testing.T) {
		cfg := &config.Config{}
		cfg.Engine.StateDir = dir
		d := &Daemon{cfg: cfg, log: slog.New(slog.DiscardHandler), findings: findings.New(findings.Limits{}),
			roots: []*rootState{{index: ix, root: &engine.Root{Dir: "/vault"}}}}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- d.saver(ctx) }()
		start := time.Now()
		changedAt := func(at time.Duration) bool {
			time.Sleep(at - time.Since(start))
			synctest.Wait()
			return ix.Changed()
		}
		ix.Set("new.md", 1)
		if changedAt(minIndexSave + time.Second) {
			t.Fatal("a changed index was not saved at the first tick")
		}
		// Ticks come every minIndexSave: the first one at least every
		// after the save at the first tick writes the index again.
		next := minIndexSave + (every+minIndexSave-1)/minIndexSave*minIndexSave
		for at := minIndexSave + 2*time.Second; at < next; at += minIndexSave {
			ix.Set("new.md", safefile.Stamp(at))
			if !changedAt(at + 5*time.Second) {
				t.Fatalf("saved again %v after the last save; want %v apart", at+5*time.Second-minIndexSave, every)
			}
		}
		if changedAt(next + time.Second) {
			t.Fatalf("not saved %v after the last save", next+time.Second-minIndexSave)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}
