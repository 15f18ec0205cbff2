package daemon_test

import (
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/journal"
	"github.com/scribe-md/scribe/internal/poll"
	"github.com/scribe-md/scribe/internal/vcs/vcstest"
)

// gitRules rewrite content git brings if they may: todo rewrites TODO lines
// (no condition), stamp marks user edits only, with a different value each
// time, so that a git change mistaken for an edit shows.
const gitRules = todoRule + `  - id: stamp
    when: 'origin == "user"'
    actions:
      - frontmatter.set: { edited: '{{ now | date "15:04:05.000000000" }}' }
`

// newGitEnv makes the test environment a git work tree: scribe.yaml, the
// state dir (ignored) and the vault with files, all committed on main. The
// sync sentinels are excluded through .git/info/exclude, which git reads and
// Scribe does not, so they are processed but never dirty the tree.
func newGitEnv(t *testing.T, files map[string]string) *env {
	t.Helper()
	vcstest.Require(t)
	e := newEnv(t, conf{Workers: 1, Rules: gitRules}, files)
	vcstest.Git(t, e.dir, "init", "-q", "-b", "main")
	vcstest.Write(t, e.dir, map[string]string{".gitignore": "state/\n", ".git/info/exclude": "vault/sync-*.md\n"})
	vcstest.Git(t, e.dir, "add", "-A")
	vcstest.Git(t, e.dir, "commit", "-q", "-m", "vault")
	return e
}

// gitSync is sync for the git tests, on disk rather than on the event stream
// (which drops events for a slow reader, and a checkout of 20,000 files sends
// that many): it writes a sentinel the todo rule rewrites, and with one
// worker the queue is worked in order.
func gitSync(r *running, timeout time.Duration) {
	r.e.t.Helper()
	name := fmt.Sprintf("sync-%d.md", r.syncs.Add(1))
	r.e.write(name, "TODO: sync\n")
	poll.Until(r.e.t, timeout, "sentinel "+name+" processed", func() bool { return strings.Contains(r.e.read(name), "- [ ] sync") })
}

// gitOp runs a git command while the daemon is running and returns what the
// daemon wrote while the command ran. The operation's window starts when
// index.lock, or any other marker of an operation in progress, is first seen
// (polled every millisecond) and ends when the command exits; a write whose
// journal time falls inside it was made mid-operation.
func gitOp(t *testing.T, r *running, wantFail bool, args ...string) (out string, mid []journal.Entry, ended time.Time) {
	t.Helper()
	gitDir := filepath.Join(r.e.dir, ".git")
	var first atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if first.Load() == 0 {
				for _, m := range []string{"index.lock", "MERGE_HEAD", "rebase-merge", "rebase-apply", "CHERRY_PICK_HEAD"} {
					if _, err := os.Lstat(filepath.Join(gitDir, m)); err == nil {
						first.CompareAndSwap(0, time.Now().UnixNano())
					}
				}
			}
			time.Sleep(time.Millisecond)
		}
	}()
	cmd := exec.Command("git", args...)
	cmd.Dir = r.e.dir
	cmd.Env = vcstest.Env()
	b, err := cmd.CombinedOutput()
	ended = time.Now()
	close(stop)
	wg.Wait()
	if (err != nil) != wantFail {
		t.Fatalf("git %s: err = %v (want failure: %v)\n%s", strings.Join(args, " "), err, wantFail, b)
	}
	if f := first.Load(); f != 0 {
		start := time.Unix(0, f)
		for _, en := range r.allHistory() {
			if !en.Time.Before(start) && !en.Time.After(ended) {
				mid = append(mid, en)
			}
		}
	}
	return string(b), mid, ended
}

// allHistory returns every journal entry (every write the daemon made).
func (a api) allHistory() []journal.Entry {
	a.t.Helper()
	var es []journal.Entry
	a.get("/api/v1/history?"+url.Values{"limit": {"1000000"}}.Encode(), &es)
	return es
}

// gitClean fails the test unless `git status` shows nothing to commit.
func gitClean(t *testing.T, dir, after string) {
	t.Helper()
	if out := vcstest.Git(t, dir, "status", "--porcelain", "--untracked-files=all"); out != "" {
		t.Fatalf("git status after %s is not clean:\n%s", after, out)
	}
}

func noMidWrites(t *testing.T, what string, mid []journal.Entry) {
	t.Helper()
	for _, en := range mid {
		t.Errorf("%s: the daemon wrote %s at %s, while git was running", what, en.Path, en.Time.Format(time.StampMicro))
	}
}

func gitFiles(n int, text string) map[string]string {
	files := make(map[string]string, n)
	for i := range n {
		files[fmt.Sprintf("vault/notes/n%05d.md", i)] = fmt.Sprintf("# Note %d\nTODO: %s %d\n", i, text, i)
	}
	return files
}

