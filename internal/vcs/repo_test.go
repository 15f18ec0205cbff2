package vcs_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/scribe-md/scribe/internal/poll"
	"github.com/scribe-md/scribe/internal/vcs"
	"github.com/scribe-md/scribe/internal/vcs/vcstest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func open(t *testing.T, dir string, quiet time.Duration) *vcs.Repo {
	t.Helper()
	r, err := vcs.Open(dir, vcs.Options{Quiet: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if r == nil {
		t.Fatalf("Open(%s): no repository found", dir)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestOpenOutsideAWorkTree(t *testing.T) {
	r, err := vcs.Open(t.TempDir(), vcs.Options{})
	if err != nil || r != nil {
		t.Fatalf("Open outside a work tree = %v, %v; want nil, nil", r, err)
	}
}

func TestOpenFindsTopFromASubdirectory(t *testing.T) {
	top := vcstest.Init(t)
	sub := filepath.Join(top, "vault", "notes")
	os.MkdirAll(sub, 0o755)
	r := open(t, sub, 0)
	if r.Top != top || r.GitDir != filepath.Join(top, ".git") {
		t.Fatalf("Top, GitDir = %s, %s; want %s, %s/.git", r.Top, r.GitDir, top, top)
	}
	if rel, ok := r.Rel(filepath.Join(sub, "a.md")); !ok || rel != "vault/notes/a.md" {
		t.Fatalf("Rel = %q, %v", rel, ok)
	}
	if _, ok := r.Rel(filepath.Dir(top)); ok {
		t.Fatal("Rel accepted a path outside the work tree")
	}
}

func TestOpenLinkedWorktree(t *testing.T) {
	top := vcstest.Init(t)
	vcstest.Commit(t, top, "first", map[string]string{"a.md": "a\n"})
	wt := filepath.Join(t.TempDir(), "wt")
	vcstest.Git(t, top, "worktree", "add", "-q", wt)
	r := open(t, wt, 0)
	if r.Top != wt || r.GitDir != filepath.Join(top, ".git", "worktrees", "wt") {
		t.Fatalf("Top, GitDir = %s, %s", r.Top, r.GitDir)
	}
	ok, tracked, err := r.Committed("a.md", []byte("a\n"))
	if err != nil || !ok || !tracked {
		t.Fatalf("Committed in a linked worktree = %v, %v, %v", ok, tracked, err)
	}
}

func TestBusyMarkers(t *testing.T) {
	top := vcstest.Init(t)
	r := open(t, top, time.Nanosecond)
	if busy, why := r.Busy(); busy {
		t.Fatalf("fresh repository busy: %s", why)
	}
	for _, m := range []string{"index.lock", "MERGE_HEAD", "CHERRY_PICK_HEAD", "REVERT_HEAD", "BISECT_LOG", "rebase-merge/", "rebase-apply/", "sequencer/"} {
		p := filepath.Join(top, ".git", m)
		if m[len(m)-1] == '/' {
			os.Mkdir(p, 0o755)
		} else {
			os.WriteFile(p, nil, 0o644)
		}
		if busy, why := r.Busy(); !busy || why == "" {
			t.Errorf("with %s: Busy = %v, %q", m, busy, why)
		}
		os.RemoveAll(p)
		if busy, why := r.Busy(); busy {
			t.Errorf("after removing %s: still busy (%s)", m, why)
		}
	}
}

// The monitor keeps the state from fsnotify events, and Busy stays true for
// the quiet time after the last change.
func TestMonitorQuietTime(t *testing.T) {
	top := vcstest.Init(t)
	r := open(t, top, 200*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.Run(ctx, nil, nil) }()
	defer func() { cancel(); <-done }()
	// The monitor may not have its watch yet: touch the git directory until
	// it sees a change, then let the quiet time pass.
	desc := filepath.Join(top, ".git", "description")
	poll.Until(t, 10*time.Second, "the monitor's first event", func() bool {
		os.WriteFile(desc, []byte("test\n"), 0o644)
		busy, _ := r.Busy()
		return busy
	})
	poll.Until(t, 10*time.Second, "idle", func() bool {
		busy, _ := r.Busy()
		return !busy
	})
	lock := filepath.Join(top, ".git", "index.lock")
	os.WriteFile(lock, nil, 0o644)
	poll.Until(t, 10*time.Second, "busy while index.lock exists", func() bool {
		busy, why := r.Busy()
		return busy && why != "a git operation just ended"
	})
	os.Remove(lock)
	poll.Until(t, 10*time.Second, "a just-ended operation", func() bool {
		busy, why := r.Busy()
		return busy && why == "a git operation just ended"
	})
	ended := time.Now()
	if !r.ActiveAt(ended.Add(-10 * time.Millisecond)) {
		t.Fatal("ActiveAt during the operation = false")
	}
	poll.Until(t, 10*time.Second, "idle after the quiet time", func() bool {
		busy, _ := r.Busy()
		return !busy
	})
	if r.ActiveAt(time.Now()) || r.ActiveAt(ended.Add(time.Second)) {
		t.Fatal("ActiveAt after the operation = true")
	}
}

// A real rebase stopped on a conflict keeps the repository busy until it is
// finished.
func TestBusyDuringAStoppedRebase(t *testing.T) {
	top := vcstest.Init(t)
	vcstest.Commit(t, top, "base", map[string]string{"a.md": "base\n"})
	vcstest.Git(t, top, "checkout", "-q", "-b", "topic")
	vcstest.Commit(t, top, "topic", map[string]string{"a.md": "topic\n"})
	vcstest.Git(t, top, "checkout", "-q", "main")
	vcstest.Commit(t, top, "main", map[string]string{"a.md": "main\n"})
	vcstest.Git(t, top, "checkout", "-q", "topic")
	if out, err := vcstest.Run(top, "rebase", "main"); err == nil {
		t.Fatalf("rebase did not stop on the conflict:\n%s", out)
	}
	r := open(t, top, time.Nanosecond)
	if busy, why := r.Busy(); !busy {
		t.Fatal("not busy during a stopped rebase")
	} else {
		t.Logf("busy: %s", why)
	}
	vcstest.Git(t, top, "rebase", "--abort")
	if busy, why := r.Busy(); busy {
		t.Fatalf("still busy after the rebase was aborted: %s", why)
	}
}

func TestCommitted(t *testing.T) {
	for _, format := range []string{"sha1", "sha256"} {
		t.Run(format, func(t *testing.T) {
			top := vcstest.Init(t, "--object-format="+format)
			vcstest.Commit(t, top, "first", map[string]string{"notes/a.md": "# A\n", "b.md": "b\n"})
			r := open(t, top, 0)
			check := func(rel, content string, want, wantTracked bool) {
				t.Helper()
				got, tracked, err := r.Committed(rel, []byte(content))
				if err != nil || got != want || tracked != wantTracked {
					t.Errorf("Committed(%s, %q) = %v, %v, %v; want %v, %v", rel, content, got, tracked, err, want, wantTracked)
				}
			}
			check("notes/a.md", "# A\n", true, true)
			check("notes/a.md", "# A edited\n", false, true)
			check("missing.md", "", false, false)
			// A staged edit: equal to the index, not to HEAD. The lookup
			// process read the index before; without a monitor it restarts.
			vcstest.Write(t, top, map[string]string{"b.md": "b staged\n"})
			vcstest.Git(t, top, "add", "b.md")
			check("b.md", "b staged\n", true, true)
			check("b.md", "b\n", true, true) // still HEAD's
			check("b.md", "b other\n", false, true)
		})
	}
}

func TestChangedStagedSince(t *testing.T) {
	top := vcstest.Init(t)
	vcstest.Commit(t, top, "base", map[string]string{"a.md": "a\n", "b.md": "b\n", "c.md": "c\n", ".gitignore": "ignored.md\n"})
	vcstest.Git(t, top, "checkout", "-q", "-b", "topic")
	vcstest.Commit(t, top, "topic", map[string]string{"c.md": "c on topic\n"})
	vcstest.Write(t, top, map[string]string{"a.md": "a edited\n", "new.md": "new\n", "ignored.md": "x\n", "b.md": "b staged\n"})
	vcstest.Git(t, top, "add", "b.md")
	r := open(t, top, 0)
	ctx := context.Background()
	check := func(what string, got []string, err error, want ...string) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s = %q; want %q", what, got, want)
		}
	}
	got, err := r.Changed(ctx)
	check("Changed", got, err, "a.md", "b.md", "new.md")
	got, err = r.Staged(ctx)
	check("Staged", got, err, "b.md")
	got, err = r.Since(ctx, "main")
	check("Since main", got, err, "a.md", "b.md", "c.md", "new.md")
	if _, err := r.Since(ctx, "no-such-branch"); err == nil {
		t.Error("Since an unknown ref succeeded")
	}
	if _, err := r.Since(ctx, "--output=/tmp/x"); err == nil {
		t.Error("Since accepted an option as a ref")
	}
	contents, err := r.StagedContents(ctx, []string{"a.md", "b.md", "new.md"})
	if err != nil {
		t.Fatal(err)
	}
	if string(contents["a.md"]) != "a\n" || string(contents["b.md"]) != "b staged\n" {
		t.Errorf("StagedContents = %q", contents)
	}
	if _, ok := contents["new.md"]; ok {
		t.Error("StagedContents returned an untracked file")
	}
}

func TestChangedWithoutACommit(t *testing.T) {
	top := vcstest.Init(t)
	vcstest.Write(t, top, map[string]string{"a.md": "a\n", "b.md": "b\n"})
	vcstest.Git(t, top, "add", "a.md")
	r := open(t, top, 0)
	got, err := r.Changed(context.Background())
	if err != nil || !slices.Equal(got, []string{"a.md", "b.md"}) {
		t.Fatalf("Changed = %q, %v", got, err)
	}
}
