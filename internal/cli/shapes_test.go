package cli_test

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/scribe-md/scribe/internal/markdown"
)

// TestSetOnEveryShape runs `scribe run` with frontmatter.set adding one
// field to a vault made of every front matter shape real vaults hold (the
// markdown package's fixtures): each valid file gains exactly one line and
// reads back with every other value unchanged; each invalid one is left
// byte for byte as it was, and the run names it.
func TestSetOnEveryShape(t *testing.T) {
	shapes, err := filepath.Glob("../markdown/testdata/shapes/*.md")
	if err != nil || len(shapes) < 15 {
		t.Fatalf("shapes: %v, %d files", err, len(shapes))
	}
	dir := t.TempDir()
	files := map[string]string{"scribe.yaml": "version: 1\nrules:\n  - id: review\n    actions:\n      - frontmatter.set: { reviewed: true }\n"}
	before := map[string][]byte{}
	for _, s := range shapes {
		b, err := os.ReadFile(s)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(s)] = string(b)
		before[filepath.Base(s)] = b
	}
	writeFiles(t, dir, files)
	_, out, errOut := scribe(t, "run", "-c", filepath.Join(dir, "scribe.yaml"))
	for name, old := range before {
		now, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		want, perr := markdown.Parse(old)
		if perr != nil {
			if !bytes.Equal(now, old) {
				t.Errorf("%s: invalid front matter was rewritten", name)
			}
			if !strings.Contains(out+errOut, name) {
				t.Errorf("%s: the run does not name the refused file:\n%s%s", name, out, errOut)
			}
			continue
		}
		if !oneLineAdded(old, now) {
			t.Errorf("%s: the edit is not exactly one added line:\n%s", name, now)
		}
		got, err := markdown.Parse(now)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got["reviewed"] != true {
			t.Errorf("%s: reviewed = %#v", name, got["reviewed"])
		}
		delete(got, "reviewed")
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: values changed:\n got %#v\nwant %#v", name, got, want)
		}
	}
}

// oneLineAdded reports whether after is before with one line inserted.
func oneLineAdded(before, after []byte) bool {
	b := bytes.SplitAfter(before, []byte{'\n'})
	a := bytes.SplitAfter(after, []byte{'\n'})
	if len(a) != len(b)+1 {
		return false
	}
	i := 0
	for i < len(b) && bytes.Equal(a[i], b[i]) {
		i++
	}
	return bytes.Equal(bytes.Join(append(a[:i:i], a[i+1:]...), nil), before)
}
