package bareloop

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/poll"
	"golang.org/x/sys/unix"
)

func TestRunRewritesSavedFiles(t *testing.T) {
	for _, settle := range []time.Duration{0, 20 * time.Millisecond} {
		t.Run("settle="+settle.String(), func(t *testing.T) {
			dir := t.TempDir()
			sub := filepath.Join(dir, "a", "b")
			if err := os.MkdirAll(sub, 0o755); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			var written atomic.Int64
			ready := make(chan struct{})
			errc := make(chan error, 1)
			go func() {
				errc <- Run(ctx, Options{Dir: dir, Workers: 2, DirSync: true, Settle: settle, Written: &written}, ready)
			}()
			<-ready

			note := filepath.Join(sub, "n.md")
			other := filepath.Join(dir, "n.txt") // not Markdown: left alone
			for _, p := range []string{note, other} {
				if err := os.WriteFile(p, []byte("# N\nTODO: call Bob\nTODO: x\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			const want = "# N\n- [ ] call Bob\n- [ ] x\n"
			poll.Until(t, 10*time.Second, "the rewrite", func() bool {
				b, _ := os.ReadFile(note)
				return string(b) == want
			})
			fi, err := os.Stat(note)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o644 {
				t.Errorf("mode after rewrite = %v, want 0644", fi.Mode().Perm())
			}
			poll.Until(t, 10*time.Second, "the write count", func() bool { return written.Load() == 1 })

			cancel()
			if err := <-errc; err != nil {
				t.Fatalf("Run: %v", err)
			}
			if b, _ := os.ReadFile(other); string(b) == want {
				t.Error("a .txt file was rewritten")
			}
			left, _ := filepath.Glob(filepath.Join(sub, tempPrefix+"*"))
			if len(left) > 0 {
				t.Errorf("temporary files left: %v", left)
			}
		})
	}
}

func TestNotifyReportsEventsAndCloses(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	n, err := NewNotify(dir, unix.IN_CLOSE_WRITE|unix.IN_MOVED_TO)
	if err != nil {
		t.Fatal(err)
	}
	if got := n.Watches(); got != 2 {
		t.Errorf("Watches() = %d, want 2", got)
	}
	p := filepath.Join(dir, "d", "f.md")
	before := time.Now()
	if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-n.C:
		if ev.Path != p || ev.Mask&unix.IN_CLOSE_WRITE == 0 || ev.At.Before(before) {
			t.Errorf("event = %+v, want IN_CLOSE_WRITE of %s after %v", ev, p, before)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no event")
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	for range n.C { // closed after Close
	}
	if err := n.Err(); err != nil {
		t.Errorf("Err() = %v after a clean close", err)
	}
}

func TestNotifyCloseWithUnreadEvents(t *testing.T) {
	dir := t.TempDir()
	n, err := NewNotify(dir, unix.IN_CLOSE_WRITE)
	if err != nil {
		t.Fatal(err)
	}
	// Nobody reads C: Close must still return.
	for i := range 50 {
		if err := os.WriteFile(filepath.Join(dir, "f"+string(rune('a'+i%26))), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan struct{})
	go func() { n.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close blocked")
	}
}
