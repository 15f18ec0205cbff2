package engine_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/engine"
)

func init() {
	// test.copy writes the file's content to PATH.copy through the Writer.
	action.Register(action.Spec{Name: "test.copy",
		New: func(any, action.Build) (action.Action, error) {
			return runFunc(func(ctx context.Context, in action.Input) (action.Output, error) {
				return action.Output{}, in.Host.Writer.WriteFile(ctx, in.Path+".copy", in.Content)
			}), nil
		}})
}

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// Options.Undone holds a rule on one content of one file: the rule runs but
// changes nothing, neither the file nor, through the Writer, another file it
// is held on; the other rules apply, and Options.Wrote sees every write with
// the rule that made it.
func TestUndoneRulesAreHeld(t *testing.T) {
	set := rules(t,
		config.Rule{ID: "a", Files: []string{"notes/**"}, Actions: []config.ActionRef{act("test.append", "A")}},
		config.Rule{ID: "b", Files: []string{"notes/**"}, Actions: []config.ActionRef{act("test.append", "B")}},
		config.Rule{ID: "c", Files: []string{"notes/**"}, Actions: []config.ActionRef{act("test.copy", nil)}},
	)
	root := openRoot(t, map[string]string{"notes/one.md": "one\n"})
	var (
		mu       sync.Mutex
		wrote    []*engine.Result
		holdCopy = true
	)
	opts := engine.Options{
		Wrote: func(_ *engine.Root, res *engine.Result) error {
			mu.Lock()
			defer mu.Unlock()
			wrote = append(wrote, res)
			return nil
		},
		Undone: func(_ *engine.Root, rel, hash string) []string {
			switch {
			case rel == "notes/one.md" && hash == sum("one\n"):
				return []string{"a"}
			case rel == "notes/one.md.copy" && hash == "" && holdCopy:
				return []string{"c"}
			}
			return nil
		},
	}
	rep := run(t, engine.New(set, opts), root)
	if got := read(t, root, "notes/one.md"); got != "one\nB\n" {
		t.Fatalf("with a held: %q, want only b's change", got)
	}
	if _, err := os.Stat(filepath.Join(root.Dir, "notes/one.md.copy")); !os.IsNotExist(err) {
		t.Fatalf("c wrote the copy it is held on: %v", err)
	}
	res := result(rep, "notes/one.md")
	if !slices.Equal(res.ChangedBy, []string{"b"}) || !slices.ContainsFunc(res.Findings, func(f action.Finding) bool {
		return f.Rule == "a" && f.Action == "undo" && f.Severity == action.SeverityInfo
	}) {
		t.Fatalf("result %+v: want changed by b, and a note that a was held", res)
	}
	if len(wrote) != 1 || wrote[0].Path != "notes/one.md" || !slices.Equal(wrote[0].ChangedBy, []string{"b"}) {
		t.Fatalf("Wrote saw %+v", wrote)
	}

	// The content changed (b's write): a is no longer held; with the copy's
	// mark gone (the user asked for it), c's copy is written.
	wrote, holdCopy = nil, false
	run(t, engine.New(set, opts), root)
	if got := read(t, root, "notes/one.md"); got != "one\nB\nA\n" {
		t.Fatalf("on new content: %q", got)
	}
	if got := read(t, root, "notes/one.md.copy"); got != "one\nB\n" && got != "one\nB\nA\n" {
		t.Fatalf("copy: %q", got)
	}
	var vias []string
	for _, w := range wrote {
		if w.Via != "" {
			vias = append(vias, w.Via+"/"+w.ChangedBy[0])
		}
	}
	if len(vias) == 0 || vias[0] != "test.copy/c" {
		t.Fatalf("Wrote saw the copy as %q, want by test.copy of rule c", vias)
	}
}
