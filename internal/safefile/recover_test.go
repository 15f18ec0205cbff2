package safefile

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// crashAt runs Replace of note.md in dir with content ours, as a process
// that dies right after the protocol step stop would: the goroutine ends
// there, and nothing of Replace's own cleanup that follows runs (its
// deferred calls do, so stop must come after the exchange, where those no
// longer touch the directory; TestFailpoints crashes a real process at
// every step). At a step named in saves, its save is made, once: a user's
// save landing after Replace's last check ("recheck"), or while the
// rewrite is in place ("exchange"). A step reached again is named with its
// count ("swap-back 2"). It reports whether the crash came.
func crashAt(t *testing.T, root *os.Root, s *Snapshot, ours []byte, stop string, saves map[string]func()) bool {
	t.Helper()
	reached := map[string]int{}
	testFailpoint = func(name string) {
		if reached[name]++; reached[name] > 1 {
			name = fmt.Sprintf("%s %d", name, reached[name])
		}
		if save := saves[name]; save != nil {
			delete(saves, name)
			save()
		}
		if name == stop {
			runtime.Goexit()
		}
	}
	defer func() { testFailpoint = nil }()
	crashed := make(chan bool)
	go func() {
		ok := false
		defer func() { crashed <- !ok }()
		_, err := Replace(root, "note.md", s, ours)
		ok = true
		t.Logf("Replace returned %v", err)
	}()
	return <-crashed
}

// A crash while a write has a user's save swapped out (it landed between
// Replace's last check and its exchange) must not lose the save: the temp
// file holding it is put back in place of the rewrite, or kept as a
// conflict copy where the file has changed since or is gone. With a second
// save racing the swap-backs, the newer of the two ends in place, wherever
// the crash came. Every other leftover temp file is a copy of an older
// version and goes. Each case runs with an unnamed temp file (O_TMPFILE)
// and with a named one, as where O_TMPFILE is unsupported.
func TestCleanTempsAfterCrashMidWrite(t *testing.T) {
	later := []byte("TODO: a later save, made while Scribe was down\n")
	savedAgain := func(t *testing.T, path string) { renameSave(t, path, later) }
	for _, tc := range []midWriteCrash{
		{name: "after the exchange", stop: "exchange", want: crashOurs, result: "removed"},
		{name: "save swapped out", stop: "exchange", race: true, want: crashSave, result: "restored"},
		{name: "save swapped out, tagged for its swap-back", stop: "swap-tag", race: true, want: crashSave, result: "restored"},
		{name: "save swapped back", stop: "swap-back", race: true, want: crashSave, result: "removed"},
		{name: "save tagged, a later one at the file", stop: "swap-tag", race: true, again: true,
			want: crashAgain, kept: crashSave, result: "kept"},
		{name: "save swapped back, a later one swapped out", stop: "swap-back", race: true, again: true,
			want: crashAgain, result: "restored"},
		{name: "later save tagged for its swap-back", stop: "swap-tag 2", race: true, again: true,
			want: crashAgain, result: "restored"},
		{name: "later save swapped back", stop: "swap-back 2", race: true, again: true,
			want: crashAgain, result: "removed"},
		{name: "save swapped out, file saved again", stop: "exchange", race: true,
			after: savedAgain, want: later, kept: crashSave, result: "kept"},
		{name: "later save swapped out, file saved again", stop: "swap-back", race: true, again: true,
			after: savedAgain, want: later, kept: crashAgain, result: "kept"},
		{name: "later save tagged, file saved again", stop: "swap-tag 2", race: true, again: true,
			after: savedAgain, want: later, kept: crashAgain, result: "kept"},
		{name: "save swapped out, file deleted", stop: "exchange", race: true,
			after: func(t *testing.T, path string) { os.Remove(path) },
			kept:  crashSave, untargeted: true, result: "kept"},
	} {
		for _, named := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/named=%v", tc.name, named), func(t *testing.T) {
				noTmpfile.Store(named)
				defer noTmpfile.Store(false)
				tc.run(t)
			})
		}
	}
}

var (
	crashOld   = []byte("TODO: write the report\n")
	crashOurs  = []byte("- [ ] write the report\n")
	crashSave  = []byte("TODO: write the report\nTODO: and send it\n")
	crashAgain = []byte("TODO: write the report\nTODO: and send it today\n")
)

