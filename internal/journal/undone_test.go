package journal

import (
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// ruleWrite plays the engine with the given rules and run, as rec does.
func (r *testRoot) ruleWrite(t *testing.T, j *Journal, rel, rule, run string, before, after []byte) uint64 {
	t.Helper()
	r.write(t, rel, after)
	e := Entry{Root: r.dir, Path: rel, Rule: rule, Run: run, AfterHash: Hash(after)}
	if before != nil {
		e.BeforeHash = Hash(before)
	}
	id, err := j.Record(e, before)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func undone(t *testing.T, j *Journal, root, path, hash string) []string {
	t.Helper()
	rules, err := j.UndoneRules(root, path, hash)
	if err != nil {
		t.Fatal(err)
	}
	return rules
}

// An undo marks the restored content with the rules whose write it undid;
// the mark holds for that content only, survives a reopen, and is dropped
// once the file has another content.
func TestUndoMarksTheRestoredContent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	j, err := Open(path, Retention{})
	if err != nil {
		t.Fatal(err)
	}
	r := newRoot(t)
	before, after := []byte("user\n"), []byte("rules\n")
	r.write(t, "a.md", before)
	id := r.ruleWrite(t, j, "a.md", "stamp,tidy", "", before, after)
	u, err := j.Undo(r.root, id, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := undone(t, j, r.dir, "a.md", Hash(before)); !slices.Equal(got, []string{"stamp", "tidy"}) {
		t.Fatalf("undone rules of the restored content = %q", got)
	}
	if got := undone(t, j, r.dir, "b.md", Hash(before)); got != nil {
		t.Fatalf("another file has undone rules %q", got)
	}
	j.Close()

	// A reader sees the mark, and leaves a stale one alone.
	ro, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := undone(t, ro, r.dir, "a.md", Hash(before)); len(got) != 2 {
		t.Fatalf("read-only: undone rules = %q", got)
	}
	if got := undone(t, ro, r.dir, "a.md", Hash([]byte("edited"))); got != nil {
		t.Fatalf("read-only: undone rules of other content = %q", got)
	}
	ro.Close()

	j, err = Open(path, Retention{})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	marks, err := j.ListUndone()
	if err != nil || len(marks) != 1 || marks[0].Undo != u.ID || marks[0].Hash != Hash(before) || marks[0].Path != "a.md" || marks[0].Root != r.dir {
		t.Fatalf("marks after a reopen = %+v, %v", marks, err)
	}
	if got := undone(t, j, r.dir, "a.md", Hash(before)); len(got) != 2 {
		t.Fatalf("undone rules after a reopen = %q", got)
	}
	// The user edited the file: the decision is spent, even if the old
	// content comes back later.
	if got := undone(t, j, r.dir, "a.md", Hash([]byte("edited"))); got != nil {
		t.Fatalf("undone rules of edited content = %q", got)
	}
	if got := undone(t, j, r.dir, "a.md", Hash(before)); got != nil {
		t.Fatalf("a stale mark was kept: %q", got)
	}
}

// Undoing the undo asks for the rules' write again: the mark goes.
func TestUndoOfUndoRemovesTheMark(t *testing.T) {
	j := openTest(t, Retention{})
	r := newRoot(t)
	before, after := []byte("a"), []byte("b")
	r.write(t, "a.md", before)
	id := r.ruleWrite(t, j, "a.md", "stamp", "", before, after)
	u, err := j.Undo(r.root, id, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Undo(r.root, u.ID, false); err != nil {
		t.Fatal(err)
	}
	if got := string(r.read(t, "a.md")); got != "b" {
		t.Fatalf("after undoing the undo: %q", got)
	}
	if marks, err := j.ListUndone(); err != nil || len(marks) != 0 {
		t.Fatalf("marks = %+v, %v; want none", marks, err)
	}
}

// Undoing a file's writes newest first holds every rule involved on the
// content restored last; a creation undone marks the missing file.
func TestUndoChainHoldsEveryRule(t *testing.T) {
	j := openTest(t, Retention{})
	r := newRoot(t)
	v0, v1, v2 := []byte("0"), []byte("1"), []byte("2")
	r.write(t, "a.md", v0)
	w1 := r.ruleWrite(t, j, "a.md", "one", "run-1", v0, v1)
	w2 := r.ruleWrite(t, j, "a.md", "two", "run-1", v1, v2)
	w3 := r.ruleWrite(t, j, "new.md", "three", "run-1", nil, v2)
	rec(t, j, r.dir, "other.md", "x", nil, v0, time.Time{}) // another run's
	es, err := j.ListRun("run-1")
	if err != nil || !slices.Equal(ids(es), []uint64{w3, w2, w1}) {
		t.Fatalf("ListRun = %v, %v; want %v", ids(es), err, []uint64{w3, w2, w1})
	}
	for _, id := range []uint64{w3, w2, w1} {
		if _, err := j.Undo(r.root, id, false); err != nil {
			t.Fatal(err)
		}
	}
	if got := undone(t, j, r.dir, "a.md", Hash(v0)); !slices.Equal(got, []string{"one", "two"}) {
		t.Fatalf("undone rules of a.md = %q, want both", got)
	}
	if got := undone(t, j, r.dir, "new.md", ""); !slices.Equal(got, []string{"three"}) {
		t.Fatalf("undone rules of the removed new.md = %q", got)
	}
}

// A journal written before entries had a run and an action still reads.
func TestFormat1EntryDecodes(t *testing.T) {
	want := Entry{ID: 3, Time: epoch, Root: "/r", Path: "a.md", Rule: "x", AfterHash: Hash(nil), Undoes: 1}
	b := encodeEntry(&want)
	b[0] = entryFormat1
	got, err := decodeEntry(3, b[:len(b)-2])
	if err != nil || !got.Time.Equal(want.Time) {
		t.Fatalf("decode format 1: %+v, %v", got, err)
	}
	got.Time = want.Time
	if got != want {
		t.Fatalf("decode format 1: %+v, want %+v", got, want)
	}
}
