package safefile

import (
	"errors"
	"fmt"
)

// Reasons a file is skipped. They are stable strings: the engine reports them
// as findings and tests match on them.
const (
	ReasonSymlink     = "symlink"
	ReasonNotRegular  = "not a regular file"
	ReasonTooLarge    = "too large"
	ReasonBinary      = "binary"
	ReasonUTF16       = "UTF-16 text"
	ReasonInvalidUTF8 = "invalid UTF-8"
	ReasonHardLinked  = "hard-linked"
)

// Sentinel errors. Callers match them with errors.Is.
var (
	// ErrUnstable means the file kept changing while it was read.
	ErrUnstable = errors.New("file kept changing while it was read; retry after it settles")
	// ErrReadOnly means the target has no owner write bit; the user asked for
	// it to be left alone, so it is.
	ErrReadOnly = errors.New("file is read-only (no owner write bit); make it writable to let rules change it")
	// ErrHardLinked means the target has more than one name; replacing it
	// would split the link, so it is refused.
	ErrHardLinked = errors.New("file is hard-linked (more than one name); rewriting it would split the link")
	// ErrForeignOwner means the target's owner or group could not be kept on
	// the new file (fchown not permitted), so it is refused.
	ErrForeignOwner = errors.New("file belongs to another user or group that this process cannot give the new file; run as its owner")
	// ErrXattr means an extended attribute or ACL of the target could not be
	// copied to the new file, so it is refused.
	ErrXattr = errors.New("extended attributes or ACL cannot be copied to the new file")
	// ErrBusy means another process holds the target open for writing; a
	// rewrite now could lose what it is about to write. Retry later.
	ErrBusy = errors.New("file is open for writing by another process; retry later")
	// ErrInvalidPath means a path argument is not a clean relative path.
	ErrInvalidPath = errors.New("invalid path")
	// ErrSymlinkEscape means a symbolic link points outside the root (or is absolute).
	ErrSymlinkEscape = errors.New("symbolic link points outside the root")
	// ErrDanglingLink means a symbolic link points to nothing.
	ErrDanglingLink = errors.New("symbolic link points to a file that does not exist")
	// ErrLinkLoop means more than 40 symbolic links were followed.
	ErrLinkLoop = errors.New("too many levels of symbolic links")
)

// SkipError reports a file that must be skipped with a finding rather than
// processed: a symlink, a special file, a file that is too large, binary or
// hard-linked.
type SkipError struct {
	Path   string // relative path, as passed in
	Reason string // one of the Reason constants
	Detail string // human detail, e.g. "named pipe" or "NUL byte at offset 12"
}

// Error implements error.
func (e *SkipError) Error() string {
	if e.Detail == "" {
		return fmt.Sprintf("skip %s: %s", e.Path, e.Reason)
	}
	return fmt.Sprintf("skip %s: %s (%s)", e.Path, e.Reason, e.Detail)
}

// IsSkip reports whether err is, or wraps, a *SkipError.
func IsSkip(err error) bool {
	var s *SkipError
	return errors.As(err, &s)
}

// ConflictError reports that Replace found the file changed since the caller
// read it. Nothing of the caller's was written; the user's version is on disk.
type ConflictError struct {
	Path string
	// Current is the file as it is now, so the caller can redo its work. It
	// is nil if the file is gone or can no longer be read as text; call Read
	// to learn why.
	Current *Snapshot
}

// Error implements error.
func (e *ConflictError) Error() string {
	return fmt.Sprintf("%s changed on disk since it was read; redo the change on the current version", e.Path)
}
