package config

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the .golden files from the current output")

// commandFixtures creates programs for the security.commands cases and
// returns the directory that "$TMP" stands for in test inputs.
func commandFixtures(t *testing.T) string {
	t.Helper()
	// Resolve the temp dir itself, so that paths in messages (which show the
	// resolved program) do not depend on whether /tmp is a symlink.
	tmp, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	script := []byte("#!/bin/sh\nexit 0\n")
	mk := func(path string, mode os.FileMode) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, script, 0o600); err != nil {
			t.Fatal(err)
		}
		// Chmod, not WriteFile's mode: the umask must not hide the bits
		// under test.
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
	}
	mk(filepath.Join(tmp, "bin", "ok"), 0o755)
	mk(filepath.Join(tmp, "bin", "ww"), 0o777)
	mk(filepath.Join(tmp, "bin", "noexec"), 0o644)
	mk(filepath.Join(tmp, "wwdir", "tool"), 0o755)
	if err := os.Chmod(filepath.Join(tmp, "wwdir"), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("ok", filepath.Join(tmp, "bin", "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("wwdir", filepath.Join(tmp, "dirlink")); err != nil {
		t.Fatal(err)
	}
	return tmp
}

// TestInvalidGolden loads every file in testdata/invalid and compares the
// full error text with its .golden file (go test -run Golden -update
// rewrites them).
func TestInvalidGolden(t *testing.T) {
	tmp := commandFixtures(t)
	inputs, err := filepath.Glob("testdata/invalid/*")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, in := range inputs {
		if strings.HasSuffix(in, ".golden") {
			continue
		}
		n++
		t.Run(filepath.Base(in), func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			data = bytes.ReplaceAll(data, []byte("$TMP"), []byte(tmp))
			c, err := LoadBytes(filepath.Base(in), data)
			if err == nil {
				t.Fatalf("loaded without error: %+v", c)
			}
			if c != nil {
				t.Error("a failed load returned a config")
			}
			var errs Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("error is %T, want a non-empty Errors: %v", err, err)
			}
			for _, e := range errs {
				if e.Line < 1 || e.Column < 1 {
					t.Errorf("error without a position: %q", e)
				}
				if e.File != filepath.Base(in) {
					t.Errorf("error names file %q, want %q", e.File, filepath.Base(in))
				}
			}
			got := strings.ReplaceAll(err.Error(), tmp, "$TMP") + "\n"
			golden := in + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("errors differ from %s\n--- got\n%s--- want\n%s", golden, got, want)
			}
		})
	}
	if n < 20 {
		t.Fatalf("found only %d inputs in testdata/invalid", n)
	}
}
