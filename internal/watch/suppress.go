package watch

import (
	"time"

	"github.com/scribe-md/scribe/internal/safefile"
	"github.com/scribe-md/scribe/internal/scan"
)

// maxHashSize bounds how much of a file is hashed to compare it with an own
// write; a larger file cannot be one (the engine refuses files this big long
// before) and is reported.
const maxHashSize = 256 << 20

// sweepAbove is the smallest table size at which Suppress drops expired
// entries.
const sweepAbove = 256

// suppression is an armed own-write suppression.
type suppression struct {
	hash  [32]byte
	until time.Time
}

// Suppress tells the watcher that the engine itself is about to write rel
// (slash-separated, relative to the root) with content whose SHA-256 is hash.
// Until the entry expires (10 s), a change of rel whose on-disk content
// hashes to hash is not reported, so the engine's own writes do not trigger
// rules again; a change with any other content (a user's edit) is. A second
// call for rel replaces the first. Safe to call at any time, before Run too.
func (w *Watcher) Suppress(rel string, hash [32]byte) {
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	if n := len(w.suppress); n >= sweepAbove && n >= 2*w.sweptAt {
		for k, s := range w.suppress {
			if !now.Before(s.until) {
				delete(w.suppress, k)
			}
		}
		// Sweep again only once the table doubled: amortized O(1) per call.
		w.sweptAt = len(w.suppress)
	}
	w.suppress[rel] = suppression{hash: hash, until: now.Add(suppressTTL)}
}

// probeOwn is probe for a path with an armed suppression (armed), by one
// open that also hashes the content: it returns the path's state, whether
// its content hashes to hash, and false when it could not tell (not armed,
// not a candidate, a link, not a regular file, an error), for probe to
// decide.
func (w *Watcher) probeOwn(f *scan.Filter, rel string, armed bool, hash [32]byte) (st state, own, ok bool) {
	if !armed || !candidate(f, rel) {
		return state{}, false, false
	}
	h, fi, err := safefile.Hash(w.root, rel, maxHashSize)
	if err != nil {
		return state{}, false, false
	}
	v := safefile.VersionOf(fi)
	return state{doc: true, v: v, fp: fingerprintOf(v, false, time.Now())}, h == hash, true
}
