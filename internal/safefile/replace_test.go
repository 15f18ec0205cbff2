package safefile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func mustRead(t testing.TB, root *os.Root, rel string) *Snapshot {
	t.Helper()
	s, err := Read(root, rel, 0)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestReplace(t *testing.T) {
	dir, root := newRoot(t)
	path := filepath.Join(dir, "sub", "a.md")
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	writeFile(t, path, []byte("old\n"), 0o640)
	s := mustRead(t, root, "sub/a.md")
	if err := replace(root, "sub/a.md", s, []byte("new content\n")); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); string(got) != "new content\n" {
		t.Fatalf("content = %q", got)
	}
	s2 := mustRead(t, root, "sub/a.md")
	if s2.Mode != 0o640 {
		t.Errorf("mode = %v, want 0640", s2.Mode)
	}
	if s2.Ino == s.Ino {
		t.Errorf("inode unchanged: not an atomic replace")
	}
	if left := temps(t, dir); len(left) > 0 {
		t.Errorf("temp files left: %v", left)
	}
	// The snapshot is now stale: a second Replace with it must conflict.
	err := replace(root, "sub/a.md", s, []byte("stale\n"))
	var ce *ConflictError
	if !errors.As(err, &ce) || ce.Current == nil || string(ce.Current.Content) != "new content\n" {
		t.Fatalf("Replace(stale) = %v, want a conflict holding the current version", err)
	}
	if err := replace(root, "sub/a.md", nil, nil); err == nil {
		t.Fatal("Replace(nil snapshot) succeeded")
	}
}

// TestReplaceConflict: a user's save between Read and Replace, in place or by
// rename, wins; Replace reports it with the user's version.
func TestReplaceConflict(t *testing.T) {
	for _, style := range []saveStyle{saveTruncate, saveOverwrite, saveRename} {
		t.Run(style.String(), func(t *testing.T) {
			dir, root := newRoot(t)
			path := filepath.Join(dir, "a.md")
			writeFile(t, path, []byte("version 1\n"), 0o644)
			s := mustRead(t, root, "a.md")
			if err := userSave(path, []byte("version 2\n"), style); err != nil {
				t.Fatal(err)
			}
			err := replace(root, "a.md", s, []byte("rule output\n"))
			var ce *ConflictError
			if !errors.As(err, &ce) {
				t.Fatalf("Replace = %v, want *ConflictError", err)
			}
			if ce.Current == nil || string(ce.Current.Content) != "version 2\n" || ce.Path != "a.md" {
				t.Fatalf("Current = %+v", ce.Current)
			}
			if got := readFile(t, path); string(got) != "version 2\n" {
				t.Fatalf("user's bytes not intact: %q", got)
			}
			if left := temps(t, dir); len(left) > 0 {
				t.Errorf("temp files left: %v", left)
			}
		})
	}
	t.Run("deleted", func(t *testing.T) {
		dir, root := newRoot(t)
		path := filepath.Join(dir, "a.md")
		writeFile(t, path, []byte("x\n"), 0o644)
		s := mustRead(t, root, "a.md")
		os.Remove(path)
		err := replace(root, "a.md", s, []byte("y\n"))
		var ce *ConflictError
		if !errors.As(err, &ce) || ce.Current != nil {
			t.Fatalf("Replace = %v, want a conflict with no current version", err)
		}
		if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("deleted file came back: %v", err)
		}
	})
}

// TestReplaceRestoredMtime is A9: a same-size edit whose mtime is set back
// exactly is still detected (ctime and hash), 100 times out of 100.
func TestReplaceRestoredMtime(t *testing.T) {
	dir, root := newRoot(t)
	path := filepath.Join(dir, "a.md")
	detected := 0
	for i := range 100 {
		writeFile(t, path, []byte("aaaa\n"), 0o644)
		s := mustRead(t, root, "a.md")
		writeFile(t, path, []byte("bbbb\n"), 0o644)
		mtime := time.Unix(0, s.ModTime)
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		if fi, _ := os.Stat(path); !fi.ModTime().Equal(mtime) || fi.Size() != s.Size {
			t.Fatalf("round %d: could not restore size and mtime", i)
		}
		var ce *ConflictError
		if err := replace(root, "a.md", s, []byte("rule\n")); errors.As(err, &ce) {
			detected++
		}
		if got := readFile(t, path); string(got) != "bbbb\n" {
			t.Fatalf("round %d: user's edit overwritten: %q", i, got)
		}
	}
	t.Logf("same-size edit with restored mtime detected %d/100", detected)
	if detected != 100 {
		t.Errorf("detected %d/100", detected)
	}
}

