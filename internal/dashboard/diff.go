package dashboard

import (
	"context"
	"fmt"

	"github.com/aymanbagabas/go-udiff"

	"github.com/scribe-md/scribe/internal/journal"
)

// Writes gives the dashboard the content of the engine's writes.
type Writes interface {
	// Write returns journal entry id with the content its write replaced
	// and, when still known, the content it left. An unknown id is an
	// error that wraps httpapi.ErrNotFound.
	Write(ctx context.Context, id uint64) (Write, error)
}

// Write is one journaled write and its content.
type Write struct {
	Entry  journal.Entry
	Before []byte
	// After is the content the write left; AfterKnown is false when the
	// journal no longer holds it (the file changed since, and no later
	// write recorded that content as the one it replaced).
	After      []byte
	AfterKnown bool
}

// maxDiffInput bounds the content a diff is computed for: the diff of two
// large files costs time and a page nobody reads.
const maxDiffInput = 4 << 20

// Diff is the document of GET /api/v1/history/{id}/diff.
type Diff struct {
	Entry journal.Entry `json:"entry"`
	// Diff is the unified diff from the content the write replaced to the
	// content it left ("" when Note says why there is none).
	Diff string `json:"diff"`
	// Note says why the diff is missing or incomplete.
	Note string `json:"note,omitempty"`
}

// diffOf returns the unified diff of a write.
func diffOf(w Write) Diff {
	d := Diff{Entry: w.Entry}
	name := w.Entry.Path
	from, to := "a/"+name, "b/"+name
	switch {
	case !w.AfterKnown:
		d.Note = "the file changed after this write, and the journal no longer holds the content the write left, only the content it replaced"
		return d
	case len(w.Before)+len(w.After) > maxDiffInput:
		d.Note = fmt.Sprintf("too large to show: %d bytes before, %d after", len(w.Before), len(w.After))
		return d
	case w.Entry.BeforeHash == "":
		from = "/dev/null" // the write created the file
	case w.Entry.AfterHash == "":
		to = "/dev/null" // the write removed it
	}
	d.Diff = udiff.Unified(from, to, string(w.Before), string(w.After))
	if d.Diff == "" {
		d.Note = "the write left the content as it was"
	}
	return d
}
