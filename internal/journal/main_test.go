package journal

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// helperEnv makes the test binary, re-executed as a child, hold a journal
// open (the daemon's role) until its stdin closes.
const helperEnv = "JOURNAL_TEST_HOLD"

func TestMain(m *testing.M) {
	if p := os.Getenv(helperEnv); p != "" {
		os.Exit(holdJournal(p))
	}
	if p := os.Getenv(recordEnv); p != "" {
		os.Exit(recordForever(p))
	}
	if p := os.Getenv(fullEnv); p != "" {
		os.Exit(fullDiskChild(p))
	}
	goleak.VerifyTestMain(m)
}

func holdJournal(path string) int {
	j, err := Open(path, Retention{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer j.Close()
	fmt.Println("ready")
	bufio.NewReader(os.Stdin).ReadString('\n') // until the parent closes stdin
	return 0
}

// openTest opens a journal in a fresh directory, closed at the end of the test.
func openTest(t testing.TB, r Retention) *Journal {
	t.Helper()
	j, err := Open(filepath.Join(t.TempDir(), "state", "journal.db"), r)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := j.Close(); err != nil {
			t.Error(err)
		}
	})
	return j
}

// fast turns off fsync for tests that record thousands of entries and do
// not test durability.
func fast(j *Journal) *Journal {
	j.db.NoSync = true
	j.log.mu.Lock()
	j.log.noSync = true
	j.log.mu.Unlock()
	return j
}

// rec records a write of path from before to after and returns its ID.
func rec(t testing.TB, j *Journal, root, path, rule string, before, after []byte, when time.Time) uint64 {
	t.Helper()
	e := Entry{Root: root, Path: path, Rule: rule, Time: when}
	if before != nil {
		e.BeforeHash = Hash(before)
	}
	if after != nil {
		e.AfterHash = Hash(after)
	}
	id, err := j.Record(e, before)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// recVersions records n rewrites of /r a.md, whose replaced contents are
// v0, v1, …, and returns their IDs.
func recVersions(t testing.TB, j *Journal, n int) []uint64 {
	t.Helper()
	ids := make([]uint64, 0, n)
	for i := range n {
		ids = append(ids, rec(t, j, "/r", "a.md", "r", []byte("v"+strconv.Itoa(i)), []byte("w"), time.Time{}))
	}
	return ids
}

// ids returns the IDs of entries, for comparing lists.
func ids(es []Entry) []uint64 {
	out := make([]uint64, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}
