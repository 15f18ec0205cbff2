package scan

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// helperEnv selects the helper mode of the test binary: the unreadable
// directory test re-executes it as an unprivileged user to list a tree.
const helperEnv = "SCAN_TEST_HELPER_ROOT"

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperEnv); dir != "" {
		os.Exit(helperList(dir))
	}
	goleak.VerifyTestMain(m)
}

// helperOutput is what the helper prints.
type helperOutput struct {
	Entries []string
	Errors  []string
	Err     string
}

// helperList lists dir with an include-everything filter and prints the
// result as JSON.
func helperList(dir string) int {
	f, err := NewFilter(dir, nil, nil, "")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer root.Close()
	entries, errs, err := List(context.Background(), root, f, 2)
	var out helperOutput
	for _, e := range entries {
		out.Entries = append(out.Entries, e.Rel)
	}
	for _, e := range errs {
		out.Errors = append(out.Errors, e.Error())
	}
	if err != nil {
		out.Err = err.Error()
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	return 0
}

// writeTree creates files under dir: a key ending in "/" is a directory,
// any other key a file with the given content.
func writeTree(t testing.TB, dir string, tree map[string]string) {
	t.Helper()
	for rel, content := range tree {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if strings.HasSuffix(rel, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// mustFilter builds a filter or fails the test.
func mustFilter(t testing.TB, dir string, include, exclude []string, stateDir string) *Filter {
	t.Helper()
	f, err := NewFilter(dir, include, exclude, stateDir)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// openRoot opens dir as an os.Root closed at the end of the test.
func openRoot(t testing.TB, dir string) *os.Root {
	t.Helper()
	r, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// listRels lists dir with f and returns the sorted paths, failing the test on
// any error.
func listRels(t testing.TB, dir string, f *Filter) []string {
	t.Helper()
	entries, errs, err := List(t.Context(), openRoot(t, dir), f, 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) > 0 {
		t.Fatalf("unexpected walk errors: %v", errs)
	}
	return rels(entries)
}

func rels(entries []Entry) []string {
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		out = append(out, e.Rel)
	}
	return out
}

// sameSet fails the test with the differences when got and want differ.
func sameSet(t testing.TB, got, want []string) {
	t.Helper()
	got, want = slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
	if slices.Equal(got, want) {
		return
	}
	var missing, extra []string
	for _, w := range want {
		if _, ok := slices.BinarySearch(got, w); !ok {
			missing = append(missing, w)
		}
	}
	for _, g := range got {
		if _, ok := slices.BinarySearch(want, g); !ok {
			extra = append(extra, g)
		}
	}
	t.Errorf("listing differs:\nmissing: %q\nextra:   %q", missing, extra)
}
