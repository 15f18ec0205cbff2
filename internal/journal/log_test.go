package journal

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// recordEnv makes the test binary, re-executed as a child, record entries
// into a journal until it is killed, printing "i id" once entry i is durable.
const recordEnv = "JOURNAL_TEST_RECORD"

func recordForever(path string) int {
	j, err := Open(path, Retention{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	w := bufio.NewWriter(os.Stdout)
	var mu sync.Mutex
	var wg sync.WaitGroup
	// Four writers, so that appends share rounds as the engine's do.
	for g := range 4 {
		wg.Go(func() {
			for i := g; ; i += 4 {
				c := killContent(i)
				id, err := j.Record(Entry{Root: "/r", Path: fmt.Sprintf("n%d.md", i), Rule: "r", BeforeHash: Hash(c), AfterHash: Hash([]byte("x"))}, c)
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(1)
				}
				mu.Lock()
				fmt.Fprintf(w, "%d %d\n", i, id)
				w.Flush()
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return 0
}

func killContent(i int) []byte {
	return bytes.Repeat(fmt.Appendf(nil, "note %d, the content a write replaced\n", i), 1+i%7)
}

// openAt opens the journal at path for a test that drops it (abandon) or
// closes it itself.
func openAt(t *testing.T, path string) *Journal {
	t.Helper()
	j, err := Open(path, Retention{})
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// waitLogIdle waits until no append and no copy into the store runs.
func waitLogIdle(j *Journal) {
	l := &j.log
	l.mu.Lock()
	defer l.mu.Unlock()
	for l.running || l.applying {
		l.idle.Wait()
	}
}

// abandon drops j as a killed process would: no apply, no close of the log.
func abandon(t *testing.T, j *Journal) {
	t.Helper()
	l := &j.log
	l.mu.Lock()
	for l.running || l.applying {
		l.idle.Wait()
	}
	f := l.f
	l.f = nil
	l.mu.Unlock()
	j.closed.Store(true)
	f.Close()
	j.db.Close()
	if j.zstd.dec != nil {
		j.zstd.dec.Close()
	}
}

// TestRecordSurvivesKill kills a process that records entries as fast as it
// can, several Records at a time, past the point where the log is copied
// into the store (applyEvery), and checks that every entry whose Record had
// returned is there after a reopen, with its content, and that IDs go on
// growing.
func TestRecordSurvivesKill(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	for round := range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), recordEnv+"="+path)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := map[int]uint64{}
		sc := bufio.NewScanner(out)
		want := applyEvery*2 + 300*round
		for len(done) < want && sc.Scan() {
			var i int
			var id uint64
			if _, err := fmt.Sscan(sc.Text(), &i, &id); err != nil {
				t.Fatalf("child wrote %q", sc.Text())
			}
			done[i] = id
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if len(done) < want {
			t.Fatalf("round %d: child stopped after %d entries", round, len(done))
		}

		j, err := Open(path, Retention{})
		if err != nil {
			t.Fatal(err)
		}
		var maxID uint64
		for i, id := range done {
			e, c, err := j.Get(id)
			if err != nil {
				t.Fatalf("round %d: entry %d (note %d) lost after the kill: %v", round, id, i, err)
			}
			if e.Path != fmt.Sprintf("n%d.md", i) || !bytes.Equal(c, killContent(i)) {
				t.Fatalf("round %d: entry %d is %s with %q; want n%d.md", round, id, e.Path, c, i)
			}
			maxID = max(maxID, id)
		}
		segs, err := j.segments()
		if err != nil || len(segs) != 1 {
			t.Errorf("round %d: segments after the replay = %v, %v; want the new one only", round, segs, err)
		}
		id := rec(t, j, "/r", "after.md", "r", []byte("a"), []byte("b"), time.Time{})
		if id <= maxID {
			t.Errorf("round %d: new ID %d after the replay; want above %d", round, id, maxID)
		}
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
		t.Logf("round %d: %d entries confirmed before the kill, all kept", round, len(done))
	}
}

// TestReplayStopsAtTornFrame appends half a frame, as a crash in the middle
// of a write leaves it, and checks that the whole frames before it count.
func TestReplayStopsAtTornFrame(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	j := openAt(t, path)
	want := recVersions(t, j, 3)
	seg, end := j.segmentName(j.log.seg), j.log.size
	abandon(t, j)
	// The torn frame goes where the next append would have gone: over
	// the zeros written ahead.
	torn := (&logRec{id: 99, root: "/r", path: "b.md", entry: encodeEntry(&Entry{Root: "/r", Path: "b.md", Rule: "r"})}).appendFrame(nil)
	f, err := os.OpenFile(seg, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(torn[:len(torn)-3], end); err != nil {
		t.Fatal(err)
	}
	f.Close()

	j, err = Open(path, Retention{})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	es, err := j.List("/r", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(ids(es)); got != fmt.Sprint([]uint64{want[2], want[1], want[0]}) {
		t.Errorf("entries after the replay = %s; want %v, newest first", got, want)
	}
	if es, _ := j.List("/r", "b.md", 0); len(es) != 0 {
		t.Errorf("the torn entry was applied: %v", es)
	}
}

// TestReplaySkipsAppliedEntries leaves a segment whose entries are in the
// store already (a crash between the apply and the segment's removal) and
// checks that they are not applied twice.
func TestReplaySkipsAppliedEntries(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	j := openAt(t, path)
	for i := range 5 {
		rec(t, j, "/r", "a.md", "r", []byte("v"+strconv.Itoa(i%2)), []byte("w"), time.Time{})
	}
	seg := j.segmentName(j.log.seg)
	kept, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	before, err := j.Stats() // applies the log
	if err != nil {
		t.Fatal(err)
	}
	abandon(t, j)
	if err := os.WriteFile(seg, kept, 0o600); err != nil {
		t.Fatal(err)
	}
	j, err = Open(path, Retention{})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	after, err := j.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if after.Entries != 5 || after.Blobs != 2 || after != before {
		t.Errorf("stats after replaying applied entries = %+v; want %+v (5 entries, 2 blobs)", after, before)
	}
}

// TestReadOnlyOpenAppliesLeftLog: history read by the CLI after a crash
// shows the entries the crashed writer had confirmed, whatever the state
// directory is called (glob characters included).
func TestReadOnlyOpenAppliesLeftLog(t *testing.T) {
	for _, dir := range []string{"state", "notes [work]*?"} {
		t.Run(dir, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), dir, "journal.db")
			j := openAt(t, path)
			id := rec(t, j, "/r", "a.md", "r", []byte("old"), []byte("new"), time.Time{})
			abandon(t, j)
			ro, err := OpenReadOnly(path)
			if err != nil {
				t.Fatal(err)
			}
			defer ro.Close()
			if _, c, err := ro.Get(id); err != nil || string(c) != "old" {
				t.Errorf("Get(%d) read-only after a crash = %q, %v; want \"old\"", id, c, err)
			}
			if leftLog(path) {
				t.Error("the log is still there after the read-only open applied it")
			}
		})
	}
}

// TestLogRotatesAndApplies records past several applies while other
// goroutines read, and checks the store has everything, once, and that only
// the current segment is left.
//
// The records come in two waves, each of three applyEvery. The first rotates
// the log and starts a copy into the store while appends go on. The second
// starts once the copies are done, so it rotates the log again whatever the
// copy's speed against the appends': in one wave, appends that all ended
// during the first copy left no append to rotate a second time (CI, once).
func TestLogRotatesAndApplies(t *testing.T) {
	j := fast(openTest(t, Retention{}))
	// A wave's reads each copy what is pending without rotating; with
	// reads+1 applyEvery entries some stretch between two reads holds
	// applyEvery, so each wave rotates the log at least once however the
	// reads fall. (Five reads in a wave of one and a half applyEvery,
	// spread over it by a loaded machine, kept the log from rotating
	// twice.)
	const workers, reads = 4, 2
	const each = 2 * (reads + 1) * applyEvery / workers // per worker, both waves
	wave := func(from, to int) {
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := from; i < to; i++ {
					c := fmt.Appendf(nil, "w%d i%d", w, i)
					if _, err := j.Record(Entry{Root: "/r", Path: fmt.Sprintf("w%d.md", w), Rule: "r", BeforeHash: Hash(c)}, c); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Go(func() {
			for range reads {
				if _, err := j.List("/r", "w0.md", 5); err != nil {
					t.Error(err)
				}
			}
		})
		wg.Wait()
	}
	wave(0, each/2)
	waitLogIdle(j)
	wave(each/2, each)
	s, err := j.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if s.Entries != workers*each || s.Blobs != workers*each {
		t.Errorf("stats = %+v; want %d entries and blobs", s, workers*each)
	}
	if segs, err := j.segments(); err != nil || len(segs) != 1 {
		t.Errorf("segments = %v, %v; want one", segs, err)
	}
	if j.log.seg < 3 {
		t.Errorf("segment %d is the current one; want the log to have rotated at least twice", j.log.seg)
	}
}

// fullEnv makes the test binary, re-executed as a child, record into a
// journal while a file size limit makes its log's writes fail halfway, as a
// full disk does.
const fullEnv = "JOURNAL_TEST_FULL"

// fullDiskChild records entries, then lowers RLIMIT_FSIZE to just past the
// log's size, so that the next frame is written in part and then refused,
// records more (which must fail), raises the limit to room for a frame but
// not for the zeros written ahead of the log's frames (which must succeed:
// they are an optimization), lifts the limit, records more (which must
// succeed), and exits without closing the journal. It prints "ok i id" and
// "fail i" lines.
func fullDiskChild(path string) int {
	signal.Ignore(syscall.SIGXFSZ) // EFBIG rather than death
	j, err := Open(path, Retention{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	record := func(i int) {
		c := killContent(i)
		id, err := j.Record(Entry{Root: "/r", Path: fmt.Sprintf("n%d.md", i), Rule: "r", BeforeHash: Hash(c)}, c)
		if err != nil {
			fmt.Printf("fail %d %v\n", i, err)
			return
		}
		fmt.Printf("ok %d %d\n", i, id)
	}
	for i := range 10 {
		record(i)
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	j.log.mu.Lock()
	size := j.log.size
	j.log.mu.Unlock()
	full := lim
	full.Cur = uint64(size) + 40 // a frame is longer: it is cut
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &full); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for i := 10; i < 13; i++ {
		record(i)
	}
	full.Cur = uint64(size) + 8<<10 // room for a frame, not for the zeros
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &full); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	record(13)
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for i := 14; i < 20; i++ {
		record(i)
	}
	return 0 // no Close: the reopen replays the log
}

// TestRecordOnFullDisk: a log write refused halfway (a full disk) fails
// that Record with the system's error and leaves no torn frame, so the
// entries recorded once there is room again survive a crash with the ones
// before.
func TestRecordOnFullDisk(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fullEnv+"="+path)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	ok := map[int]uint64{}
	failed := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var i int
		var id uint64
		switch {
		case strings.HasPrefix(line, "ok "):
			if _, err := fmt.Sscan(line[3:], &i, &id); err != nil {
				t.Fatalf("child wrote %q", line)
			}
			ok[i] = id
		case strings.HasPrefix(line, "fail "):
			failed++
			if !strings.Contains(line, "write journal log") || !strings.Contains(line, "file too large") {
				t.Errorf("failure %q does not say what went wrong", line)
			}
		}
	}
	if failed != 3 || len(ok) != 17 {
		t.Fatalf("child: %d recorded, %d failed; want 17 and 3:\n%s", len(ok), failed, out)
	}
	j, err := Open(path, Retention{})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	for i, id := range ok {
		if _, c, err := j.Get(id); err != nil || !bytes.Equal(c, killContent(i)) {
			t.Errorf("entry %d (note %d) after the reopen: %q, %v", id, i, c, err)
		}
	}
	s, err := j.Stats()
	if err != nil || s.Entries != 17 {
		t.Errorf("stats = %+v, %v; want 17 entries", s, err)
	}
}

// TestEntryTheStoreCannotTake: a path too long for the store's keys is
// refused by Record, not acknowledged and then stuck in the log.
func TestEntryTheStoreCannotTake(t *testing.T) {
	j := openTest(t, Retention{})
	long := strings.Repeat("a/", 17000) + "x.md"
	_, err := j.Record(Entry{Root: "/r", Path: long, Rule: "r", AfterHash: Hash([]byte("x"))}, nil)
	if err == nil || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("Record of a %d-byte path = %v, want a refusal", len(long), err)
	}
	id := rec(t, j, "/r", "a.md", "r", []byte("old"), []byte("new"), time.Time{})
	if _, c, err := j.Get(id); err != nil || string(c) != "old" {
		t.Fatalf("Get(%d) after the refusal = %q, %v", id, c, err)
	}
}

// TestDamagedStoreDropsOnlyItsEntry: an entry whose content's reference
// count is damaged in the store cannot be copied there. The read that
// copies the log says so, the other entries get in, later reads work, and
// the journal opens again after a crash.
func TestDamagedStoreDropsOnlyItsEntry(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	j := openAt(t, path)
	bad := []byte("content")
	h, _ := decodeHash(Hash(bad))
	if err := j.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRefs).Put(h, []byte{0xff}) // damaged
	}); err != nil {
		t.Fatal(err)
	}
	badID := rec(t, j, "/r", "a.md", "r", bad, []byte("x"), time.Time{})
	good := rec(t, j, "/r", "b.md", "r", []byte("other"), []byte("y"), time.Time{})
	if _, err := j.List("", "", 0); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("entry %d", badID)) {
		t.Errorf("the read that copies the log = %v, want an error naming entry %d", err, badID)
	}
	if _, c, err := j.Get(good); err != nil || string(c) != "other" {
		t.Errorf("Get(%d) = %q, %v", good, c, err)
	}
	if _, _, err := j.Get(badID); err == nil {
		t.Errorf("Get(%d), the dropped entry, succeeded", badID)
	}
	// The next entries go in as usual; then a crash.
	after := rec(t, j, "/r", "c.md", "r", []byte("third"), []byte("z"), time.Time{})
	abandon(t, j)
	j, err := Open(path, Retention{})
	if err != nil {
		t.Fatalf("open after the crash: %v", err)
	}
	defer j.Close()
	for id, want := range map[uint64]string{good: "other", after: "third"} {
		if _, c, err := j.Get(id); err != nil || string(c) != want {
			t.Errorf("after the reopen, Get(%d) = %q, %v", id, c, err)
		}
	}
}

