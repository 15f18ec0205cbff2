package safefile

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

var (
	racesFlag   = flag.Int("safefile.races", 1000, "iterations of TestLostUpdates (A6); 10000 for the nightly run")
	variantFlag = flag.String("safefile.variant", "", "TestLostUpdates without a safeguard, to measure what it buys: nolease (exchange only) or fallback (check+rename)")
)

// saveStyle is how the racing "user" saves: the ways editors write files.
type saveStyle int

const (
	saveTruncate  saveStyle = iota // open(O_TRUNC) + write: most editors' in-place save
	saveOverwrite                  // open without truncating + write at offset 0: same-size in-place edit
	saveRename                     // write a temp file + rename over: vim, VS Code atomic save
	numSaveStyles
)

func (s saveStyle) String() string {
	return [...]string{"truncate", "overwrite", "rename"}[s]
}

func userSave(path string, content []byte, style saveStyle) error {
	switch style {
	case saveTruncate:
		return os.WriteFile(path, content, 0o644)
	case saveOverwrite:
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		_, err = f.WriteAt(content, 0)
		return errors.Join(err, f.Close())
	default:
		tmp := path + ".user~"
		if err := os.WriteFile(tmp, content, 0o644); err != nil {
			return err
		}
		return os.Rename(tmp, path)
	}
}

// spin busy-waits for d: sleeping is far too coarse to place a save inside a
// rewrite that takes a fraction of a millisecond.
func spin(d time.Duration) {
	for end := time.Now().Add(d); time.Now().Before(end); {
	}
}

// TestLostUpdates is A6: a user keeps saving a file (sequence-numbered
// content, in three editor styles) while a rule reads, transforms and
// replaces it, redoing its work on conflict. After every round the file must
// hold the user's latest save, with or without the rule's transform: no user
// edit is ever lost. With -safefile.variant=nolease the same test measures
// the exchange alone (in-place saves can then be lost; measured on ext4: 6 in 3,000
// rounds); with -safefile.variant=fallback, check-then-rename plus the lease.
func TestLostUpdates(t *testing.T) {
	if *variantFlag == "" {
		t.Parallel() // the variants flip package-wide switches
	}
	n := *racesFlag
	if testing.Short() {
		n = min(n, 200)
	}
	switch *variantFlag {
	case "":
	case "nolease":
		noLeases.Store(true)
		defer noLeases.Store(false)
	case "fallback":
		noRenameFlags.Store(true)
		defer noRenameFlags.Store(false)
	default:
		t.Fatalf("unknown -safefile.variant %q", *variantFlag)
	}
	dir, root := newRoot(t)
	const name = "race.md"
	path := filepath.Join(dir, name)
	pad := bytes.Repeat([]byte("lorem ipsum dolor sit amet\n"), 150) // ~4 KiB
	user := func(seq int) []byte { return append(fmt.Appendf(nil, "user save %08d\n", seq), pad...) }
	stamp := []byte("<!-- stamped -->\n")
	transform := func(b []byte) []byte {
		if bytes.HasSuffix(b, stamp) {
			return b
		}
		return append(bytes.Clone(b), stamp...)
	}

	var conflicts, busy int
	// rule runs the rule until it has written or has nothing to do.
	rule := func() error {
		for {
			s, err := Read(root, name, 0)
			if err != nil {
				return err
			}
			out := transform(s.Content)
			if bytes.Equal(out, s.Content) {
				return nil
			}
			err = replace(root, name, s, out)
			var ce *ConflictError
			switch {
			case err == nil:
				return nil
			case errors.As(err, &ce):
				conflicts++
			case errors.Is(err, ErrBusy):
				busy++
			default:
				return err
			}
		}
	}

	fallback0 := FallbackWrites()
	writeFile(t, path, user(0), 0o644)
	// Calibrate the racer's delays to the length of one rewrite.
	start := time.Now()
	for i := range 20 {
		writeFile(t, path, user(i), 0o644)
		if err := rule(); err != nil {
			t.Fatal(err)
		}
	}
	window := 2 * time.Since(start) / 20

	lost := 0
	var styleLost [numSaveStyles]int
	for i := 1; i <= n; i++ {
		style := saveStyle(i % int(numSaveStyles))
		want := user(1_000_000 + i)
		var wg sync.WaitGroup
		var saveErr error
		go1 := make(chan struct{})
		wg.Go(func() {
			<-go1
			spin(time.Duration(rand.Int64N(int64(window))))
			saveErr = userSave(path, want, style)
		})
		close(go1)
		spin(time.Duration(rand.Int64N(int64(window) / 2)))
		ruleErr := rule()
		wg.Wait()
		if saveErr != nil || ruleErr != nil {
			t.Fatalf("round %d: save: %v; rule: %v", i, saveErr, ruleErr)
		}
		got := readFile(t, path)
		if !bytes.Equal(got, want) && !bytes.Equal(got, transform(want)) {
			lost++
			styleLost[style]++
			t.Errorf("round %d (%s save): user's save lost; file starts %q", i, style, got[:min(len(got), 24)])
		}
	}
	t.Logf("%d lost user edits in %d races (by style %v %v); %d conflicts redone, %d busy retries; window %v; %d fallback writes",
		lost, n, [...]string{"truncate", "overwrite", "rename"}, styleLost, conflicts, busy, window, FallbackWrites()-fallback0)
	if left := temps(t, dir); len(left) > 0 {
		t.Errorf("temp files left: %v", left)
	}
}