// checkoutFiles sizes TestGitCheckout: -daemon.git-files, or 2,000 (200
// with -short).
func checkoutFiles() int {
	switch {
	case flagSet("daemon.git-files"):
		return *flagGitFiles
	case testing.Short():
		return 200
	}
	return 2000
}

// A checkout between branches that differ in every note, with the daemon
// running: git never fails, nothing is written while it runs, content that
// arrived through git is left alone (the tree stays clean, so the next
// checkout works), and a user edit right after is processed as usual.
func TestGitCheckout(t *testing.T) {
	t.Parallel()
	n := checkoutFiles()
	e := newGitEnv(t, nil)
	vcstest.Commit(t, e.dir, "main notes", gitFiles(n, "main"))
	vcstest.Git(t, e.dir, "checkout", "-q", "-b", "other")
	vcstest.Commit(t, e.dir, "other notes", gitFiles(n, "other"))
	vcstest.Git(t, e.dir, "checkout", "-q", "main")

	r := startWithInotifyQueue(t, e, *flagGitQueue)
	gitSync(r, 30*time.Second+time.Duration(n)*10*time.Millisecond)
	gitClean(t, e.dir, "the first start (committed content with TODO lines is left alone)")

	// A user keeps saving new notes while git checks out: the daemon must
	// hold those writes until git is done.
	stopUser := make(chan struct{})
	userDone := make(chan int)
	go func() {
		i := 0
		for {
			select {
			case <-stopUser:
				userDone <- i
				return
			default:
			}
			e.write(fmt.Sprintf("inbox/u%04d.md", i), "TODO: user note\n")
			i++
			time.Sleep(5 * time.Millisecond)
		}
	}()
	_, mid, ended := gitOp(t, r, false, "checkout", "-q", "other")
	close(stopUser)
	users := <-userDone
	noMidWrites(t, "checkout of "+fmt.Sprint(n)+" files", mid)
	gitSync(r, 30*time.Second+time.Duration(n)*10*time.Millisecond)
	idle := time.Since(ended)
	t.Logf("checkout of %d files: idle %v after git exited (%d user notes written meanwhile)", n, idle.Round(time.Millisecond), users)
	if got := e.read("notes/n00000.md"); got != "# Note 0\nTODO: other 0\n" {
		t.Fatalf("a checked-out note was rewritten: %q", got)
	}
	// The user's notes saved during the checkout are bulk work like the
	// checkout's own changes, which the sentinel, a live edit, may pass:
	// they are waited for, not assumed done with it.
	poll.Until(t, 30*time.Second, "a user note saved during the checkout processed after it", func() bool {
		got := e.read("inbox/u0000.md")
		return strings.Contains(got, "- [ ] user note") && strings.Contains(got, "edited:")
	})
	os.RemoveAll(e.path("inbox"))
	gitSync(r, 30*time.Second)
	gitClean(t, e.dir, "the checkout")
	_, mid, _ = gitOp(t, r, false, "checkout", "-q", "main")
	noMidWrites(t, "checkout back", mid)
	st := r.status()
	t.Logf("overflows of the kernel queue: %d, rescans: %d", st.Roots[0].Overflows, st.Roots[0].Rescans)

	// An edit made right after the operation (once the daemon no longer
	// holds writes for it) is an edit, processed with the usual latency:
	// the operation's changes are bulk work, and an edit goes first.
	poll.Until(t, 10*time.Second, "writes no longer held", func() bool { return r.status().Git == "" })
	t0 := time.Now()
	e.write("notes/n00001.md", "# Note 1\nTODO: edited after the checkout\n")
	poll.Until(t, 10*time.Second, "the edit after the checkout processed", func() bool {
		return strings.Contains(e.read("notes/n00001.md"), "- [ ] edited after the checkout")
	})
	t.Logf("an edit after the checkout was processed in %v (%d changes still queued)", time.Since(t0).Round(time.Millisecond), r.status().Queue.Pending)
	if got := e.read("notes/n00001.md"); !strings.Contains(got, "edited:") {
		for _, ev := range r.ev.find(processed("notes/n00001.md")) {
			t.Logf("event: %+v", ev)
		}
		for _, h := range r.history(e.path("notes/n00001.md")) {
			t.Logf("history: %+v", h)
		}
		t.Fatalf("the edit after the checkout was not seen as a user edit: %q", got)
	}
}

