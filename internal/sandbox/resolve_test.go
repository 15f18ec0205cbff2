package sandbox

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/action"
)

func TestResolveCommandRefuses(t *testing.T) {
	dir := t.TempDir()
	tool := filepath.Join(dir, "tool")
	copyExecutable(t, tool)
	write := func(name string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // umask-proof
			t.Fatal(err)
		}
		return p
	}
	openDir := filepath.Join(dir, "open")
	if err := os.Mkdir(openDir, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(openDir, 0o777)
	inOpen := filepath.Join(openDir, "tool")
	copyExecutable(t, inOpen)
	dangling := filepath.Join(dir, "dangling")
	os.Symlink(filepath.Join(dir, "nope"), dangling)

	cases := []struct{ path, want string }{
		{"", "empty"},
		{"prettier", "not absolute"},
		{"./evil", "not absolute"},
		{"bin/evil", "not absolute"},
		{filepath.Join(dir, "missing"), "does not exist"},
		{dangling, "does not exist"},
		{dir, "not a regular file"},
		{write("world", 0o757), "writable by group or others"},
		{write("group", 0o775), "writable by group or others"},
		{write("noexec", 0o644), "not executable"},
		{inOpen, "anyone may write"},
	}
	for _, tc := range cases {
		got, err := ResolveCommand(tc.path)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ResolveCommand(%q) = %q, %v; want an error containing %q", tc.path, got, err, tc.want)
		}
	}

	// A sticky world-writable directory (like /tmp) is fine.
	os.Chmod(openDir, 0o777|os.ModeSticky)
	if _, err := ResolveCommand(inOpen); err != nil {
		t.Errorf("sticky directory refused: %v", err)
	}
}

func TestResolveCommandFollowsSymlinks(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real-tool")
	copyExecutable(t, real)
	link := filepath.Join(dir, "tool")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	got, err := ResolveCommand(link)
	want, _ := filepath.EvalSymlinks(real)
	if err != nil || got != want {
		t.Fatalf("ResolveCommand(link) = %q, %v; want %q", got, err, want)
	}
}

// TestSwappedBinaryIsRefused is E5: after the configuration loaded, a binary
// replaced by rename, rewritten in place, made writable, or a symlink
// retargeted never runs something else.
func TestSwappedBinaryIsRefused(t *testing.T) {
	marker := helper(t, "", markerName) // what an attacker swaps in
	cases := []struct {
		name   string
		attack func(t *testing.T, path string)
		want   string
	}{
		{"replaced by rename", func(t *testing.T, path string) {
			tmp := path + ".new"
			copyFile(t, marker, tmp)
			if err := os.Rename(tmp, path); err != nil {
				t.Fatal(err)
			}
		}, "replaced"},
		{"rewritten in place", func(t *testing.T, path string) {
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.Write([]byte("x"))
			f.Close()
		}, "modified in place"},
		{"rewritten with the same size and its times put back", func(t *testing.T, path string) {
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(marker)
			if err != nil {
				t.Fatal(err)
			}
			// The same bytes as the marker but for one, at the end, so
			// the size is unchanged; the content differs from what
			// NewRunner hashed.
			b[len(b)-1] ^= 0xff
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.WriteAt(b[len(b)-1:], fi.Size()-1); err != nil {
				t.Fatal(err)
			}
			f.Close()
			if err := os.Chtimes(path, fi.ModTime(), fi.ModTime()); err != nil {
				t.Fatal(err)
			}
			if now, _ := os.Stat(path); now.Size() != fi.Size() || !now.ModTime().Equal(fi.ModTime()) {
				t.Fatalf("size or mtime not put back: %v %v", now.Size(), now.ModTime())
			}
		}, "modified in place"},
		{"made world-writable", func(t *testing.T, path string) {
			os.Chmod(path, 0o757)
		}, "writable by group or others"},
		{"deleted", func(t *testing.T, path string) {
			os.Remove(path)
		}, "no such file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			root := t.TempDir()
			path := helper(t, dir, recorderName)
			r := NewRunner(root, map[string]string{"tool": path}, nil, 0)
			canary := filepath.Join(root, "LAUNCHED")
			run := func() error {
				_, err := r.Run(context.Background(), action.Command{Name: "tool", Args: []string{canary}, Timeout: 10 * time.Second})
				return err
			}
			if err := run(); err != nil {
				t.Fatalf("before the attack: %v", err)
			}
			tc.attack(t, path)
			err := run()
			if !errors.Is(err, ErrBinaryChanged) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("after the attack: err = %v, want ErrBinaryChanged mentioning %q", err, tc.want)
			}
			if _, err := os.Stat(canary); err == nil {
				t.Fatal("the swapped-in binary ran")
			}
		})
	}

	t.Run("symlink retargeted", func(t *testing.T) {
		dir, root := t.TempDir(), t.TempDir()
		good := helper(t, dir, recorderName)
		link := filepath.Join(dir, "tool")
		os.Symlink(good, link)
		path, err := ResolveCommand(link)
		if err != nil {
			t.Fatal(err)
		}
		r := NewRunner(root, map[string]string{"tool": path}, nil, 0)
		os.Remove(link)
		os.Symlink(marker, link)
		canary := filepath.Join(root, "LAUNCHED")
		if _, err := r.Run(context.Background(), action.Command{Name: "tool", Args: []string{canary}, Timeout: 10 * time.Second}); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(canary); err == nil {
			t.Fatal("the retargeted symlink was followed at exec time")
		}
	})
}

