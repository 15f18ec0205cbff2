// Package bareloop is the baseline of the daemon benchmarks: the least a
// program can do to turn "TODO: x" lines into "- [ ] x" tasks durably as files
// change, so that Scribe's figures sit next to what the machine allows.
//
// The loop watches every directory of a tree with inotify (IN_CLOSE_WRITE),
// and for each closed-after-writing Markdown file reads it, applies the same
// regular expression as the benchmark rule and, when the bytes change,
// replaces the file atomically: temporary file in the same directory, fsync,
// rename, and (with Options.DirSync) an fsync of the directory, as Scribe
// does. It has no settle time, no queue on disk, no journal, no index, no
// lock per path and no compare-and-swap: what it measures is inotify, the
// regex and the file system.
//
// Notify, the small inotify reader the loop uses, is exported because the
// benchmark harness observes rewrites with it too.
//
// # Usage
//
//	ready := make(chan struct{})
//	go bareloop.Run(ctx, bareloop.Options{Dir: tree, Workers: 4, DirSync: true}, ready)
//	<-ready // every directory is watched
//
// # Concurrency
//
// Run starts one reader goroutine and Options.Workers rewriting goroutines
// and waits for all of them before it returns. Two workers may take the same
// path if it is saved twice quickly; the benchmarks never do that. Directories
// created after Run started are not watched.
//
// Linux only.
package bareloop