// TestLateSaveIntoOldVersion is the residual race of TestLostUpdates made
// certain: a save whose open(2) looked the name up before the exchange
// reaches the old version only after Replace unlinked it (here: while the
// directory is synced, through an O_PATH handle taken before the write).
// The save is put back in place of the rewrite, and Replace reports a
// conflict holding it, so that the rules are redone on it.
func TestLateSaveIntoOldVersion(t *testing.T) {
	dir, root, path, s := newNote(t, []byte("user save 1\n"))
	h, err := os.OpenFile(path, unix.O_PATH, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	late := []byte("user save 2, late\n")
	var saved bool
	dirFsync = func(fd int) error {
		if !saved {
			saved = true
			if err := os.WriteFile(fmt.Sprintf("/proc/self/fd/%d", h.Fd()), late, 0o644); err != nil {
				t.Errorf("late save: %v", err)
			}
		}
		return fsync(fd)
	}
	defer func() { dirFsync = fsync }()

	_, err = Replace(root, "note.md", s, []byte("user save 1\nstamped\n"))
	var ce *ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("Replace: %v, want a conflict", err)
	}
	if !saved {
		t.Fatal("the directory was never synced")
	}
	if got := readFile(t, path); !bytes.Equal(got, late) {
		t.Fatalf("file holds %q, want the late save %q", got, late)
	}
	if ce.Current == nil || !bytes.Equal(ce.Current.Content, late) {
		t.Fatalf("conflict holds %+v, want the late save", ce.Current)
	}
	if left := temps(t, dir); len(left) > 0 {
		t.Errorf("temp files left: %v", left)
	}
}

// TestSavesRacingTheSwapBack makes certain what TestLostUpdates hits by
// chance: a rename save after Replace's last check, one more while the
// rewrite is in place, and then one more after each swap-back. Each save
// lands at the file's name while it holds what the last swap put there;
// the newest must end up at the name, and no version may be lost: the
// file holds the last save, or, past the swaps Replace makes, one of the
// two newest with the other in a conflict copy.
func TestSavesRacingTheSwapBack(t *testing.T) {
	for _, more := range []int{0, 1, 2, 5, 6, 7, swapRounds} {
		t.Run(fmt.Sprintf("%d more", more), func(t *testing.T) {
			dir, root, path, s := newNote(t, []byte("user save 0\n"))
			saves := 0
			save := func() {
				saves++
				if err := userSave(path, fmt.Appendf(nil, "user save %d\n", saves), saveRename); err != nil {
					t.Error(err)
				}
			}
			swaps := 0
			testFailpoint = func(name string) {
				switch name {
				case "recheck", "exchange":
					save()
				case "swap-back":
					if swaps++; swaps <= more {
						save()
					}
				}
			}
			defer func() { testFailpoint = nil }()
			_, err := Replace(root, "note.md", s, []byte("user save 0\nstamped\n"))
			testFailpoint = nil
			last := fmt.Sprintf("user save %d\n", saves)
			got := string(readFile(t, path))
			var copies []string
			ents, _ := os.ReadDir(dir)
			for _, e := range ents {
				if strings.HasPrefix(e.Name(), ".scribe-conflict-") {
					copies = append(copies, string(readFile(t, filepath.Join(dir, e.Name()))))
				}
			}
			var ce *ConflictError
			switch {
			case more+2 <= swapRounds: // a round per save after the check
				if !errors.As(err, &ce) || got != last || len(copies) > 0 {
					t.Errorf("after %d saves: Replace: %v; the file holds %q, conflict copies %q; want a conflict and the last save", saves, err, got, copies)
				}
			default:
				if err == nil || !strings.Contains(err.Error(), "merge it by hand") || len(copies) != 1 ||
					got != last && copies[0] != last {
					t.Errorf("after %d saves: Replace: %v; the file holds %q, conflict copies %q; want the last save kept", saves, err, got, copies)
				}
			}
			if left := temps(t, dir); len(left) > 0 {
				t.Errorf("temp files left: %v", left)
			}
		})
	}
}
