package safefile

import "testing"

func TestProtectedDir(t *testing.T) {
	for _, tc := range []struct{ rel, state, want string }{
		{".git/config", "", ".git"},
		{".git", "", ".git"},
		{"a/b/.GIT/hooks/pre-commit", "", "a/b/.GIT"},
		{"x/.hg/hgrc", "", "x/.hg"},
		{".svn/entries", "", ".svn"},
		{".scribe/journal.db", ".scribe", ".scribe"},
		{"state/x/y", "state/x", "state/x"},
		{"state/xy", "state/x", ""},
		{".gitignore", "", ""},
		{"notes/.github/x.md", "", ""},
		{"index.md", ".scribe", ""},
	} {
		if got := ProtectedDir(tc.rel, tc.state); got != tc.want {
			t.Errorf("ProtectedDir(%q, %q) = %q, want %q", tc.rel, tc.state, got, tc.want)
		}
	}
}