// midWriteCrash is a case of TestCleanTempsAfterCrashMidWrite.
type midWriteCrash struct {
	name       string
	stop       string // the step the crash follows
	race       bool   // a rename save of crashSave lands after the last check
	again      bool   // one of crashAgain while the rewrite is in place
	after      func(t *testing.T, path string)
	want       []byte // what note.md holds after CleanTemps; nil: no note.md
	kept       []byte // what the one conflict copy holds, if any
	untargeted bool   // the conflict copy's name does not end with the file's
	result     string // what CleanTemps did with the temp file
}

func (tc midWriteCrash) run(t *testing.T) {
	dir, root, path, s := newNote(t, crashOld)
	// The saves fall within one tick of the file system's clock, as saves
	// microseconds apart often do: their mtimes cannot tell which is newer.
	tick := time.Now().Truncate(time.Second)
	save := func(content []byte) func() {
		return func() {
			renameSave(t, path, content)
			if err := os.Chtimes(path, tick, tick); err != nil {
				t.Error(err)
			}
		}
	}
	saves := map[string]func(){}
	if tc.race {
		saves["recheck"] = save(crashSave)
	}
	if tc.again {
		saves["exchange"] = save(crashAgain)
	}
	if !crashAt(t, root, s, crashOurs, tc.stop, saves) {
		t.Fatalf("Replace never reached %s", tc.stop)
	}
	if left := temps(t, dir); len(left) != 1 {
		t.Fatalf("temp files after the crash: %q, want 1", left)
	} else if _, ok := tagOf(filepath.Base(left[0])); !ok {
		if _, ok := swapTagOf(filepath.Base(left[0])); !ok || !strings.HasPrefix(tc.stop, "swap-") {
			t.Fatalf("temp file %s has no tag, or not the one of its step", left[0])
		}
	}
	if tc.after != nil {
		tc.after(t, path)
	}

	c, err := CleanTemps(root)
	if err != nil {
		t.Fatal(err)
	}
	var got string
	switch {
	case c.Removed == 1 && len(c.Restored)+len(c.Kept) == 0:
		got = "removed"
	case c.Removed == 0 && slices.Equal(c.Restored, []string{"note.md"}) && len(c.Kept) == 0:
		got = "restored"
	case c.Removed == 0 && len(c.Restored) == 0 && len(c.Kept) == 1:
		got = "kept"
	case c.Removed == 0 && slices.Equal(c.Restored, []string{"note.md"}) && len(c.Kept) == 1:
		got = "restored and kept"
	}
	if got != tc.result {
		t.Errorf("CleanTemps = %+v, want the temp file %s", c, tc.result)
	}
	if left := temps(t, dir); len(left) > 0 {
		t.Errorf("temp files left: %q", left)
	}
	if tc.want != nil {
		if b := readFile(t, path); !bytes.Equal(b, tc.want) {
			t.Errorf("note.md holds %q, want %q", b, tc.want)
		}
	} else if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("note.md is back: %v", err)
	}
	if tc.kept != nil && len(c.Kept) == 1 {
		name := c.Kept[0]
		if !strings.HasPrefix(name, ".scribe-conflict-") || strings.HasSuffix(name, "-note.md") == tc.untargeted {
			t.Errorf("conflict copy %q", name)
		}
		if b := readFile(t, filepath.Join(dir, name)); !bytes.Equal(b, tc.kept) {
			t.Errorf("conflict copy holds %q, want the save %q", b, tc.kept)
		}
	}
}

// renameSave saves content to path as an editor's atomic save does.
func renameSave(t *testing.T, path string, content []byte) {
	t.Helper()
	if err := userSave(path, content, saveRename); err != nil {
		t.Fatal(err)
	}
}

// A temp file's tag survives its name: what CleanTemps parses is what
// Replace wrote, a write's tag and a swap's are told apart, and so are
// names without one.
func TestTagInName(t *testing.T) {
	s := &Snapshot{Ino: 1234567, Size: 42, ModTime: 1733400000123456789}
	tg := newTag("a note with spaces – and more.md", s, []byte("content\n"))
	name := tempName(tg)
	if got, ok := tagOf(name); !ok || got != tg {
		t.Errorf("tagOf(%q) = %+v, %v; want %+v", name, got, ok, tg)
	}
	if len(name) > 80 {
		t.Errorf("name %q is %d bytes long", name, len(name))
	}
	for _, name := range []string{tempName(tag{}), TempPrefix + "orphan", TempPrefix + "0123456789abcdef-xyz", name[:len(name)-1], name + "0"} {
		if _, ok := tagOf(name); ok {
			t.Errorf("tagOf(%q) found a tag", name)
		}
	}
	sw := swapTag{tg.target, versionID(1, 2, 3), versionID(4, 5, 6)}
	swapped := sw.name(name)
	if got, ok := swapTagOf(swapped); !ok || got != sw || !strings.HasPrefix(swapped, name[:tempRandLen]) {
		t.Errorf("swapTagOf(%q) = %+v, %v; want %+v", swapped, got, ok, sw)
	}
	if _, ok := tagOf(swapped); ok {
		t.Errorf("tagOf(%q) found a write's tag in a swap's", swapped)
	}
	if _, ok := swapTagOf(name); ok {
		t.Errorf("swapTagOf(%q) found a swap's tag in a write's", name)
	}
	if newTag("b.md", s, nil) == newTag("a.md", s, nil) || newTag("a.md", s, []byte("x")) == newTag("a.md", s, nil) {
		t.Error("tags of different targets or contents are equal")
	}
}

