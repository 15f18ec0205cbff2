// Package pathmap holds a map from slash-separated relative paths to values,
// grouped by directory: each directory's name is stored once for all its
// files and each file's key is its name alone, in memory of its own. The
// daemon keeps three such maps per tree (what its watcher saw, what its file
// index records, which files wait in the bulk queue); for a million files,
// grouping saves a hundred megabytes or so against maps of whole paths.
//
// A Map is not safe for concurrent use: its owner locks around it.
package pathmap
