package engine_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/engine"
	"github.com/scribe-md/scribe/internal/safefile"
)

// Rules see where a change came from, and content that arrived through git
// (or was found by a scan) is left alone by writing rules unless they opt in.
func TestOriginAndCommittedContent(t *testing.T) {
	set := rules(t,
		config.Rule{ID: "stamp", When: `origin == "user"`, Actions: []config.ActionRef{act("test.append", "stamped")}},
		config.Rule{ID: "tidy", Actions: []config.ActionRef{act("test.append", "tidied")}},
		config.Rule{ID: "format", RewriteCommitted: true, Actions: []config.ActionRef{act("test.append", "formatted")}},
	)
	const committed = "committed\n"
	for _, c := range []struct {
		name       string
		origin     action.Origin
		duringOp   bool
		content    string
		leave      bool
		wantOrigin action.Origin
		want       string
		wantLeft   []string
	}{
		{"user edit", action.OriginUser, false, "edited\n", true, "user", "edited\nstamped\ntidied\nformatted\n", nil},
		{"an untracked file saved during a git operation", action.OriginUser, true, "mine\n", true, "user", "mine\nstamped\ntidied\nformatted\n", nil},
		{"git checkout", action.OriginUser, true, committed, true, "vcs", committed + "formatted\n", []string{"tidy"}},
		{"committed content found by a rescan", action.OriginUser, false, committed, true, "vcs", committed + "formatted\n", []string{"tidy"}},
		{"git wrote uncommitted content (stash pop)", action.OriginUser, true, "popped\n", true, "vcs", "popped\ntidied\nformatted\n", nil},
		{"first scan of a clone", action.OriginScan, false, committed, true, "scan", committed + "formatted\n", []string{"tidy"}},
		{"first scan of an uncommitted file", action.OriginScan, false, "new\n", true, "scan", "new\ntidied\nformatted\n", nil},
		{"vcs off: git's content is processed", action.OriginUser, true, committed, false, "vcs", committed + "tidied\nformatted\n", nil},
		{"scribe's own change", action.OriginScribe, false, committed, true, "scribe", committed + "tidied\nformatted\n", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := openRoot(t, map[string]string{"a.md": c.content})
			eng := engine.New(set, engine.Options{
				LeaveCommitted: c.leave,
				VCS: func(r *engine.Root, rel string, content []byte, changed time.Time) engine.VCSInfo {
					if changed.IsZero() || time.Since(changed) > time.Minute {
						t.Errorf("VCS got change time %v, not the file's", changed)
					}
					tracked := r == root && rel == "a.md" && c.content != "mine\n"
					return engine.VCSInfo{Committed: tracked && string(content) == committed, Tracked: tracked, DuringOp: c.duringOp}
				},
			})
			res := eng.ProcessChange(context.Background(), root, "a.md", engine.Change{Origin: c.origin}, &engine.Writes{})
			if res.Failed() {
				t.Fatal(res.Error)
			}
			if res.Origin != c.wantOrigin {
				t.Errorf("origin = %q; want %q", res.Origin, c.wantOrigin)
			}
			if got := read(t, root, "a.md"); got != c.want {
				t.Errorf("content = %q; want %q", got, c.want)
			}
			if !slices.Equal(res.LeftCommitted, c.wantLeft) {
				t.Errorf("left committed = %q; want %q", res.LeftCommitted, c.wantLeft)
			}
			if res.Written != (c.want != c.content) {
				t.Errorf("written = %v", res.Written)
			}
		})
	}
}

// A one-shot run asks OriginOf for each file, given the file as read;
// without it every file is a scan (nothing is known about edits).
func TestRunOrigins(t *testing.T) {
	set := rules(t, config.Rule{ID: "stamp", When: `origin == "user"`, Actions: []config.ActionRef{act("test.append", "stamped")}})
	root := openRoot(t, map[string]string{"edited.md": "e\n", "old.md": "o\n"})
	run(t, engine.New(set, engine.Options{}), root)
	if read(t, root, "edited.md") != "e\n" || read(t, root, "old.md") != "o\n" {
		t.Fatal("a scan-only run fired an on-edit rule")
	}
	run(t, engine.New(set, engine.Options{OriginOf: func(_ *engine.Root, rel string, snap *safefile.Snapshot) action.Origin {
		if want := map[string]string{"edited.md": "e\n", "old.md": "o\n"}[rel]; string(snap.Content) != want || snap.Size != int64(len(want)) || snap.Ino == 0 {
			t.Errorf("OriginOf(%s) got content %q, size %d, inode %d", rel, snap.Content, snap.Size, snap.Ino)
		}
		if rel == "edited.md" {
			return action.OriginUser
		}
		return action.OriginScan
	}}), root)
	if read(t, root, "edited.md") != "e\nstamped\n" || read(t, root, "old.md") != "o\n" {
		t.Fatalf("edited.md = %q, old.md = %q", read(t, root, "edited.md"), read(t, root, "old.md"))
	}
}

// A change seen on an older version of the file (a scan, or Scribe's own
// requeue, queued before the user saved) is processed as the user's edit
// when the file read is no longer that version.
func TestChangeOfAnOlderVersionIsAnEdit(t *testing.T) {
	set := rules(t, config.Rule{ID: "stamp", When: `origin == "user"`, Actions: []config.ActionRef{act("test.append", "stamped")}})
	root := openRoot(t, map[string]string{"a.md": "a\n"})
	eng := engine.New(set, engine.Options{})
	fi, err := os.Lstat(filepath.Join(root.Dir, "a.md"))
	if err != nil {
		t.Fatal(err)
	}
	seen := safefile.VersionOf(fi).Stamp()
	res := eng.ProcessChange(context.Background(), root, "a.md", engine.Change{Origin: action.OriginScan, Of: seen}, &engine.Writes{})
	if res.Origin != action.OriginScan || read(t, root, "a.md") != "a\n" {
		t.Fatalf("the version seen: origin %q, content %q", res.Origin, read(t, root, "a.md"))
	}
	if err := os.WriteFile(filepath.Join(root.Dir, "a.md"), []byte("a, edited\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res = eng.ProcessChange(context.Background(), root, "a.md", engine.Change{Origin: action.OriginScan, Of: seen}, &engine.Writes{})
	if res.Origin != action.OriginUser || read(t, root, "a.md") != "a, edited\nstamped\n" {
		t.Fatalf("a newer version: origin %q, content %q", res.Origin, read(t, root, "a.md"))
	}
}