// A binary whose times changed but whose content did not (touch) still
// runs: the content hash decides, and it is recomputed only when the file's
// metadata moved.
func TestTouchedBinaryStillRuns(t *testing.T) {
	root := t.TempDir()
	path := helper(t, t.TempDir(), recorderName)
	r := NewRunner(root, map[string]string{"tool": path}, nil, 0)
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := r.Run(context.Background(), action.Command{Name: "tool", Timeout: 10 * time.Second}); err != nil {
			t.Fatalf("a touched binary was refused: %v", err)
		}
	}
}

func TestUnknownCommandIsRefused(t *testing.T) {
	r := NewRunner(t.TempDir(), map[string]string{"b": "/x/b", "a": "/x/a"}, nil, 0)
	_, err := r.Run(context.Background(), action.Command{Name: "rm"})
	if !errors.Is(err, ErrNotAllowed) || !strings.Contains(err.Error(), `"rm"`) || !strings.Contains(err.Error(), "allowed: a, b") {
		t.Fatalf("err = %v", err)
	}
	_, err = NewRunner(t.TempDir(), nil, nil, 0).Run(context.Background(), action.Command{Name: "rm"})
	if !errors.Is(err, ErrNotAllowed) || !strings.Contains(err.Error(), "security.commands is empty") {
		t.Fatalf("err = %v", err)
	}
}

func TestUnresolvedPathCannotRun(t *testing.T) {
	dir := t.TempDir()
	real := helper(t, dir, recorderName)
	link := filepath.Join(dir, "link")
	os.Symlink(real, link)
	r := NewRunner(t.TempDir(), map[string]string{"tool": link}, nil, 0)
	_, err := r.Run(context.Background(), action.Command{Name: "tool"})
	if err == nil || !strings.Contains(err.Error(), "cannot be run") {
		t.Fatalf("a symlink given to NewRunner ran: %v", err)
	}
}

func TestNonZeroExitQuotesStderr(t *testing.T) {
	r := shRunner(t, 0)
	res, err := r.Run(context.Background(), action.Command{Name: "sh", Args: []string{"-c", "echo one >&2; echo two >&2; exit 3"}, Timeout: 5 * time.Second})
	if err == nil || res.ExitCode != 3 {
		t.Fatalf("err = %v, ExitCode = %d; want an error and 3", err, res.ExitCode)
	}
	if !strings.Contains(err.Error(), "status 3: one\ntwo") {
		t.Fatalf("error does not quote stderr: %v", err)
	}
}

// A command ended by a signal is told by the signal's name, and its stderr
// is quoted as for an exit status.
func TestSignalIsNamed(t *testing.T) {
	r := shRunner(t, 0)
	_, err := r.Run(context.Background(), action.Command{Name: "sh", Args: []string{"-c", "echo bye >&2; kill -TERM $$"}, Timeout: 5 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "command sh was killed by SIGTERM (terminated): bye") {
		t.Fatalf("err = %v; want the signal named and stderr quoted", err)
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o755); err != nil {
		t.Fatal(err)
	}
}
