//go:build !linux

package watch

import "io/fs"

// statExtra returns zeroes where the inode and ctime are not portable: the
// fingerprint falls back to size and mtime.
func statExtra(fs.FileInfo) (ino uint64, ctime int64) { return 0, 0 }
