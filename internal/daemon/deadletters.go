package daemon

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/scribe-md/scribe/internal/bus"
)

// DeadLetterGroup is the dead letters of one rule that failed with one
// error: a first start can make thousands, most for one cause.
type DeadLetterGroup struct {
	// Rule is the rule that failed ("" for a failure of the whole file, or
	// an event never acknowledged).
	Rule string `json:"rule"`
	// Error is the error, with the file's own path replaced by "<file>"
	// so that one cause is one group.
	Error string `json:"error"`
	// Count is how many files failed so.
	Count int `json:"count"`
	// Paths are a few of the files (the newest first).
	Paths []string `json:"paths"`
	// Latest is when the newest of them became a dead letter.
	Latest time.Time `json:"latest"`
}

// DeadLetterList is the answer of GET /api/v1/deadletters and the dead
// letters of the status document.
type DeadLetterList struct {
	// Count is how many dead letters there are (one per file at most).
	Count int `json:"count"`
	// Groups are the dead letters by rule and error, largest first.
	Groups []DeadLetterGroup `json:"groups"`
	// DeadLetters are the newest of them, oldest first, at most the limit.
	DeadLetters []bus.DeadLetter `json:"dead_letters"`
}

// groupSample is how many paths a group lists.
const groupSample = 3

// statusDeadLetters is how many dead letters the status document lists one
// by one; the groups count them all.
const statusDeadLetters = 100

// listDeadLetters lists the dead letters of rule (all when rule is "" and
// anyRule), grouped, with the newest limit of them one by one.
func (d *Daemon) listDeadLetters(ctx context.Context, rule string, anyRule bool, limit int) (DeadLetterList, error) {
	all, err := d.deadLetters(ctx)
	if err != nil {
		return DeadLetterList{Groups: []DeadLetterGroup{}, DeadLetters: []bus.DeadLetter{}}, err
	}
	if !anyRule {
		all = slices.DeleteFunc(all, func(dl bus.DeadLetter) bool { return dl.Rule != rule })
	}
	return groupDeadLetters(all, limit), nil
}

func groupDeadLetters(all []bus.DeadLetter, limit int) DeadLetterList {
	out := DeadLetterList{Count: len(all), Groups: []DeadLetterGroup{}}
	idx := map[[2]string]int{}
	for i := len(all) - 1; i >= 0; i-- { // newest first
		dl := all[i]
		msg := dl.Error
		if dl.Event.Path != "" {
			msg = strings.ReplaceAll(msg, dl.Event.Path, "<file>")
		}
		k := [2]string{dl.Rule, msg}
		g, ok := idx[k]
		if !ok {
			g = len(out.Groups)
			idx[k] = g
			out.Groups = append(out.Groups, DeadLetterGroup{Rule: dl.Rule, Error: msg, Paths: []string{}, Latest: dl.Time})
		}
		out.Groups[g].Count++
		if len(out.Groups[g].Paths) < groupSample {
			out.Groups[g].Paths = append(out.Groups[g].Paths, dl.Event.Path)
		}
	}
	slices.SortStableFunc(out.Groups, func(a, b DeadLetterGroup) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Rule, b.Rule))
	})
	out.DeadLetters = all[max(len(all)-limit, 0):]
	if out.DeadLetters == nil {
		out.DeadLetters = []bus.DeadLetter{}
	}
	return out
}

// retryDeadLetters requeues the dead letters of rule, or all of them.
func (d *Daemon) retryDeadLetters(ctx context.Context, rule string, all bool) (int, error) {
	n, err := d.bus.RetryDeadLetters(ctx, func(dl bus.DeadLetter) bool { return all || dl.Rule == rule })
	if n > 0 {
		what := "all"
		if !all {
			what = "rule " + rule
		}
		d.log.Info("dead letters requeued", "which", what, "count", n)
	}
	return n, err
}
