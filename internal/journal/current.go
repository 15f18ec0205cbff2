package journal

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/scribe-md/scribe/internal/safefile"
)

// readCurrent reads rel as it is now, for a compare-and-swap. It returns nil
// and no error if the file does not exist. Any content is read (undo must
// restore binary, UTF-16 or invalid UTF-8 bytes too); symlinks, special files,
// hard-linked files and files over maxContent are refused.
func readCurrent(root *os.Root, rel string) (*safefile.Snapshot, error) {
	s, err := safefile.ReadRaw(root, rel, maxContent)
	if err == nil {
		return s, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	var skip *safefile.SkipError
	if errors.As(err, &skip) {
		return nil, fmt.Errorf("%s is now a %s, not a file undo can restore: %w", rel, skip.Reason, err)
	}
	return nil, err
}