// TestReplaceRefusals is A7's refusal rows: read-only, hard-linked.
func TestReplaceRefusals(t *testing.T) {
	t.Run("read-only", func(t *testing.T) {
		dir, root := newRoot(t)
		path := filepath.Join(dir, "ro.md")
		writeFile(t, path, []byte("keep\n"), 0o444)
		s := mustRead(t, root, "ro.md")
		if err := replace(root, "ro.md", s, []byte("changed\n")); !errors.Is(err, ErrReadOnly) {
			t.Fatalf("Replace = %v, want ErrReadOnly", err)
		}
		if got := readFile(t, path); string(got) != "keep\n" {
			t.Fatalf("read-only file modified: %q", got)
		}
		if left := temps(t, dir); len(left) > 0 {
			t.Errorf("temp files left: %v", left)
		}
	})
	t.Run("hard-linked", func(t *testing.T) {
		dir, root := newRoot(t)
		path := filepath.Join(dir, "h.md")
		writeFile(t, path, []byte("one inode\n"), 0o644)
		s := mustRead(t, root, "h.md")
		if err := os.Link(path, filepath.Join(dir, "h2.md")); err != nil {
			t.Fatal(err)
		}
		// The link changed the inode's ctime: the stale snapshot conflicts,
		// and reading it again says why it is refused.
		err := replace(root, "h.md", s, []byte("x\n"))
		var ce *ConflictError
		if !errors.As(err, &ce) || ce.Current != nil {
			t.Fatalf("Replace = %v, want a conflict", err)
		}
		_, err = Read(root, "h.md", 0)
		var se *SkipError
		if !errors.As(err, &se) || se.Reason != ReasonHardLinked {
			t.Fatalf("Read = %v, want hard-linked", err)
		}
		// A snapshot that already says nlink 2 is refused outright.
		s.Nlink = 2
		if err := replace(root, "h.md", s, []byte("x\n")); !errors.Is(err, ErrHardLinked) {
			t.Fatalf("Replace = %v, want ErrHardLinked", err)
		}
		if got := readFile(t, filepath.Join(dir, "h2.md")); string(got) != "one inode\n" {
			t.Fatalf("hard link modified: %q", got)
		}
	})
	t.Run("busy", func(t *testing.T) {
		dir, root := newRoot(t)
		path := filepath.Join(dir, "b.md")
		writeFile(t, path, []byte("busy\n"), 0o644)
		s := mustRead(t, root, "b.md")
		f, err := os.OpenFile(path, os.O_WRONLY, 0) // a writer holding the file open
		if err != nil {
			t.Fatal(err)
		}
		err = replace(root, "b.md", s, []byte("x\n"))
		f.Close()
		if !errors.Is(err, ErrBusy) {
			t.Fatalf("Replace with a writer holding the file = %v, want ErrBusy", err)
		}
		if left := temps(t, dir); len(left) > 0 {
			t.Errorf("temp files left: %v", left)
		}
		if err := replace(root, "b.md", s, []byte("x\n")); err != nil {
			t.Fatalf("Replace after the writer closed: %v", err)
		}
	})
}

// TestReplaceKeepsMode: the temp file is created with the target's
// permissions, which the umask may cut (then a chmod puts them back), or
// not; with either, the file keeps its mode.
func TestReplaceKeepsMode(t *testing.T) {
	dir, root := newRoot(t)
	// Under the usual umask (022), 0664 and 0666 take the chmod.
	for _, mode := range []os.FileMode{0o600, 0o640, 0o644, 0o664, 0o666, 0o755, 0o604} {
		name := fmt.Sprintf("m%o.md", mode)
		path := filepath.Join(dir, name)
		writeFile(t, path, []byte("x\n"), 0o600)
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		if err := replace(root, name, mustRead(t, root, name), []byte("y\n")); err != nil {
			t.Fatal(err)
		}
		if s := mustRead(t, root, name); s.Mode != mode || !bytes.Equal(s.Content, []byte("y\n")) {
			t.Errorf("%s after Replace: mode %v, %q; want %v, \"y\\n\"", name, s.Mode, s.Content, mode)
		}
	}
}

