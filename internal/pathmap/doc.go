// Package pathmap holds a map from slash-separated relative paths to 64-bit
// values (stamps, fingerprints), grouped by directory: each directory's name
// is stored once for all its files, and the names of a directory and their
// values are packed in one byte slice with an open-addressing index beside
// it, so that a path costs no allocation and no pointer of its own. The
// daemon keeps three such maps per tree (what its watcher saw, what its file
// index records, which files wait in the bulk queue); for a million files,
// grouping saves a hundred megabytes or so against maps of whole paths, and
// packing a quarter of what is left against Go maps of names.
//
// A Map is not safe for concurrent use: its owner locks around it.
package pathmap
