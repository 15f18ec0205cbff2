// Package engine runs rules on files: it reads a file safely, decides which
// rules apply, runs their actions in order, and writes the result back once,
// atomically, with a compare-and-swap check so that a user's edit made while the
// rules ran is never overwritten (the rules are redone on the user's version).
//
// # Ports
//
// Actions reach other files, commands and the bus only through the action.Host
// the engine builds for each call: Docs (read other documents of the root),
// Writer (safe writes of other files, or recorded changes in a dry run),
// Commands and Publisher. This is where permissions are enforced. The Writer
// refuses writes and renames into .git, .hg, .svn (at any depth, in any case)
// and the state directory, also through a symlinked directory inside the root
// (ErrProtected): a misconfigured output cannot corrupt a repository or the
// journal. A Writer's rename that takes the file being processed elsewhere
// (naming, in fix mode, writes it under its new name with what it made of
// the content) first checks that the file is still as the engine read it,
// and ReplaceFile (action.Replacer) writes another file only if it still
// holds what the action read of it. If not (an edit, or another file's
// rename rewriting its links), they refuse with a *safefile.ConflictError,
// the action undoes what it did, and the engine redoes the file.
//
// # Journal
//
// Every write, a file's own or an action's to another file, is reported once
// it is on disk to Options.Wrote; JournalWrites records it in the journal
// (the daemon with no run id, `scribe run` with its own). Options.Undone,
// fed by JournalUndone from the journal's undo marks, names the rules that
// must leave a file's current content alone because the user undid their
// write to it: they run as in a check, reporting findings but changing
// nothing.
//
// # Explain
//
// Explain answers "why did (or didn't) my rule run on this file?": it runs
// ProcessChange on a dry copy of the engine with an explainTrace attached
// to the Change, and it records each decision where the engine makes it
// (the rule's globs, regex, condition and the values it read, each action's
// result, git's view, undone rules), so the explanation cannot drift from
// what the engine does. Without one (every other caller) the hooks are
// nil checks.
//
// # Traces
//
// With Options.Tracer set, ProcessChange makes an "engine process" span (a
// child of ctx's), with a child per action called ("action NAME"), the
// write and its journal entry; what an action logs carries the trace ids.
// Without one it starts no span.
//
// # Concurrency
//
// Process may be called from many goroutines at once, but never twice at once
// for the same file: the caller (Run here, the daemon's workers) guarantees it.
// Run reads and matches files on max(Options.Workers, GOMAXPROCS) goroutines
// (reading a warm tree is CPU work: system calls), and bounds the files whose
// actions run at once by Options.Workers. Each action call runs under its
// deadline via action.Call, so a stuck action never blocks a worker past it.
//
// # One-shot reads
//
// A dry run reads every file through one safefile.Dir per directory, and a
// file its listing showed as regular with safefile.Dir.ReadListed: four
// system calls, a pooled buffer given back when no action saw the content,
// no hash unless the file changes or an undo mark names it. A writing run
// reads each file with safefile.Read (every check, a hash for the
// compare-and-swap). Files no rule selects by path are never read; a rule's
// condition is evaluated on the front-matter keys it reads
// (markdown.ParseFields), actions get the whole front matter.
package engine
