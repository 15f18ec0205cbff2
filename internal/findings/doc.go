// Package findings keeps the daemon's current findings: for every file it
// processed, what its rules reported the last time (broken links, schema
// violations, naming, skipped files). Processing a file again replaces its
// findings; removing the file removes them. Set tells the caller which
// findings are new, so that the daemon logs each once per file version
// rather than at every reprocess.
//
// Memory is bounded: at most Limits.PerFile findings are kept per file and
// Limits.Total in all; past either, findings are counted (by rule and
// severity) but not kept, and a Page says so (Omitted, Capped). Messages are
// cut at MaxMessage bytes.
//
// The store is saved to a file in the state directory (Save, atomically,
// only when it changed) and loaded at start (Load), so that findings of
// files that do not change across a restart are still known.
//
// # Usage
//
//	s := findings.New(findings.Limits{})
//	added, gone := s.Set(rootDir, "notes/a.md", res.Findings)
//	page := s.Query(findings.Query{Rule: "links", Limit: 50})
//	counts := s.Counts() // by rule and severity, for metrics
//
// # Concurrency
//
// A Store is safe for concurrent use; Save may run while workers call Set.
package findings
