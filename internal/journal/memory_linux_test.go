package journal

import (
	"bufio"
	"bytes"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// mappedRSS returns the resident kilobytes of this process's mappings of
// path, from /proc/self/smaps.
func mappedRSS(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	kb, in := 0, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) >= 5 && strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":") {
			in = len(fields) >= 6 && fields[5] == path // a mapping's header line
			continue
		}
		if in && len(fields) == 3 && fields[0] == "Rss:" {
			n, _ := strconv.Atoi(fields[1])
			kb += n
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return kb
}

// TestReleaseMemory reads back enough content to map megabytes of the
// journal, then checks that ReleaseMemory unmaps them and that everything
// reads the same afterwards (the pages come back from the file).
func TestReleaseMemory(t *testing.T) {
	j := fast(openTest(t, Retention{}))
	rng := rand.New(rand.NewPCG(1, 2))
	var ids []uint64
	var contents [][]byte
	for i := range 300 {
		before := make([]byte, 16<<10) // incompressible: 16 KiB on disk each
		for k := range before {
			before[k] = byte(rng.Uint32())
		}
		ids = append(ids, rec(t, j, "/r", "n"+strconv.Itoa(i)+".md", "rule", before, []byte("after"), time.Time{}))
		contents = append(contents, before)
	}
	readAll := func() {
		t.Helper()
		for i, id := range ids {
			_, got, err := j.Get(id)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, contents[i]) {
				t.Fatalf("entry %d: content differs", id)
			}
		}
	}
	readAll()
	mapped := mappedRSS(t, j.Path())
	if mapped < 4<<10 {
		t.Fatalf("%d KiB of the journal mapped after reading 300 × 16 KiB back; want at least 4 MiB", mapped)
	}
	if err := j.ReleaseMemory(); err != nil {
		t.Fatal(err)
	}
	if after := mappedRSS(t, j.Path()); after > mapped/8 {
		t.Errorf("%d KiB of the journal still mapped after ReleaseMemory (%d KiB before)", after, mapped)
	}
	readAll()
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if err := j.ReleaseMemory(); err != ErrClosed {
		t.Errorf("ReleaseMemory after Close = %v, want ErrClosed", err)
	}
}

// TestMappedPagesStayFew records three rounds of applyEvery writes of
// distinct small notes (each round copied from the log into the store),
// whose compressed content lives in the leaf pages that every insert reads,
// and checks that the journal's mapped pages stay well under what the file
// holds: the journal releases them as it goes.
func TestMappedPagesStayFew(t *testing.T) {
	j := fast(openTest(t, Retention{}))
	rng := rand.New(rand.NewPCG(3, 4))
	words := strings.Fields("the quick brown fox jumps over a lazy dog while notes pile up in folders of a vault")
	for i := range 3*applyEvery + 1 {
		var b strings.Builder
		for b.Len() < 1500 {
			b.WriteString(words[rng.IntN(len(words))])
			b.WriteString(strconv.Itoa(rng.IntN(1000)))
			b.WriteByte(' ')
		}
		rec(t, j, "/r", "n"+strconv.Itoa(i)+".md", "rule", []byte(b.String()), []byte("after"), time.Time{})
	}
	fi, err := os.Stat(j.Path())
	if err != nil {
		t.Fatal(err)
	}
	if mapped := mappedRSS(t, j.Path()); int64(mapped)<<10 > fi.Size()/3 {
		t.Errorf("%d KiB of the journal mapped after %d writes, of a %d KiB file; want under a third", mapped, 3*applyEvery+1, fi.Size()>>10)
	}
}
