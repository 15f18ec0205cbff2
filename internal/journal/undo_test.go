package journal

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testRoot is a real directory opened as an *os.Root.
type testRoot struct {
	dir  string
	root *os.Root
}

func newRoot(t *testing.T) *testRoot {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	return &testRoot{dir: dir, root: root}
}

func (r *testRoot) write(t *testing.T, rel string, content []byte) {
	t.Helper()
	p := filepath.Join(r.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
}

// read returns the file's content, or nil if it does not exist.
func (r *testRoot) read(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(r.dir, filepath.FromSlash(rel)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// engineWrite plays the engine: it changes rel from before to after on disk
// (nil: absent) and journals the write.
func (r *testRoot) engineWrite(t *testing.T, j *Journal, rel string, before, after []byte) uint64 {
	t.Helper()
	if after == nil {
		if err := os.Remove(filepath.Join(r.dir, rel)); err != nil {
			t.Fatal(err)
		}
	} else {
		r.write(t, rel, after)
	}
	return rec(t, j, r.dir, rel, "rule", before, after, time.Time{})
}

func TestUndoRestoresExactBytes(t *testing.T) {
	for _, tc := range []struct {
		name          string
		before, after []byte
	}{
		{"CRLF", []byte("---\r\ntitle: x\r\n---\r\nbody\r\n"), []byte("---\r\ntitle: x\r\nupdated: 2026\r\n---\r\nbody\r\n")},
		{"BOM", []byte("\xef\xbb\xbf# Title\n"), []byte("\xef\xbb\xbf# Title\n\nmore\n")},
		{"no final newline", []byte("a\nb"), []byte("a\nb\n")},
		{"binary before", []byte("PK\x03\x04\x00\x00\xff\xfe"), []byte("now text\n")},
		{"binary after", []byte("text\n"), []byte("\x00\x01\x02 binary \xff")},
		{"invalid UTF-8 and UTF-16", []byte("caf\xe9\n"), []byte("\xff\xfeh\x00i\x00")},
		{"empty before", []byte{}, []byte("filled\n")},
		{"empty after", []byte("was here\n"), []byte{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := openTest(t, Retention{})
			r := newRoot(t)
			r.write(t, "dir/note.md", tc.before)
			id := r.engineWrite(t, j, "dir/note.md", tc.before, tc.after)

			u, err := j.Undo(r.root, id, false)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.read(t, "dir/note.md"); !bytes.Equal(got, tc.before) {
				t.Fatalf("after undo: %q, want %q", got, tc.before)
			}
			if u.Rule != RuleUndo || u.Undoes != id || u.BeforeHash != Hash(tc.after) || u.AfterHash != Hash(tc.before) || u.Size != int64(len(tc.after)) {
				t.Errorf("undo entry %+v", u)
			}
			if es, _ := j.List(r.dir, "dir/note.md", 0); len(es) != 2 || es[0].ID != u.ID {
				t.Errorf("history %v, want the undo %d first", ids(es), u.ID)
			}

			// The undo is itself undoable.
			if _, err := j.Undo(r.root, u.ID, false); err != nil {
				t.Fatal(err)
			}
			if got := r.read(t, "dir/note.md"); !bytes.Equal(got, tc.after) {
				t.Fatalf("after undoing the undo: %q, want %q", got, tc.after)
			}
		})
	}
}

func TestUndoKeepsMode(t *testing.T) {
	j := openTest(t, Retention{})
	r := newRoot(t)
	r.write(t, "a.md", []byte("old\n"))
	id := r.engineWrite(t, j, "a.md", []byte("old\n"), []byte("new\n"))
	if err := os.Chmod(filepath.Join(r.dir, "a.md"), 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Undo(r.root, id, false); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(r.dir, "a.md")); err != nil || fi.Mode().Perm() != 0o640 {
		t.Fatalf("mode after undo: %v, %v; want 0640", fi.Mode(), err)
	}
}

func TestUndoRefusedWhenChanged(t *testing.T) {
	j := openTest(t, Retention{})
	r := newRoot(t)
	before, after, user := []byte("v1\n"), []byte("v2\n"), []byte("v2 and the user's edit\n")
	r.write(t, "a.md", before)
	id := r.engineWrite(t, j, "a.md", before, after)
	r.write(t, "a.md", user)

	_, err := j.Undo(r.root, id, false)
	var ce *ChangedError
	if !errors.Is(err, ErrChanged) || !errors.As(err, &ce) {
		t.Fatalf("Undo after a user edit = %v, want a *ChangedError", err)
	}
	if ce.Have != Hash(user) || ce.Want != Hash(after) || ce.ID != id || ce.Path != "a.md" {
		t.Errorf("ChangedError = %+v", ce)
	}
	if msg := err.Error(); !strings.Contains(msg, short(Hash(user))) || !strings.Contains(msg, "force") {
		t.Errorf("message %q should name the current hash and the way out", msg)
	}
	if got := r.read(t, "a.md"); !bytes.Equal(got, user) {
		t.Fatalf("refused undo touched the file: %q", got)
	}
	if es, _ := j.List("", "", 0); len(es) != 1 {
		t.Fatalf("refused undo left entries: %v", ids(es))
	}

	// Forced, it restores the old content, and journals the user's edit
	// first so that it can be brought back.
	u, err := j.Undo(r.root, id, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.read(t, "a.md"); !bytes.Equal(got, before) {
		t.Fatalf("after forced undo: %q, want %q", got, before)
	}
	if _, c, err := j.Get(u.ID); err != nil || !bytes.Equal(c, user) {
		t.Fatalf("the forced undo journaled %q, %v; want the user's edit", c, err)
	}
	if _, err := j.Undo(r.root, u.ID, false); err != nil {
		t.Fatal(err)
	}
	if got := r.read(t, "a.md"); !bytes.Equal(got, user) {
		t.Fatalf("undoing the forced undo: %q, want the user's edit back", got)
	}
}

func TestUndoAlreadyUndone(t *testing.T) {
	j := openTest(t, Retention{})
	r := newRoot(t)
	r.write(t, "a.md", []byte("1"))
	id := r.engineWrite(t, j, "a.md", []byte("1"), []byte("2"))
	if _, err := j.Undo(r.root, id, false); err != nil {
		t.Fatal(err)
	}
	for _, force := range []bool{false, true} {
		if _, err := j.Undo(r.root, id, force); !errors.Is(err, ErrAlreadyUndone) {
			t.Errorf("second Undo(force=%v) = %v, want ErrAlreadyUndone", force, err)
		}
	}
}

func TestUndoCreatedFileRemovesIt(t *testing.T) {
	j := openTest(t, Retention{})
	r := newRoot(t)
	content := []byte("# Generated index\n")
	id := r.engineWrite(t, j, "gen/index.md", nil, content)

	u, err := j.Undo(r.root, id, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.read(t, "gen/index.md"); got != nil {
		t.Fatalf("created file still there after undo: %q", got)
	}
	if left, _ := os.ReadDir(filepath.Join(r.dir, "gen")); len(left) != 0 {
		t.Fatalf("undo left files behind: %v", left)
	}
	if u.AfterHash != "" || u.BeforeHash != Hash(content) {
		t.Errorf("undo entry %+v", u)
	}
	// Undoing the removal creates the file again.
	if _, err := j.Undo(r.root, u.ID, false); err != nil {
		t.Fatal(err)
	}
	if got := r.read(t, "gen/index.md"); !bytes.Equal(got, content) {
		t.Fatalf("after undoing the removal: %q", got)
	}
	if fi, _ := os.Stat(filepath.Join(r.dir, "gen/index.md")); fi.Mode().Perm() != 0o644 {
		t.Errorf("recreated with mode %v, want 0644", fi.Mode())
	}
}

func TestUndoCreatedFileChanged(t *testing.T) {
	j := openTest(t, Retention{})
	r := newRoot(t)
	id := r.engineWrite(t, j, "new.md", nil, []byte("generated\n"))
	r.write(t, "new.md", []byte("generated, then edited\n"))
	if _, err := j.Undo(r.root, id, false); !errors.Is(err, ErrChanged) {
		t.Fatalf("Undo = %v, want ErrChanged", err)
	}
	if r.read(t, "new.md") == nil {
		t.Fatal("refused undo removed the file")
	}
	u, err := j.Undo(r.root, id, true)
	if err != nil {
		t.Fatal(err)
	}
	if r.read(t, "new.md") != nil {
		t.Fatal("forced undo kept the file")
	}
	if _, c, _ := j.Get(u.ID); string(c) != "generated, then edited\n" {
		t.Fatalf("forced removal journaled %q", c)
	}
}

func TestUndoRemovedFileCreatesIt(t *testing.T) {
	j := openTest(t, Retention{})
	r := newRoot(t)
	content := []byte("renamed away\r\n")
	r.write(t, "old/name.md", content)
	id := r.engineWrite(t, j, "old/name.md", content, nil)
	if err := os.Remove(filepath.Join(r.dir, "old")); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Undo(r.root, id, false); err != nil {
		t.Fatal(err)
	}
	if got := r.read(t, "old/name.md"); !bytes.Equal(got, content) {
		t.Fatalf("after undo: %q, want %q", got, content)
	}
	// A file that reappeared by other means is a change.
	id2 := r.engineWrite(t, j, "old/name.md", content, nil)
	r.write(t, "old/name.md", []byte("someone else's\n"))
	if _, err := j.Undo(r.root, id2, false); !errors.Is(err, ErrChanged) {
		t.Fatalf("Undo over a new file = %v, want ErrChanged", err)
	}
}

func TestUndoFailedWriteLeavesNoEntry(t *testing.T) {
	j := openTest(t, Retention{})
	r := newRoot(t)
	r.write(t, "a.md", []byte("1"))
	id := r.engineWrite(t, j, "a.md", []byte("1"), []byte("2"))
	// safefile refuses read-only targets, by mode bits (so also as root).
	if err := os.Chmod(filepath.Join(r.dir, "a.md"), 0o444); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Undo(r.root, id, false); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("Undo of a read-only file = %v, want a read-only error", err)
	}
	if got := r.read(t, "a.md"); string(got) != "2" {
		t.Fatalf("file = %q", got)
	}
	if es, _ := j.List("", "", 0); len(es) != 1 {
		t.Fatalf("the failed undo left entries: %v", ids(es))
	}
	if s, _ := j.Stats(); s.Entries != 1 || s.Blobs != 1 {
		t.Fatalf("stats after the failed undo: %+v", s)
	}
}

func TestUndoRefusesSymlinkAndWrongRoot(t *testing.T) {
	j := openTest(t, Retention{})
	r := newRoot(t)
	r.write(t, "a.md", []byte("1"))
	id := r.engineWrite(t, j, "a.md", []byte("1"), []byte("2"))

	other := newRoot(t)
	if _, err := j.Undo(other.root, id, true); err == nil || !strings.Contains(err.Error(), "open that root") {
		t.Fatalf("Undo in another root = %v", err)
	}

	r.write(t, "target.md", []byte("2"))
	os.Remove(filepath.Join(r.dir, "a.md"))
	if err := os.Symlink("target.md", filepath.Join(r.dir, "a.md")); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Undo(r.root, id, true); err == nil || !strings.Contains(err.Error(), "symlink") {
		t.Fatalf("Undo through a symlink = %v, want a refusal", err)
	}
	if got := r.read(t, "target.md"); string(got) != "2" {
		t.Fatalf("symlink target changed: %q", got)
	}
	if _, err := j.Undo(r.root, 999, false); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Undo(unknown) = %v, want ErrNotFound", err)
	}
}

func TestUndoCreatedFileRacingEdit(t *testing.T) {
	defer func() { testHookAside = nil }()
	for _, tc := range []struct {
		name      string
		race      func(r *testRoot, aside string)
		wantErr   string
		wantFile  string // content of new.md afterwards, "" for absent
		wantAside bool
	}{
		{
			name: "edit in place while aside",
			race: func(r *testRoot, aside string) {
				f, _ := os.OpenFile(filepath.Join(r.dir, aside), os.O_WRONLY|os.O_APPEND, 0)
				f.WriteString("user's line\n")
				f.Close()
			},
			wantErr:  "changed since write",
			wantFile: "generated\nuser's line\n",
		},
		{
			name: "editor saves a new file meanwhile",
			race: func(r *testRoot, aside string) {
				os.WriteFile(filepath.Join(r.dir, "new.md"), []byte("saved by the editor\n"), 0o644)
			},
			wantFile: "saved by the editor\n",
		},
		{
			name: "both",
			race: func(r *testRoot, aside string) {
				os.WriteFile(filepath.Join(r.dir, aside), []byte("edited\n"), 0o644)
				os.WriteFile(filepath.Join(r.dir, "new.md"), []byte("saved by the editor\n"), 0o644)
			},
			wantErr:   "kept as .scribe-undo-",
			wantFile:  "saved by the editor\n",
			wantAside: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := openTest(t, Retention{})
			r := newRoot(t)
			id := r.engineWrite(t, j, "new.md", nil, []byte("generated\n"))
			testHookAside = func(aside string) { tc.race(r, aside) }
			_, err := j.Undo(r.root, id, false)
			testHookAside = nil
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("Undo = %v, want error containing %q", err, tc.wantErr)
			}
			if got := string(r.read(t, "new.md")); got != tc.wantFile {
				t.Errorf("new.md = %q, want %q", got, tc.wantFile)
			}
			names, _ := filepath.Glob(filepath.Join(r.dir, ".scribe-undo-*"))
			if (len(names) > 0) != tc.wantAside {
				t.Errorf("aside files %v, want some: %v", names, tc.wantAside)
			}
			if tc.wantAside && len(names) == 1 {
				if b, _ := os.ReadFile(names[0]); string(b) != "edited\n" {
					t.Errorf("aside file holds %q, want the user's edit", b)
				}
			}
			if es, _ := j.List("", "", 0); tc.wantErr != "" && len(es) != 1 {
				t.Errorf("failed undo left entries %v", ids(es))
			}
		})
	}
}

func TestUndoEditBetweenCheckAndWrite(t *testing.T) {
	defer func() { testHookBeforeWrite = nil }()
	for _, tc := range []struct {
		name          string
		before, after []byte
	}{
		{"replace", []byte("v1\n"), []byte("v2\n")},
		{"recreate", []byte("v1\n"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := openTest(t, Retention{})
			r := newRoot(t)
			r.write(t, "a.md", tc.before)
			id := r.engineWrite(t, j, "a.md", tc.before, tc.after)
			user := []byte("the user's save\n")
			testHookBeforeWrite = func() { r.write(t, "a.md", user) }
			_, err := j.Undo(r.root, id, false)
			testHookBeforeWrite = nil
			var ce *ChangedError
			if !errors.As(err, &ce) || ce.Have != Hash(user) {
				t.Fatalf("Undo = %v, want a *ChangedError naming the user's version", err)
			}
			if got := r.read(t, "a.md"); !bytes.Equal(got, user) {
				t.Fatalf("file = %q, want the user's save", got)
			}
			if es, _ := j.List("", "", 0); len(es) != 1 {
				t.Fatalf("failed undo left entries %v", ids(es))
			}
		})
	}
}
