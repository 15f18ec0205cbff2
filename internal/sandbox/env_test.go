package sandbox

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/scribe-md/scribe/internal/action"
)

// TestEnvIsExactlyTheAllowlist is E4: secrets in Scribe's environment never
// reach the child; only the allow-listed variables that are set do.
func TestEnvIsExactlyTheAllowlist(t *testing.T) {
	t.Setenv("NATS_TOKEN", "s3cret")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "s3cret")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIA")
	t.Setenv("LD_PRELOAD", "/tmp/evil.so")
	t.Setenv("SCRIBE_TEST_ALLOWED", "yes\nwith newline")
	t.Setenv("HOME", "/home/scribe-test")
	os.Unsetenv("SCRIBE_TEST_UNSET")

	cases := []struct {
		name  string
		allow []string
		want  []string
	}{
		{"nothing allowed", nil, []string{}},
		{"some allowed", []string{"SCRIBE_TEST_ALLOWED", "HOME", "SCRIBE_TEST_UNSET"},
			[]string{"SCRIBE_TEST_ALLOWED=yes\nwith newline", "HOME=/home/scribe-test"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := recordRun(t, t.TempDir(), tc.allow, action.Command{})
			if err != nil {
				t.Fatal(err)
			}
			got := strs(rec.Env)
			slices.Sort(got)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("child env %q, want exactly %q", got, want)
			}
		})
	}
}

// TestPWDIsTheWorkingDirectory: an allow-listed PWD names where the child
// runs, not where Scribe runs.
func TestPWDIsTheWorkingDirectory(t *testing.T) {
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	real, _ := filepath.EvalSymlinks(filepath.Join(root, "sub"))
	rec, err := recordRun(t, root, []string{"PWD"}, action.Command{Dir: "sub"})
	if err != nil {
		t.Fatal(err)
	}
	if got := strs(rec.Env); !slices.Equal(got, []string{"PWD=" + real}) {
		t.Fatalf("env %q, want [PWD=%s]", got, real)
	}
	if rec.Cwd != real {
		t.Fatalf("cwd %q, want %q", rec.Cwd, real)
	}
}