// startWithInotifyQueue starts the daemon with the kernel's inotify queue set
// to queue events (when queue > 0) and puts the setting back once the
// daemon's watcher exists: the kernel reads it when a watcher is created, so
// only this daemon's first watcher gets the small queue (the one it creates
// after an overflow gets the usual size).
func startWithInotifyQueue(t *testing.T, e *env, queue int) *running {
	t.Helper()
	if queue <= 0 {
		return e.start()
	}
	const p = "/proc/sys/fs/inotify/max_queued_events"
	old, err := os.ReadFile(p)
	must(t, err)
	if err := os.WriteFile(p, []byte(fmt.Sprint(queue)), 0o644); err != nil {
		t.Skipf("set %s (root only): %v", p, err)
	}
	defer os.WriteFile(p, old, 0o644)
	return e.start()
}

// A rebase of a branch of 50 commits, each changing notes, replays every
// commit while the daemon runs.
func TestGitRebase(t *testing.T) {
	t.Parallel()
	e := newGitEnv(t, nil)
	vcstest.Commit(t, e.dir, "notes", gitFiles(50, "base"))
	vcstest.Git(t, e.dir, "checkout", "-q", "-b", "topic")
	for i := range 50 {
		vcstest.Commit(t, e.dir, fmt.Sprintf("topic %d", i), map[string]string{
			fmt.Sprintf("vault/notes/n%05d.md", i): fmt.Sprintf("# Note %d\nTODO: topic %d\n", i, i),
			"vault/log.md":                         fmt.Sprintf("TODO: step %d\n", i),
		})
	}
	vcstest.Git(t, e.dir, "checkout", "-q", "main")
	vcstest.Commit(t, e.dir, "main moves on", map[string]string{"vault/main.md": "TODO: on main\n"})
	vcstest.Git(t, e.dir, "checkout", "-q", "topic")

	r := e.start()
	gitSync(r, 30*time.Second)
	_, mid, _ := gitOp(t, r, false, "rebase", "main")
	noMidWrites(t, "rebase", mid)
	gitSync(r, 30*time.Second)
	gitClean(t, e.dir, "the rebase")
	if got := vcstest.Git(t, e.dir, "rev-list", "--count", "main..topic"); strings.TrimSpace(got) != "50" {
		t.Fatalf("topic has %s commits over main after the rebase, want 50", got)
	}
}

// A pull from a bare remote brings another clone's commits.
func TestGitPull(t *testing.T) {
	t.Parallel()
	e := newGitEnv(t, nil)
	vcstest.Commit(t, e.dir, "v1", gitFiles(100, "v1"))
	remote := filepath.Join(t.TempDir(), "remote.git")
	vcstest.Git(t, e.dir, "init", "-q", "--bare", "-b", "main", remote)
	vcstest.Git(t, e.dir, "remote", "add", "origin", remote)
	vcstest.Git(t, e.dir, "push", "-q", "-u", "origin", "main")
	other := filepath.Join(t.TempDir(), "other")
	vcstest.Git(t, e.dir, "clone", "-q", remote, other)
	vcstest.Commit(t, other, "v2", gitFiles(100, "v2"))
	vcstest.Git(t, other, "push", "-q")

	r := e.start()
	gitSync(r, 30*time.Second)
	_, mid, _ := gitOp(t, r, false, "pull", "-q", "--no-rebase")
	noMidWrites(t, "pull", mid)
	gitSync(r, 30*time.Second)
	gitClean(t, e.dir, "the pull")
	if got := e.read("notes/n00042.md"); got != "# Note 42\nTODO: v2 42\n" {
		t.Fatalf("pulled note = %q", got)
	}
}

// A user's edit is processed; a stash takes it away (back to the committed
// content, left alone) and a pop brings it back as it was: both are git's
// changes, so no rule stamps them as edits.
func TestGitStash(t *testing.T) {
	t.Parallel()
	e := newGitEnv(t, map[string]string{"notes/a.md": "# A\n"})
	r := e.start()
	e.write("notes/a.md", "# A\nTODO: mine\n")
	poll.Until(t, 10*time.Second, "the edit processed", func() bool { return strings.Contains(e.read("notes/a.md"), "- [ ] mine") })
	edited := e.read("notes/a.md")
	if !strings.Contains(edited, "edited:") {
		t.Fatalf("the edit was not stamped: %q", edited)
	}
	gitSync(r, 30*time.Second)

	_, mid, _ := gitOp(t, r, false, "stash")
	noMidWrites(t, "stash", mid)
	gitSync(r, 30*time.Second)
	gitClean(t, e.dir, "the stash")
	if got := e.read("notes/a.md"); got != "# A\n" {
		t.Fatalf("after the stash: %q", got)
	}
	before := len(r.allHistory())
	_, mid, _ = gitOp(t, r, false, "stash", "pop")
	noMidWrites(t, "stash pop", mid)
	gitSync(r, 30*time.Second)
	if got := e.read("notes/a.md"); got != edited {
		t.Fatalf("after the pop: %q; want the stashed content back unchanged: %q", got, edited)
	}
	for _, en := range r.allHistory()[:len(r.allHistory())-before] {
		if en.Path == "notes/a.md" {
			t.Fatalf("the daemon rewrote the popped file: %+v", en)
		}
	}
}