// TestReplaceMetadata is A7: mode, owner, group, user.* attributes and the
// access ACL survive the rewrite.
func TestReplaceMetadata(t *testing.T) {
	dir, root := newRoot(t)
	path := filepath.Join(dir, "m.md")
	writeFile(t, path, []byte("meta\n"), 0o640)
	if err := unix.Setxattr(path, "user.scribe-test", []byte("kept"), 0); err != nil {
		if err == unix.ENOTSUP {
			t.Skip("file system has no user xattrs")
		}
		t.Fatal(err)
	}
	acl := os.Geteuid() == 0 && unix.Setxattr(path, "system.posix_acl_access", aclBlob(0o6, 1234, 0o4, 0o4, 0o0), 0) == nil
	owner := os.Geteuid() == 0
	if owner {
		if err := os.Chown(path, 1000, 1001); err != nil {
			t.Fatal(err)
		}
	}
	before := mustRead(t, root, "m.md")
	if err := replace(root, "m.md", before, []byte("meta 2\n")); err != nil {
		t.Fatal(err)
	}
	after := mustRead(t, root, "m.md")
	if after.Mode != before.Mode || after.Uid != before.Uid || after.Gid != before.Gid {
		t.Errorf("mode/owner %v %d:%d, want %v %d:%d", after.Mode, after.Uid, after.Gid, before.Mode, before.Uid, before.Gid)
	}
	buf := make([]byte, 64)
	n, err := unix.Getxattr(path, "user.scribe-test", buf)
	if err != nil || string(buf[:n]) != "kept" {
		t.Errorf("user xattr after Replace: %q, %v", buf[:max(n, 0)], err)
	}
	if acl {
		got := make([]byte, 256)
		n, err := unix.Getxattr(path, "system.posix_acl_access", got)
		if err != nil || !bytes.Equal(got[:n], aclBlob(0o6, 1234, 0o4, 0o4, 0o0)) {
			t.Errorf("ACL after Replace: %x, %v", got[:max(n, 0)], err)
		}
	}
	t.Logf("kept: mode %v, owner %v (%d:%d), user xattr, ACL %v", after.Mode, owner, after.Uid, after.Gid, acl)
}

// aclBlob encodes a POSIX access ACL as the kernel's xattr format: owner,
// one named user, group, mask and other entries.
func aclBlob(userPerm uint16, uid uint32, groupPerm, maskPerm, otherPerm uint16) []byte {
	const undefined = 0xffffffff
	b := binary.LittleEndian.AppendUint32(nil, 2) // version
	entry := func(tag, perm uint16, id uint32) {
		b = binary.LittleEndian.AppendUint16(b, tag)
		b = binary.LittleEndian.AppendUint16(b, perm)
		b = binary.LittleEndian.AppendUint32(b, id)
	}
	entry(0x01, userPerm, undefined) // ACL_USER_OBJ
	entry(0x02, 0o4, uid)            // ACL_USER
	entry(0x04, groupPerm, undefined)
	entry(0x10, maskPerm, undefined)
	entry(0x20, otherPerm, undefined)
	return b
}

// TestReplaceFallback runs the protocol without renameat2 flags, as on file
// systems that lack them: it still replaces, still detects conflicts, and
// counts the writes.
func TestReplaceFallback(t *testing.T) {
	noRenameFlags.Store(true)
	defer noRenameFlags.Store(false)
	dir, root := newRoot(t)
	path := filepath.Join(dir, "f.md")
	writeFile(t, path, []byte("one\n"), 0o644)
	n0 := FallbackWrites()
	s := mustRead(t, root, "f.md")
	if err := replace(root, "f.md", s, []byte("two\n")); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); string(got) != "two\n" || FallbackWrites() != n0+1 {
		t.Fatalf("content %q, fallback writes %d", got, FallbackWrites()-n0)
	}
	var ce *ConflictError
	if err := replace(root, "f.md", s, []byte("three\n")); !errors.As(err, &ce) {
		t.Fatalf("stale Replace in fallback = %v, want conflict", err)
	}
	if err := Create(root, "new.md", []byte("c\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Create(root, "new.md", []byte("c\n"), 0o644); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("Create over existing in fallback = %v", err)
	}
	if err := Rename(root, "new.md", "f.md"); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("Rename over existing in fallback = %v", err)
	}
	if err := Rename(root, "new.md", "moved.md"); err != nil {
		t.Fatal(err)
	}
	if left := temps(t, dir); len(left) > 0 {
		t.Errorf("temp files left: %v", left)
	}
}

// A name that is not UTF-8 is a name like any other on Linux: it reads,
// replaces and validates; malformed paths are still refused.
func TestNonUTF8Name(t *testing.T) {
	dir, root := newRoot(t)
	rel := "sub\xfe/caf\xe9.md"
	if err := os.Mkdir(filepath.Join(dir, "sub\xfe"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, rel), []byte("old\n"), 0o644)
	s := mustRead(t, root, rel)
	if err := replace(root, rel, s, []byte("new\n")); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(dir, rel)); string(got) != "new\n" {
		t.Fatalf("content = %q", got)
	}
	for rel, want := range map[string]bool{
		"caf\xe9.md": true, "\xff/\xfe": true, "a/b.md": true,
		"": false, ".": false, "..": false, "a/../b": false, "/abs": false, "a//b": false, "a/": false, "a\x00b": false, "\xff/./x": false,
	} {
		if got := ValidRel(rel); got != want {
			t.Errorf("ValidRel(%q) = %v, want %v", rel, got, want)
		}
	}
}

// replace is Replace without the version, for tests that only need the error.
func replace(root *os.Root, rel string, old *Snapshot, content []byte) error {
	_, err := Replace(root, rel, old, content)
	return err
}
