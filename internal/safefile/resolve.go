package safefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// maxHops is how many symbolic links Resolve follows, as Linux's MAXSYMLINKS.
const maxHops = 40

// Resolve follows symlinks inside the root (at most 40) and returns the
// relative path of the real file. A link that is absolute, or whose target
// climbs above the root, fails with ErrSymlinkEscape; a link to nothing with
// ErrDanglingLink; a cycle with ErrLinkLoop. A path with no links resolves to
// itself, and a missing one returns an error wrapping fs.ErrNotExist.
//
// Absolute targets are refused even when they happen to point into the root,
// as os.Root does: the root's own absolute name is not reliably known.
func Resolve(root *os.Root, rel string) (string, error) {
	if err := checkRel(rel); err != nil {
		return "", err
	}
	var done []string // components resolved so far; all real directories
	todo := strings.Split(rel, "/")
	hops := 0
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(done) == 0 {
				return "", fmt.Errorf("resolve %s: %w", rel, ErrSymlinkEscape)
			}
			done = done[:len(done)-1]
			continue
		}
		p := path.Join(append(done, c)...)
		fi, err := root.Lstat(p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && hops > 0 {
				return "", fmt.Errorf("resolve %s: %s: %w", rel, p, ErrDanglingLink)
			}
			return "", fmt.Errorf("resolve %s: %w", rel, err)
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			if len(todo) > 0 && !fi.IsDir() {
				return "", fmt.Errorf("resolve %s: %w", rel, &fs.PathError{Op: "resolve", Path: p, Err: unix.ENOTDIR})
			}
			done = append(done, c)
			continue
		}
		if hops++; hops > maxHops {
			return "", fmt.Errorf("resolve %s: %w", rel, ErrLinkLoop)
		}
		target, err := root.Readlink(p)
		if err != nil {
			return "", fmt.Errorf("resolve %s: %w", rel, err)
		}
		if target == "" || path.IsAbs(target) {
			return "", fmt.Errorf("resolve %s: %s -> %s: %w", rel, p, target, ErrSymlinkEscape)
		}
		todo = append(strings.Split(target, "/"), todo...)
	}
	if len(done) == 0 {
		return ".", nil
	}
	return path.Join(done...), nil
}