// TestIDsNeverReusedAfterDamage: a damaged frame in the middle of a segment
// hides the whole frames behind it; the IDs they had are not given again.
func TestIDsNeverReusedAfterDamage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	j := openAt(t, path)
	ids := recVersions(t, j, 6)
	seg, end := j.segmentName(j.log.seg), j.log.size
	abandon(t, j)
	b, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	b[end/3] ^= 0xff // damage a frame near the start
	if err := os.WriteFile(seg, b, 0o600); err != nil {
		t.Fatal(err)
	}
	j, err = Open(path, Retention{})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	id := rec(t, j, "/r", "b.md", "r", []byte("new"), []byte("w"), time.Time{})
	if id <= ids[len(ids)-1] {
		t.Errorf("new ID %d after damage; IDs up to %d were given before it", id, ids[len(ids)-1])
	}
}

// TestZerosAhead: appends overwrite the zeros written ahead of them, so the
// segment's length stays put while they fit; a replay reads the frames up
// to the zeros, takes them for no torn write (IDs go on from the last one),
// and Close leaves no zeros behind.
func TestZerosAhead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	j := openAt(t, path)
	seg := j.segmentName(j.log.seg)
	length := func() int64 {
		t.Helper()
		fi, err := os.Stat(seg)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	first := rec(t, j, "/r", "a.md", "r", []byte("v0"), []byte("w"), time.Time{})
	grown := length()
	if grown < minAhead || grown <= j.log.size {
		t.Fatalf("segment after one append: %d bytes, %d of frames; want zeros written ahead, at least %d bytes", grown, j.log.size, minAhead)
	}
	want := append([]uint64{first}, recVersions(t, j, 20)...)
	if n := length(); n != grown {
		t.Errorf("segment grew from %d to %d bytes while its frames (%d bytes) fit in it", grown, n, j.log.size)
	}
	end := j.log.size
	abandon(t, j)
	b, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	if tail := b[end:]; len(bytes.Trim(tail, "\x00")) != 0 {
		t.Fatalf("the %d bytes after the frames are not all zeros", len(tail))
	}

	j = openAt(t, path)
	es, err := j.List("/r", "a.md", 0)
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(want)
	if got := ids(es); !slices.Equal(got, want) {
		t.Errorf("entries after the replay = %v; want %v, newest first", got, want)
	}
	if id := rec(t, j, "/r", "b.md", "r", []byte("x"), []byte("w"), time.Time{}); id != want[0]+1 {
		t.Errorf("ID after the replay = %d; want %d (the zeros are no torn write)", id, want[0]+1)
	}
	seg, end = j.segmentName(j.log.seg), j.log.size
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if n := length(); n != end {
		t.Errorf("segment after Close: %d bytes; want its %d bytes of frames", n, end)
	}
}

