// Package vcstest builds real git repositories for tests: a temporary work
// tree with an isolated git configuration, and a helper that runs git in it
// and fails the test with git's output when a command fails.
package vcstest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Require skips the test when git is not installed.
func Require(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git is not installed")
	}
	return p
}

// Init creates a repository in a new temporary directory (with extra `git
// init` arguments, e.g. "--object-format=sha256") and returns its top.
func Init(t testing.TB, args ...string) string {
	t.Helper()
	Require(t)
	dir := t.TempDir()
	Git(t, dir, append([]string{"init", "-q", "-b", "main"}, args...)...)
	return dir
}

// Env is the environment git runs with in tests: no user or system
// configuration, a fixed identity and dates that do not matter.
func Env() []string {
	env := []string{
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME=/nonexistent",
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.com",
		"GIT_TERMINAL_PROMPT=0", "GIT_EDITOR=true", "GIT_SEQUENCE_EDITOR=true", "GIT_MERGE_AUTOEDIT=no",
		"LC_ALL=C",
	}
	if p, ok := os.LookupEnv("PATH"); ok {
		env = append(env, "PATH="+p)
	}
	return env
}

// Git runs git in dir and returns its standard output; the test fails with
// git's messages if it exits non-zero.
func Git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, err := Run(dir, args...)
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// Run runs git in dir and returns its combined output and error, for
// commands expected to fail (a merge that stops on a conflict).
func Run(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = Env()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Write creates or replaces files under dir (slash-separated names),
// creating directories as needed.
func Write(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// Commit writes files, stages everything and commits with message.
func Commit(t testing.TB, dir, message string, files map[string]string) {
	t.Helper()
	Write(t, dir, files)
	Git(t, dir, "add", "-A")
	Git(t, dir, "commit", "-q", "--allow-empty", "-m", message)
}
