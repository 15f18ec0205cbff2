// Package scan walks Scribe's roots and decides which paths are documents.
//
// A Filter combines the configuration's include and exclude doublestar globs
// with the ignore files of the tree (.gitignore and .scribeignore, git's
// syntax and semantics at any depth), and always excludes .git and the state
// directory. Walk lists a root in parallel through an os.Root, reading the
// kernel's directory records (getdents: the type from d_type, an lstat only
// where the file system gives none) at one allocation per entry, its path;
// List is Walk collected and sorted.
//
// # Usage
//
//	f, err := scan.NewFilter(rootDir, cfg.Include, cfg.Exclude, cfg.Engine.StateDir)
//	if err != nil { ... }            // a bad glob, named in the error
//	root, err := os.OpenRoot(rootDir)
//	if err != nil { ... }
//	defer root.Close()
//	entries, unreadable, err := scan.List(ctx, root, f, 4)
//
// A daemon asks f.Included(rel) for each event path and f.ExcludedDir(rel)
// before it watches a directory, and builds a new Filter when an ignore file
// changes (see IsIgnoreFile): a Filter caches what it read.
//
// f.Explain(rel) says why a path is not a document (nil when it is one):
// the include globs, an exclude glob, the ignore file and line (as `git
// check-ignore -v` names them), .git, the state directory, or a directory
// on the way that is a symbolic link. It decides through the same code as
// Included and the walk, so it never disagrees with them.
//
// # Glob semantics
//
// Globs match the slash-separated path relative to the root, with
// doublestar's rules: `*` and `?` never cross a slash, so `*.md` matches only
// files at the top of the root; write `**/*.md` for every level. An exclude
// glob that matches a directory prunes it. Ignore-file patterns follow git:
// a pattern without an inner slash matches a name at any depth below its
// file's directory, a leading or inner slash anchors it there, a trailing
// slash matches directories only, `!` re-includes, and nothing below an
// excluded directory can be re-included.
//
// # Safety
//
// Walk never follows a symbolic link (a link is an entry, never a directory
// to enter), opens directories with O_DIRECTORY and never opens other files
// except ignore files (non-blocking, regular files only), so FIFOs, devices,
// link loops and links that point outside the root cannot hang it or lead it
// outside. An ignore file that cannot be read excludes its directory (fail
// closed) and is reported.
//
// # Concurrency
//
// A Filter is safe for concurrent use; its per-directory cache is guarded by
// a mutex and filled lazily. Walk starts its workers and waits for all of them
// before it returns; it calls fn and onErr from those workers concurrently. A
// failing fn or a cancelled context stops the walk: each worker notices within
// a few hundred entries of the directory it is reading, queued directories are
// dropped, and all workers exit before Walk returns.
//
// A directory that can be listed but not entered (read without search
// permission) still yields its entries: the names are true, and opening them
// fails later where the engine reports it per file.
package scan