// storeSeq reads the store's sequence, the last ID copied into it, from the
// closed journal at path.
func storeSeq(t *testing.T, path string) uint64 {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var seq uint64
	db.View(func(tx *bolt.Tx) error {
		seq = tx.Bucket(bucketEntries).Sequence()
		return nil
	})
	return seq
}

// TestCloseLeavesTheLog: Close copies nothing into the store; the next open
// takes the log up, so its entries are read, kept through a crash of that
// process, and copied once with the next copy.
func TestCloseLeavesTheLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	j := openAt(t, path)
	want := recVersions(t, j, 5)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if seq := storeSeq(t, path); seq != 0 {
		t.Errorf("store sequence after Close = %d; want 0, nothing copied", seq)
	}
	if !leftLog(path) {
		t.Fatal("Close removed the log that holds the entries")
	}

	// Taken up, then the process dies: the entries are still in the log.
	j = openAt(t, path)
	want = append(want, rec(t, j, "/r", "a.md", "r", []byte("v5"), []byte("w"), time.Time{}))
	abandon(t, j)
	if seq := storeSeq(t, path); seq != 0 {
		t.Errorf("store sequence after an open and a crash = %d; want 0", seq)
	}

	j = openAt(t, path)
	defer j.Close()
	es, err := j.List("/r", "a.md", 0)
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(want)
	if got := ids(es); !slices.Equal(got, want) {
		t.Errorf("entries = %v; want %v, newest first", got, want)
	}
	for i, e := range es {
		if _, c, err := j.Get(e.ID); err != nil || string(c) != "v"+strconv.Itoa(5-i) {
			t.Errorf("Get(%d) = %q, %v; want v%d", e.ID, c, err, 5-i)
		}
	}
	s, err := j.Stats()
	if err != nil || s.Entries != 6 || s.Blobs != 6 {
		t.Errorf("stats = %+v, %v; want 6 entries and blobs, each once", s, err)
	}
	if segs, err := j.segments(); err != nil || len(segs) != 1 {
		t.Errorf("segments after the read copied the log = %v, %v; want the current one only", segs, err)
	}
}

