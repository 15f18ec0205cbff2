package sandbox

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/scribe-md/scribe/internal/action"
)

// hostileNames are file names a shell or an option parser would act on.
var hostileNames = []string{
	"$(touch PWNED)",
	"`touch PWNED`",
	";rm -rf x",
	"| touch PWNED",
	"&& touch PWNED",
	"-rf",
	"--output=/tmp/x",
	"-",
	"--",
	"a\nb.md",
	"tab\there.md",
	"it's \"quoted\".md",
	"*.md",
	"~/x.md",
	"${HOME}.md",
	"\xff\xfe\x80.md",
	"with space.md",
	"",
}

// TestHostileFileNames is E1: each hostile name arrives as exactly one
// argument after "--", and nothing is run by a shell.
func TestHostileFileNames(t *testing.T) {
	root := t.TempDir()
	path := helper(t, "", recorderName)
	args := []string{"--check", "$(touch PWNED)", "`touch PWNED`"}

	rec, err := recordRun(t, root, nil, action.Command{Args: args, Files: hostileNames})
	if err != nil {
		t.Fatal(err)
	}
	want := append(append(append([]string{path}, args...), "--"), hostileNames...)
	if got := strs(rec.Argv); !slices.Equal(got, want) {
		t.Fatalf("argv:\n got %q\nwant %q", got, want)
	}

	for _, name := range hostileNames {
		rec, err := recordRun(t, root, nil, action.Command{Files: []string{name}})
		if err != nil {
			t.Fatalf("%q: %v", name, err)
		}
		got := strs(rec.Argv)
		if len(got) != 3 || got[1] != "--" || got[2] != name {
			t.Errorf("file %q: argv %q, want [%s -- %q]", name, got, path, name)
		}
	}
	for _, dir := range []string{root, "."} {
		if _, err := os.Stat(filepath.Join(dir, "PWNED")); err == nil {
			t.Fatalf("canary PWNED created in %s: something ran a shell", dir)
		}
	}
}

func TestNoSeparatorWithoutFiles(t *testing.T) {
	rec, err := recordRun(t, t.TempDir(), nil, action.Command{Args: []string{"-x", "y"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strs(rec.Argv); len(got) != 3 || got[1] != "-x" || got[2] != "y" {
		t.Fatalf("argv %q, want [path -x y]", got)
	}
}

func TestStdinReachesChild(t *testing.T) {
	in := []byte("---\ntitle: x\n---\nbody \xff\n")
	rec, err := recordRun(t, t.TempDir(), nil, action.Command{Stdin: in})
	if err != nil {
		t.Fatal(err)
	}
	if string(rec.Stdin) != string(in) {
		t.Fatalf("stdin %q, want %q", rec.Stdin, in)
	}
}

func TestNULInArgumentIsAnError(t *testing.T) {
	_, err := recordRun(t, t.TempDir(), nil, action.Command{Files: []string{"a\x00b"}})
	if err == nil {
		t.Fatal("a NUL byte in an argument was accepted")
	}
}

// FuzzArgv is the E1 fuzz target: any name reaches the child as exactly one
// argument after "--", or, if the kernel cannot carry it (NUL), Run fails
// cleanly.
func FuzzArgv(f *testing.F) {
	for _, n := range hostileNames {
		f.Add(n, "--flag="+n)
	}
	f.Add("a\x00b", "x")
	root := f.TempDir()
	r := NewRunner(root, map[string]string{"rec": helper(f, "", recorderName)}, nil, 0)
	f.Fuzz(func(t *testing.T, name, arg string) {
		res, err := r.Run(context.Background(), action.Command{Name: "rec", Args: []string{arg}, Files: []string{name}})
		if strings.ContainsRune(name, 0) || strings.ContainsRune(arg, 0) {
			if err == nil {
				t.Fatalf("NUL in %q/%q accepted", name, arg)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		rec := decodeRecord(t, res.Stdout)
		got := strs(rec.Argv)
		if len(got) != 4 || got[1] != arg || got[2] != "--" || got[3] != name {
			t.Fatalf("argv %q for arg %q name %q", got, arg, name)
		}
		if _, err := os.Stat(filepath.Join(root, "PWNED")); err == nil {
			t.Fatal("canary PWNED created")
		}
	})
}