// Where the unnamed temp file cannot be named (no /proc), Replace starts
// over with a named one, and goes on that way.
func TestReplaceWithoutProc(t *testing.T) {
	dir, root := newRoot(t)
	path := filepath.Join(dir, "note.md")
	writeFile(t, path, crashOld, 0o644)
	procFD = filepath.Join(dir, "no-proc") + "/"
	noEmptyPath.Store(true) // as for a process linkat(2) refuses AT_EMPTY_PATH
	defer func() { procFD = "/proc/self/fd/"; noTmpfile.Store(false); noEmptyPath.Store(false) }()
	for i, content := range [][]byte{crashOurs, crashSave} {
		s, err := Read(root, "note.md", 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := replace(root, "note.md", s, content); err != nil {
			t.Fatalf("write %d: %v", i+1, err)
		}
		if b := readFile(t, path); !bytes.Equal(b, content) {
			t.Fatalf("after write %d the file holds %q", i+1, b)
		}
		if !noTmpfile.Load() {
			t.Fatalf("after write %d, unnamed temp files are still tried", i+1)
		}
	}
	if left := temps(t, dir); len(left) > 0 {
		t.Errorf("temp files left: %q", left)
	}
}

// Where the kernel lets linkat(2) name a file by its descriptor
// (AT_EMPTY_PATH), the unnamed temp file is named that way, with no
// /proc at all.
func TestTempLinkedByDescriptor(t *testing.T) {
	dir, root := newRoot(t)
	path := filepath.Join(dir, "note.md")
	writeFile(t, path, crashOld, 0o644)
	procFD = filepath.Join(dir, "no-proc") + "/"
	defer func() { procFD = "/proc/self/fd/"; noTmpfile.Store(false); noEmptyPath.Store(false) }()
	s, err := Read(root, "note.md", 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := replace(root, "note.md", s, crashOurs); err != nil {
		t.Fatal(err)
	}
	if noEmptyPath.Load() {
		t.Skip("linkat(2) refuses AT_EMPTY_PATH to this process (Linux before 6.10, without CAP_DAC_READ_SEARCH)")
	}
	if noTmpfile.Load() {
		t.Error("the unnamed temp file was not named by its descriptor: Replace fell back to named temp files")
	}
	if b := readFile(t, path); !bytes.Equal(b, crashOurs) {
		t.Errorf("the file holds %q", b)
	}
	if left := temps(t, dir); len(left) > 0 {
		t.Errorf("temp files left: %q", left)
	}
}

// A conflict copy of a file with a long name in UTF-8 gets a name that
// fits (255 bytes) and is still valid UTF-8.
func TestConflictCopyOfLongName(t *testing.T) {
	dir, root := newRoot(t)
	base := strings.Repeat("é", 118) + ".md" // 239 bytes
	writeFile(t, filepath.Join(dir, base), crashSave, 0o644)
	d, err := openDir(root, ".")
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	temp := filepath.Join(dir, tempName(tag{}))
	writeFile(t, temp, crashSave, 0o600)
	for range 2 { // an odd and an even cut
		kept, err := d.keepAs(filepath.Base(temp), base)
		if err != nil {
			t.Fatal(err)
		}
		if len(kept) > 255 || !utf8.ValidString(kept) || !strings.HasPrefix(kept, ".scribe-conflict-") {
			t.Errorf("conflict copy named %q (%d bytes)", kept, len(kept))
		}
		if b := readFile(t, filepath.Join(dir, kept)); !bytes.Equal(b, crashSave) {
			t.Errorf("conflict copy holds %q", b)
		}
		writeFile(t, temp, crashSave, 0o600)
		base = "x" + base
	}
}
