package sandbox

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
)

// ResolveCommand checks a security.commands path when the configuration
// loads and returns the real file to run: the path must be absolute, exist
// and, once symlinks are evaluated, name a regular executable file that
// neither group nor others may write, in a directory that others may not
// write (unless it is sticky). Errors say what is wrong and what to do.
func ResolveCommand(path string) (string, error) {
	if path == "" {
		return "", errors.New("command path is empty; write the program's absolute path, e.g. /usr/bin/prettier")
	}
	if !filepath.IsAbs(path) {
		return "", fmt.Errorf("command path %q is not absolute; a relative name could be shadowed through PATH or the working directory: write the full path (find it with `command -v %s`)", path, filepath.Base(path))
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("command %s does not exist (or a symlink on the way is dangling); install it or fix the path", path)
		}
		return "", fmt.Errorf("resolve command %s: %w", path, err)
	}
	fi, err := os.Lstat(real)
	if err != nil {
		return "", fmt.Errorf("stat command %s: %w", real, err)
	}
	if err := checkBinary(path, real, fi); err != nil {
		return "", err
	}
	dir := filepath.Dir(real)
	di, err := os.Stat(dir)
	if err != nil {
		return "", fmt.Errorf("stat directory of command %s: %w", real, err)
	}
	if di.Mode().Perm()&0o002 != 0 && di.Mode()&fs.ModeSticky == 0 {
		return "", fmt.Errorf("command %s lives in %s, which anyone may write (mode %04o), so anyone could replace it; move the program to a protected directory", real, dir, di.Mode().Perm())
	}
	return real, nil
}

// checkBinary reports why fi (the resolved file real, written as path) may not
// be run, or nil. It is shared by ResolveCommand and the check at exec time.
func checkBinary(path, real string, fi fs.FileInfo) error {
	name := path
	if real != path {
		name = fmt.Sprintf("%s (resolved to %s)", path, real)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("command %s is not a regular file (%s); point security.commands at the program itself", name, fi.Mode().Type())
	}
	if fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("command %s is not executable (mode %04o); chmod +x it or fix the path", name, fi.Mode().Perm())
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("command %s is writable by group or others (mode %04o), so they could change what Scribe runs; run `chmod go-w %s`", name, fi.Mode().Perm(), real)
	}
	return nil
}

// identity is what a file's metadata says about its version. The kernel
// sets ctime on every change to the file (content, mode, owner, times) and
// no one can set it back, so a rewrite with the size and mtime put back still
// shows.
type identity struct {
	dev, ino uint64
	mode     fs.FileMode
	uid      uint32
	size     int64
	mtimeNs  int64
	ctimeNs  int64
}

func identityOf(fi fs.FileInfo) identity {
	id := identity{mode: fi.Mode(), size: fi.Size(), mtimeNs: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		id.dev, id.ino, id.uid = uint64(st.Dev), st.Ino, st.Uid
		id.ctimeNs = st.Ctim.Nano()
	}
	return id
}

// hashes remembers the content hash of each binary by path, with the
// identity it was computed at: the hash is recomputed only when the
// identity moved, so a Runner built on every reload does not re-read large
// binaries, and a check at exec time costs one stat.
var hashes = struct {
	sync.Mutex
	m map[string]hashed
}{m: map[string]hashed{}}

type hashed struct {
	id  identity
	sum [sha256.Size]byte
}

// contentHash returns the SHA-256 of the file at path and the identity of
// exactly the bytes it read (from the open file, not the path). A symlink
// is refused.
func contentHash(path string) (identity, [sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return identity{}, sum, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return identity{}, sum, err
	}
	id := identityOf(fi)
	hashes.Lock()
	h, ok := hashes.m[path]
	hashes.Unlock()
	if ok && h.id == id {
		return id, h.sum, nil
	}
	d := sha256.New()
	if _, err := io.Copy(d, f); err != nil {
		return identity{}, sum, fmt.Errorf("read %s: %w", path, err)
	}
	d.Sum(sum[:0])
	if after, err := f.Stat(); err != nil || identityOf(after) != id {
		return identity{}, sum, fmt.Errorf("%s changed while it was read", path)
	}
	hashes.Lock()
	hashes.m[path] = hashed{id: id, sum: sum}
	hashes.Unlock()
	return id, sum, nil
}

// describeChange names what differs between the recorded and current identity,
// for the refusal message.
func describeChange(was, now identity) string {
	switch {
	case was.dev != now.dev || was.ino != now.ino:
		return "it was replaced by another file"
	case was.mode != now.mode:
		return fmt.Sprintf("its mode changed from %v to %v", was.mode, now.mode)
	case was.uid != now.uid:
		return fmt.Sprintf("its owner changed from uid %d to %d", was.uid, now.uid)
	default:
		return "it was modified in place (its content differs)"
	}
}
