// Package journal keeps the history of the engine's own writes and undoes
// them.
//
// Every write the engine makes is recorded as an Entry: when, in which root
// and file, by which rule (and action, for a write to another file), in
// which `scribe run` (none for the daemon's), the sha256 of the file before
// and after, and the content it replaced. The store is a single bbolt file under state_dir.
// Replaced content is kept compressed (S2; zstd in journals written before
// it, which are still read) and content-addressed by its hash, so a file that is rewritten back and forth, or many files with the
// same content, cost one copy. Retention (age, entry count and stored bytes)
// is applied by Prune, which the daemon calls on a timer.
//
// # Usage
//
//	j, err := journal.Open(filepath.Join(stateDir, "journal.db"), journal.Retention{})
//	if errors.Is(err, journal.ErrLocked) { /* another scribe holds it */ }
//	defer j.Close()
//	id, err := j.Record(journal.Entry{Root: rootDir, Path: "notes/a.md", Rule: "touch-updated",
//		BeforeHash: journal.Hash(old), AfterHash: journal.Hash(new)}, old)
//	entries, err := j.List(rootDir, "notes/a.md", 20)
//	run, err := j.ListRun("20260315T142501.123456Z") // one `scribe run`, newest first
//	held, err := j.UndoneRules(rootDir, "notes/a.md", journal.Hash(content))
//	undo, err := j.Undo(root, id, false) // root: os.OpenRoot(rootDir)
//	var ce *journal.ChangedError // errors.Is(err, journal.ErrChanged)
//	removed, err := j.Prune(time.Now()) // on a timer
//
// The CLI opens the journal with OpenReadOnly for history. While the daemon
// runs it holds the file exclusively, OpenReadOnly fails fast with ErrLocked,
// and the CLI should go through the daemon's HTTP API instead.
//
// # What an entry means
//
// BeforeHash "" means the write created the file; AfterHash "" means the
// write removed it (the old name of a rename, for example: record a rename
// as two entries, one per name). Undo restores the state before the write:
// the old content, written with a compare-and-swap through internal/safefile,
// a file that did not exist is removed again, and a removed file is created
// again (mode 0644). Undo refuses with ErrChanged when the file no longer has
// the content the write left (AfterHash), because a later edit would be lost;
// force overrides that, and even then the content being replaced is first
// journaled, so nothing is ever lost: an undo is itself an Entry with Rule
// "undo" (and Undoes set) and can be undone. That entry is written before the
// file; if the write then fails it is removed again, and if the process dies
// in between, history shows an undo whose AfterHash the file does not have,
// which is refused if undone (harmless when forced: it restores what is
// there).
//
// # Undone writes stay undone
//
// An undo also marks the file, in the same commit as its entry (see Undone):
// the hash of the restored content and the rules whose write it undid.
// UndoneRules gives those rules to the engine while the file has that
// content, so they do not redo the write; once the file has another content
// (an edit) the mark is spent and dropped. Undoing an undo removes the mark.
// A mark left by an undo whose write failed, or never happened, is inert: the
// file does not have the restored content.
//
// Removing a created file goes through a rename to a visible name
// (".scribe-undo-ID-NAME") and a hash check before the unlink, so a save
// that lands during the undo is put back rather than deleted; after a crash in
// between, that file is what remains of it.
//
// # Storage
//
// Buckets: "entries" maps the big-endian ID (bbolt NextSequence, so IDs only
// grow, even across pruning) to the encoded entry; "bypath" indexes
// root NUL path NUL ID for per-file history; "undone" maps root NUL path NUL
// to the file's undo mark; "content" maps a blob's number (its own bbolt
// sequence, so new content goes at the end of the tree, in full pages) to a
// codec byte and the content; "refs" maps the content's sha256 to the
// number of entries that use the blob, so Prune drops a blob with its last
// entry, the content's size and the blob's number; "meta" holds the format
// version and running totals. Format 1 stored content under its sha256 in
// "blobs", and its references had no number: a writer's open turns such a
// journal into format 2, and its old content stays where it is, read and
// pruned as before (see formatVersion).
//
// Record does not write the store itself: it appends the entry, with its
// compressed content, to a log beside it (journal.db-log.N segment files)
// and returns once the log is fsynced. A lone Record appends at once, and
// Records that arrive meanwhile share the next write and fsync (no timer).
// Every 1,024 entries or 4 MiB the log rotates to a new segment and the
// entries are copied into the store, 256 to a transaction, in the
// background; the segment is deleted once they are all committed. Reads of
// entries (Get, List, ListRun, Stats) and Prune first copy whatever the log
// holds, so they see every Record that returned; an undo and its mark are
// written to the store directly, after the log. Close does not copy: an open
// takes up what the last process left, closed or crashed, as entries still
// to copy: every whole frame (length, payload, CRC-32C) whose ID is above
// the store's last one, up to the first torn frame of each segment (new IDs
// start past any the bytes after it could have held); past eight segments or
// a copy's worth of entries left, it copies them at once. A Prune with
// nothing to remove copies nothing. A copy that fails leaves the entries in
// the log and is tried again 1,024 entries later; an entry the store refuses
// alone while others go in (damage where it goes) is dropped, and the read
// that copied it says so. OpenReadOnly, when no writer holds the journal and
// a log is left, opens it for writing once to copy it. See log.go for why.
//
// Get verifies the content against its hash, so a damaged store is
// reported, never restored. bbolt reads the file through a memory mapping,
// whose pages stay in the process's resident set once touched;
// ReleaseMemory unmaps them (they stay in the page cache). The journal does
// so after every copy of the log, and the daemon when a backlog drains.
//
// # Concurrency
//
// A Journal is safe for concurrent use. Records append to the log
// together; the Record whose entry fills a segment copies the log into the
// store after its own entry is durable, in its own goroutine, while the
// others append to the next segment. bbolt serialises the store's writers
// (that copy, Prune in batches of a few hundred entries, Undo) and lets
// readers run alongside. Only one process may open the file read-write;
// read-only opens share it with each other but not with a writer (flock,
// which also holds between two opens in one process). Close waits for
// running transactions; no goroutine outlives it. The engine should record
// each write after safefile has made it, and must not treat the file events
// of an Undo as user changes (the daemon's own-write suppression).
package journal