// TestLeftSegmentsDoNotPileUp: processes that each record a little and close
// leave a segment each; past maxLeftSegments, an open copies them.
func TestLeftSegmentsDoNotPileUp(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	var most int
	for i := range 2*maxLeftSegments + 3 {
		j := openAt(t, path)
		segs, err := j.segments()
		if err != nil {
			t.Fatal(err)
		}
		most = max(most, len(segs))
		rec(t, j, "/r", "a.md", "r", []byte("v"+strconv.Itoa(i)), []byte("w"), time.Time{})
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if most != maxLeftSegments+1 {
		t.Errorf("at most %d segments at an open; want %d (those left and the new one)", most, maxLeftSegments+1)
	}
	ro, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if s, err := ro.Stats(); err != nil || s.Entries != 2*maxLeftSegments+3 {
		t.Errorf("stats = %+v, %v; want %d entries", s, err, 2*maxLeftSegments+3)
	}
	if leftLog(path) {
		t.Error("the log is still there after the read-only open copied it")
	}
}

// TestPruneWithNothingToRemove: a Prune that has nothing to remove copies
// nothing and commits nothing; one that has, counts the log's entries too.
func TestPruneWithNothingToRemove(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	j, err := Open(path, Retention{MaxEntries: 3, MaxAge: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i := range 3 {
		rec(t, j, "/r", "a.md", "r", []byte("v"+strconv.Itoa(i)), []byte("w"), now)
	}
	writes := func() int64 { st := j.db.Stats(); return st.TxStats.GetWrite() }
	before := writes()
	if n, err := j.Prune(now); n != 0 || err != nil {
		t.Fatalf("Prune = %d, %v; want 0", n, err)
	}
	if got := writes(); got != before {
		t.Errorf("a Prune with nothing to remove wrote the store (%d page writes, %d before)", got, before)
	}
	rec(t, j, "/r", "a.md", "r", []byte("v3"), []byte("w"), now)
	if n, err := j.Prune(now); n != 1 || err != nil {
		t.Errorf("Prune with 4 entries for 3, all in the log = %d, %v; want 1", n, err)
	}
	if n, err := j.Prune(now.Add(2 * time.Hour)); n != 3 || err != nil {
		t.Errorf("Prune two hours later = %d, %v; want the 3 left", n, err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestLeftCopyIsCopiedAtOpen: a log holding a copy's worth of entries (a
// crash can leave that much) is copied at open, not held in memory.
func TestLeftCopyIsCopiedAtOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	j := openAt(t, path)
	seg := j.segmentName(j.log.seg)
	abandon(t, j)
	var frames []byte
	for id := uint64(1); id <= applyEvery; id++ {
		e := &Entry{Root: "/r", Path: fmt.Sprintf("n%d.md", id), Rule: "r"}
		frames = (&logRec{id: id, root: e.Root, path: e.Path, entry: encodeEntry(e)}).appendFrame(frames)
	}
	if err := os.WriteFile(seg, frames, 0o600); err != nil {
		t.Fatal(err)
	}
	j = openAt(t, path)
	pending := len(j.log.pending)
	j.Close()
	if pending != 0 {
		t.Errorf("%d entries held in memory after the open; want them copied", pending)
	}
	if seq := storeSeq(t, path); seq != applyEvery {
		t.Errorf("store sequence after the open = %d; want %d", seq, applyEvery)
	}
}

// TestFramesRoundTrip writes frames whose lengths and numbers cross the
// varint boundaries into one buffer, as a leader does, and reads them back
// whole and in order.
func TestFramesRoundTrip(t *testing.T) {
	for _, v := range []uint64{0, 1, 127, 128, 16383, 16384, 1<<21 - 1, 1 << 21, 1<<63 - 1, 1<<64 - 1} {
		if got, want := uvarintLen(v), len(binary.AppendUvarint(nil, v)); got != want {
			t.Errorf("uvarintLen(%d) = %d, want %d", v, got, want)
		}
	}
	var recs []*logRec
	var buf []byte
	for i, size := range []int{0, 1, 100, 126, 127, 128, 16300, 16400, 200000} {
		e := &Entry{Root: "/r", Path: fmt.Sprintf("n/%d.md", i), Rule: "r"}
		r := &logRec{id: uint64(1) << (7 * (i % 9)), root: e.Root, path: e.Path, entry: encodeEntry(e)}
		if size > 0 {
			content := bytes.Repeat([]byte{byte('a' + i)}, size)
			h := sha256.Sum256(content)
			r.hash, r.raw, r.blob = h[:], uint64(size), append([]byte{codecRaw}, content...)
		}
		recs = append(recs, r)
		buf = r.appendFrame(buf)
	}
	got, rest := readFrames(buf)
	if rest != 0 || len(got) != len(recs) {
		t.Fatalf("read %d frames, %d bytes left; want %d, 0", len(got), rest, len(recs))
	}
	for i, r := range got {
		w := recs[i]
		if r.id != w.id || r.path != w.path || r.raw != w.raw || !bytes.Equal(r.hash, w.hash) || !bytes.Equal(r.blob, w.blob) {
			t.Errorf("frame %d: id %d path %s raw %d, want id %d path %s raw %d", i, r.id, r.path, r.raw, w.id, w.path, w.raw)
		}
	}
}
