package markdown

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestShapes reads every front matter shape in testdata/shapes, one
// hand-written file per shape that real vaults hold, and checks the values
// against NAME.want.json (the oracle's reading, see oracle_test.go) or, for
// front matter that is not valid YAML, the error's line and column. Then it
// sets one new field: a valid block gains exactly one line and keeps every
// other value; an invalid one is refused and left untouched.
func TestShapes(t *testing.T) {
	files, err := filepath.Glob("testdata/shapes/*.md")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 15 {
		t.Fatalf("found only %d shapes", len(files))
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".md")
		t.Run(name, func(t *testing.T) {
			content, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := os.ReadFile(strings.TrimSuffix(file, ".md") + ".want.json")
			if err != nil {
				t.Fatal(err)
			}
			var want struct {
				OK    json.RawMessage `json:"ok"`
				Error *struct{ Line, Column int }
			}
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			got, perr := Parse(content)
			out, serr := Set(content, []Field{{Key: "reviewed", Value: true}})
			if want.Error != nil {
				var e *Error
				if !errors.As(perr, &e) {
					t.Fatalf("Parse = %v, %v; want an error at %d:%d", got, perr, want.Error.Line, want.Error.Column)
				}
				if e.Line != want.Error.Line || e.Column != want.Error.Column || e.Message == "" {
					t.Errorf("error at %d:%d (%s), want %d:%d", e.Line, e.Column, e.Message, want.Error.Line, want.Error.Column)
				}
				if serr == nil || out != nil {
					t.Errorf("Set on invalid front matter: %q, %v; want a refusal", out, serr)
				}
				return
			}
			if perr != nil {
				t.Fatalf("Parse: %v", perr)
			}
			wv, err := decodeOracle(want.OK)
			if err != nil {
				t.Fatal(err)
			}
			if err := sameAsOracle(got, wv, name); err != nil {
				t.Fatalf("values differ from the YAML 1.2 reading: %v", err)
			}
			if serr != nil {
				t.Fatalf("Set: %v", serr)
			}
			if err := oneAddedLine(content, out); err != nil {
				t.Fatalf("Set changed more than one added line: %v\n--- before\n%s--- after\n%s", err, content, out)
			}
			after, err := Parse(out)
			if err != nil {
				t.Fatal(err)
			}
			if after["reviewed"] != true {
				t.Errorf("reviewed = %#v after Set", after["reviewed"])
			}
			delete(after, "reviewed")
			if err := sameAsOracle(after, wv, name); err != nil {
				t.Errorf("another value changed: %v", err)
			}
		})
	}
}

// oneAddedLine reports whether after is before with exactly one line added.
func oneAddedLine(before, after []byte) error {
	b := bytes.SplitAfter(before, []byte{'\n'})
	a := bytes.SplitAfter(after, []byte{'\n'})
	if len(a) != len(b)+1 {
		return errors.New("not one more line")
	}
	i := 0
	for i < len(b) && bytes.Equal(a[i], b[i]) {
		i++
	}
	for j := i; j < len(b); j++ {
		if !bytes.Equal(a[j+1], b[j]) {
			return errors.New("lines other than the added one differ")
		}
	}
	return nil
}
