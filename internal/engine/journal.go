package engine

import (
	"log/slog"
	"strings"

	"github.com/scribe-md/scribe/internal/journal"
)

// JournalWrites returns an Options.Wrote that records every content write in
// j, with run as its run id ("" for the daemon's writes), so that `scribe
// undo` can restore it. Renames are not recorded: the journal keeps
// contents, and undoing half of a rename would leave a copy or lose the file.
func JournalWrites(j *journal.Journal, run string) func(*Root, *Result) error {
	return func(root *Root, res *Result) error {
		if res.RenamedTo != "" {
			return nil
		}
		rule := strings.Join(res.ChangedBy, ",")
		if rule == "" {
			rule = res.Via
		}
		_, err := j.Record(journal.Entry{
			Root: root.Dir, Path: res.Path, Rule: rule, Via: res.Via, Run: run,
			BeforeHash: res.BeforeHash, AfterHash: res.AfterHash,
		}, res.Before)
		return err
	}
}

// JournalUndone returns an Options.Undone that reads the marks `scribe undo`
// leaves in j. A journal that cannot be read holds nothing (the rules run)
// and is logged.
func JournalUndone(j *journal.Journal, log *slog.Logger) func(*Root, string, string) []string {
	return func(root *Root, rel, hash string) []string {
		rules, err := j.UndoneRules(root.Dir, rel, hash)
		if err != nil {
			log.Error("read the marks of undone writes; the rules run", "path", rel, "err", err)
		}
		return rules
	}
}
