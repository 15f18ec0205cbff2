package journal

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// noise returns n incompressible bytes, different for each seed, so each
// stores as n+1 bytes.
func noise(seed uint64, n int) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16), 7}).Read(b)
	return b
}

func TestPruneByAge(t *testing.T) {
	j := fast(openTest(t, Retention{MaxAge: 48 * time.Hour, MaxEntries: -1, MaxBytes: -1}))
	shared := []byte("shared content\n")
	var all []uint64
	for day := range 10 {
		content := noise(uint64(day), 100)
		if day%3 == 0 {
			content = shared // days 0, 3, 6, 9 share one blob
		}
		all = append(all, rec(t, j, "/r", fmt.Sprintf("d%d.md", day), "r", content, []byte("x"), epoch.Add(time.Duration(day)*24*time.Hour)))
	}
	now := epoch.Add(9*24*time.Hour + time.Hour) // day 9, 1 hour in
	removed, err := j.Prune(now)
	if err != nil {
		t.Fatal(err)
	}
	// Kept: newer than day 7 + 1h, that is days 8 and 9.
	if removed != 8 {
		t.Errorf("removed %d, want 8", removed)
	}
	es, _ := j.List("", "", 0)
	if want := []uint64{all[9], all[8]}; !slices.Equal(ids(es), want) {
		t.Fatalf("kept %v, want %v", ids(es), want)
	}
	s, _ := j.Stats()
	if s.Entries != 2 || s.Blobs != 2 {
		t.Errorf("stats %+v; want 2 entries and 2 blobs (the shared one is still used by day 9)", s)
	}
	if _, c, err := j.Get(all[9]); err != nil || string(c) != string(shared) {
		t.Errorf("Get(day 9) = %q, %v", c, err)
	}
	if _, _, err := j.Get(all[0]); err == nil {
		t.Errorf("Get(pruned) succeeded")
	}
	// Pruning again is a no-op.
	if removed, err := j.Prune(now); removed != 0 || err != nil {
		t.Errorf("second Prune = %d, %v", removed, err)
	}
	// The shared blob goes with its last entry.
	if _, err := j.Prune(now.Add(30 * 24 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	if s, _ := j.Stats(); s != (Stats{FileBytes: s.FileBytes}) {
		t.Errorf("after pruning everything: %+v, want zero totals", s)
	}
}

func TestPruneByCount(t *testing.T) {
	// More than one prune batch, to cover the loop over transactions.
	defer func(n int) { pruneBatch = n }(pruneBatch)
	pruneBatch = 64
	const n, keep = 2*64 + 70, 50
	j := fast(openTest(t, Retention{MaxEntries: keep, MaxAge: -1, MaxBytes: -1}))
	var all []uint64
	for i := range n {
		all = append(all, rec(t, j, "/r", "a.md", "r", fmt.Appendf(nil, "v%d", i%100), []byte("x"), epoch))
	}
	removed, err := j.Prune(epoch)
	if err != nil {
		t.Fatal(err)
	}
	if removed != n-keep {
		t.Errorf("removed %d, want %d", removed, n-keep)
	}
	es, _ := j.List("/r", "a.md", 0)
	want := slices.Clone(all[n-keep:])
	slices.Reverse(want)
	if !slices.Equal(ids(es), want) {
		t.Fatalf("kept %d entries %v..., want the newest %d", len(es), ids(es)[:min(3, len(es))], keep)
	}
	if s, _ := j.Stats(); s.Entries != keep || s.Blobs != keep {
		t.Errorf("stats %+v; want %d entries and blobs", s, keep)
	}
}

func TestPruneByBytes(t *testing.T) {
	const size = 1000 // stored as size+1
	j := fast(openTest(t, Retention{MaxBytes: 4*(size+1) + 500, MaxAge: -1, MaxEntries: -1}))
	var all []uint64
	for i := range 10 {
		all = append(all, rec(t, j, "/r", "a.md", "r", noise(uint64(i), size), []byte("x"), epoch))
	}
	// An entry whose content is already stored costs nothing, so it does
	// not push others out.
	dup := rec(t, j, "/r", "b.md", "r", noise(9, size), []byte("x"), epoch)
	removed, err := j.Prune(epoch)
	if err != nil {
		t.Fatal(err)
	}
	if removed != 6 {
		t.Errorf("removed %d, want 6", removed)
	}
	es, _ := j.List("", "", 0)
	if want := []uint64{dup, all[9], all[8], all[7], all[6]}; !slices.Equal(ids(es), want) {
		t.Fatalf("kept %v, want %v", ids(es), want)
	}
	if s, _ := j.Stats(); s.StoredBytes != 4*(size+1) || s.Blobs != 4 {
		t.Errorf("stats %+v; want 4 blobs, %d bytes", s, 4*(size+1))
	}
}

func TestRetentionDefaults(t *testing.T) {
	got := Retention{MaxEntries: -1, MaxBytes: 10}.normalize()
	want := Retention{MaxAge: DefaultRetention.MaxAge, MaxEntries: 0, MaxBytes: 10}
	if got != want {
		t.Fatalf("normalize = %+v, want %+v", got, want)
	}
}

func TestPruneAlongsideRecord(t *testing.T) {
	j := fast(openTest(t, Retention{MaxEntries: 20, MaxAge: -1, MaxBytes: -1}))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 150 {
			rec(t, j, "/r", "a.md", "r", fmt.Appendf(nil, "v%d", i%40), []byte("x"), time.Time{})
		}
	}()
	for pruning := true; pruning; {
		select {
		case <-done:
			pruning = false
		default:
		}
		if _, err := j.Prune(time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	s, _ := j.Stats()
	es, _ := j.List("", "", 0)
	if s.Entries != 20 || len(es) != 20 {
		t.Fatalf("stats %+v, %d listed; want 20 entries", s, len(es))
	}
	used := map[string]bool{}
	for _, e := range es {
		used[e.BeforeHash] = true
		if _, _, err := j.Get(e.ID); err != nil {
			t.Fatal(err)
		}
	}
	if s.Blobs != len(used) {
		t.Errorf("%d blobs stored, %d used: the reference counts drifted", s.Blobs, len(used))
	}
}
