package safefile

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

var killsFlag = flag.Int("safefile.kills", 300, "SIGKILLs in TestCrashAtomicity (A1); 5000 for the nightly run")

const crashFiles = 4

func crashName(i int) string { return fmt.Sprintf("f%02d.md", i) }

// crashWriter is the child process of TestCrashAtomicity: it rewrites the
// files in a loop until it is killed. The good writer uses Read and Replace;
// the bad one truncates and writes in place in 16 KiB chunks, as a naive
// editor does, and must produce torn files.
func crashWriter(dir string, bad bool) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	fmt.Println("ready")
	for i := 0; ; i++ {
		name := crashName(i % crashFiles)
		s, err := Read(root, name, 0)
		if err != nil {
			return err
		}
		v, err := checkCrashContent(s.Content)
		if err != nil && !bad {
			return fmt.Errorf("%s torn at start: %w", name, err)
		}
		next := crashContent(v + 1)
		if !bad {
			if err := replace(root, name, s, next); err != nil {
				return err
			}
			continue
		}
		f, err := root.OpenFile(name, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			return err
		}
		for off := 0; off < len(next); off += 16 << 10 {
			if _, err := f.Write(next[off:min(off+16<<10, len(next))]); err != nil {
				return err
			}
		}
		f.Close()
	}
}

// crashRun SIGKILLs a writer kills times at random moments and checks every
// file after each kill. It returns the number of torn files seen, temp files
// cleaned and completed writes.
func crashRun(t *testing.T, dir string, bad bool, kills int, stopAtTorn int) (torn, cleaned, writes, done int) {
	root := openRoot(t, dir)
	writer := "good"
	if bad {
		writer = "bad"
	}
	var before uint64
	for i := range crashFiles {
		writeFile(t, filepath.Join(dir, crashName(i)), crashContent(0), 0o644)
	}
	for done = 0; done < kills; done++ {
		cmd := helper(t, "crash-writer", "SAFEFILE_DIR="+dir, "SAFEFILE_WRITER="+writer)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(out).ReadString('\n')
		if line != "ready\n" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("writer did not start: %q %v", line, err)
		}
		// Fault injection, not an assertion: let the writer run for a random
		// while so that kills land in every step of the protocol.
		time.Sleep(time.Duration(rand.IntN(40_000)) * time.Microsecond)
		cmd.Process.Kill()
		cmd.Wait()

		c, err := CleanTemps(root)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Restored)+len(c.Kept) > 0 {
			t.Fatalf("CleanTemps restored %q and kept %q, with no save but the writer's", c.Restored, c.Kept)
		}
		cleaned += c.Removed
		if left := temps(t, dir); len(left) > 0 {
			t.Fatalf("after CleanTemps, temp files remain: %v", left)
		}
		var after uint64
		for i := range crashFiles {
			p := filepath.Join(dir, crashName(i))
			v, err := checkCrashContent(readFile(t, p))
			if err != nil {
				torn++
				if !bad {
					t.Errorf("kill %d: %s torn: %v", done+1, crashName(i), err)
				}
				writeFile(t, p, crashContent(0), 0o644) // repair for the next round
				continue
			}
			after += v
		}
		if after > before {
			writes += int(after - before)
		}
		before = after
		if stopAtTorn > 0 && torn >= stopAtTorn {
			done++
			break
		}
	}
	return torn, cleaned, writes, done
}

// TestCrashAtomicity is A1: a writer using Replace is SIGKILLed at random
// moments; every file must always be one whole version, and CleanTemps must
// leave no temp file. A control run with a truncate-and-write writer must
// show torn files, proving the check can see them. Kills are spread over
// parallel lanes (each its own directory and writer) since each cycle mostly
// waits on process start and fsync.
func TestCrashAtomicity(t *testing.T) {
	t.Parallel()
	kills := *killsFlag
	if testing.Short() {
		kills = min(kills, 50)
	}
	const lanes = 2
	var mu sync.Mutex
	var torn, cleaned, writes, done int
	start := time.Now()
	t.Run("replace", func(t *testing.T) {
		for lane := range lanes {
			share := kills / lanes
			if lane == 0 {
				share += kills % lanes
			}
			t.Run(fmt.Sprint(lane), func(t *testing.T) {
				t.Parallel()
				tn, cl, wr, dn := crashRun(t, t.TempDir(), false, share, 0)
				mu.Lock()
				defer mu.Unlock()
				torn, cleaned, writes, done = torn+tn, cleaned+cl, writes+wr, done+dn
			})
		}
	})
	t.Logf("Replace writer: %d torn files in %d SIGKILLs (%d files each); %d writes completed; %d orphan temps cleaned, 0 left; %v",
		torn, done, crashFiles, writes, cleaned, time.Since(start).Round(time.Millisecond))
	if writes == 0 {
		t.Error("the writer completed no writes: the test proves nothing")
	}

	start = time.Now()
	torn, _, _, done = crashRun(t, t.TempDir(), true, 200, 3)
	t.Logf("control (truncate+write in place): %d torn files in %d SIGKILLs; %v", torn, done, time.Since(start).Round(time.Millisecond))
	if torn == 0 {
		t.Error("control writer produced no torn files: the harness cannot detect tearing")
	}
}
