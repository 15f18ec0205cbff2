// Package vcs tells Scribe what git is doing to a work tree, so that the
// daemon never fights it: it holds writes while a git operation runs, and it
// recognises content that arrived through git (equal to its committed
// version) so that rules meant for edits leave it alone.
//
// # What it looks at
//
// Open finds the git work tree that contains a directory (a ".git" directory
// or a ".git" file pointing elsewhere, as in linked worktrees and
// submodules). Nothing is found outside a work tree, and Scribe then behaves
// as before.
//
// An operation is in progress while any of these exist in the git directory:
// index.lock (every command that writes the index or the work tree takes it:
// checkout, switch, reset, pull's merge, stash, commit, add), rebase-merge/
// or rebase-apply/ (rebase, am), MERGE_HEAD (a merge, also one stopped on a
// conflict that the user is resolving), CHERRY_PICK_HEAD, REVERT_HEAD,
// sequencer/ (a series of picks or reverts) or BISECT_LOG (a bisect session).
// Commands that take the lock several times in a row (stash, pull) leave
// short gaps without it, so Busy also stays true for Options.Quiet after the
// git directory last changed.
//
// A Monitor watches the git directory itself (not recursively: the files
// above are direct children) with fsnotify, so an idle repository costs
// nothing: the state is recomputed only when git changes something.
//
// Committed compares content with the file's blob in the index and in HEAD,
// by hashing it the way git does ("blob <size>\x00" + content, SHA-1 or
// SHA-256 after the repository's object format). It asks a long-running `git
// cat-file --batch-check` for the blob ids and restarts it when the git
// directory changes (cat-file reads the index once). Clean filters
// (core.autocrlf, Git LFS) are not applied: a file that git converts on
// checkout never compares equal, so it is treated as edited content.
//
// Git is only ever asked read-only questions (cat-file, diff, ls-files,
// merge-base) with GIT_OPTIONAL_LOCKS=0, so Scribe never takes index.lock
// and a user's git command never fails because of it.
//
// Changed, Staged and Since list the files a one-shot run should look at,
// for `scribe run --changed|--staged|--since REF`.
//
// # Concurrency
//
// A Repo is safe for concurrent use. Monitor.Run owns one goroutine (the
// fsnotify loop) and returns when its context ends; Busy, ActiveAt and
// Committed may be called from any goroutine meanwhile. Close stops the
// cat-file helper process.
package vcs