// A merge that stops on a conflict leaves the conflict to the user: nothing
// is written while MERGE_HEAD exists, the user's resolution is committed
// with plain git commands, and the tree ends clean.
func TestGitMergeConflict(t *testing.T) {
	t.Parallel()
	e := newGitEnv(t, map[string]string{"notes/a.md": "# A\nbase\n"})
	vcstest.Git(t, e.dir, "checkout", "-q", "-b", "topic")
	vcstest.Commit(t, e.dir, "topic", map[string]string{"vault/notes/a.md": "# A\nTODO: topic\n"})
	vcstest.Git(t, e.dir, "checkout", "-q", "main")
	vcstest.Commit(t, e.dir, "main", map[string]string{"vault/notes/a.md": "# A\nTODO: main\n"})

	r := e.start()
	gitSync(r, 30*time.Second)
	out, mid, _ := gitOp(t, r, true, "merge", "topic")
	noMidWrites(t, "merge", mid)
	if !strings.Contains(out, "CONFLICT") {
		t.Fatalf("the merge did not stop on a conflict:\n%s", out)
	}
	conflicted := e.read("notes/a.md")
	// The daemon holds writes while the merge is unfinished, even for the
	// user's own edits meanwhile.
	e.write("notes/b.md", "TODO: written during the merge\n")
	poll.Until(t, 10*time.Second, "the held status", func() bool { return strings.Contains(r.status().Git, "merge") })
	time.Sleep(300 * time.Millisecond) // a settle and a pause poll: long enough for a write that should not happen
	if got := e.read("notes/a.md"); got != conflicted {
		t.Fatalf("the conflicted file was rewritten during the merge: %q", got)
	}
	if got := e.read("notes/b.md"); got != "TODO: written during the merge\n" {
		t.Fatalf("a file was written during the merge: %q", got)
	}
	// The user resolves and commits.
	e.write("notes/a.md", "# A\nTODO: both\n")
	os.Remove(e.path("notes/b.md"))
	vcstest.Git(t, e.dir, "add", "-A")
	_, mid, _ = gitOp(t, r, false, "commit", "-q", "--no-edit")
	noMidWrites(t, "commit", mid)
	gitSync(r, 30*time.Second)
	gitClean(t, e.dir, "the merge commit")
	if got := e.read("notes/a.md"); got != "# A\nTODO: both\n" {
		t.Fatalf("resolved file = %q", got)
	}
}

// One save can make two changes: under load its events straddle the settle
// time, and the first change's run, reading the whole save, writes before
// the second is taken. The second change, made on the user's version, then
// finds the engine's own output, which must not be taken for an edit
// (TestGitStash saw the stamp rule run twice, so that the stashed content
// was not the content the test had seen). Two queued changes of one file,
// made on two saves while the workers are paused, give the same order for
// certain: one write, stamped once.
func TestEventOnVersionProcessedPast(t *testing.T) {
	t.Parallel()
	e := newEnv(t, conf{Workers: 1, Rules: gitRules}, map[string]string{"notes/a.md": "# A\n"})
	r := e.start()
	// The catch-up queued the file at the start: it goes first.
	poll.Until(t, 10*time.Second, "the catch-up processed", func() bool { return r.status().Queue.Pending == 0 })
	r.post("/api/v1/pause")
	e.write("notes/a.md", "# A\nTODO: one\n")
	// Under load a save may make two events itself: wait for at least one
	// per save.
	poll.Until(t, 10*time.Second, "the first save queued", func() bool { return r.status().Queue.Pending >= 1 })
	e.write("notes/a.md", "# A\nTODO: one\nTODO: two\n")
	poll.Until(t, 10*time.Second, "the second save queued", func() bool { return r.status().Queue.Pending >= 2 })
	r.post("/api/v1/resume")
	poll.Until(t, 10*time.Second, "an empty queue", func() bool { return r.status().Queue.Pending == 0 })
	gitSync(r, 30*time.Second)
	var writes []journal.Entry
	for _, en := range r.allHistory() {
		if en.Path == "notes/a.md" {
			writes = append(writes, en)
		}
	}
	if len(writes) != 1 || writes[0].Rule != "todo,stamp" {
		t.Fatalf("writes of notes/a.md: %+v; want one, by todo and stamp", writes)
	}
	if got := e.read("notes/a.md"); !strings.Contains(got, "- [ ] one\n- [ ] two\n") || strings.Count(got, "edited:") != 1 {
		t.Fatalf("notes/a.md = %q", got)
	}
}
