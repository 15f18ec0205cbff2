package imagepages

import (
	"crypto/sha256"
	"os"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

const sample = `00400000-01a00000 r-xp 00000000 fe:00 4242                       /usr/bin/scribe
Size:              22528 kB
Rss:               15104 kB
Anonymous:             0 kB
VmFlags: rd ex mr mw me dw sd
01a00000-02e00000 r--p 01600000 fe:00 4242                       /usr/bin/scribe
Rss:                9600 kB
Anonymous:             0 kB
02e00000-02e40000 r--p 02a00000 fe:00 4242                       /usr/bin/scribe
Rss:                 256 kB
Anonymous:            64 kB
02e40000-02f00000 rw-p 02a40000 fe:00 4242                       /usr/bin/scribe
Rss:                 768 kB
Anonymous:           512 kB
7f0000000000-7f0000200000 r-xp 00000000 fe:00 77                 /usr/lib/x86_64-linux-gnu/libc.so.6
Rss:                1024 kB
Anonymous:             0 kB
7f0000200000-7f0000300000 r--p 00000000 00:2a 4242               /usr/bin/scribe
Rss:                1024 kB
Anonymous:             0 kB
7f0000400000-7f0000500000 r--p 00000000 00:2b 99                 /opt/my tools/scribe (deleted)
Rss:                 512 kB
Anonymous:             0 kB
7f0000300000-7f0000400000 rw-p 00000000 00:00 0 
Rss:                1024 kB
Anonymous:          1024 kB
7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                  [stack]
Rss:                  16 kB
Anonymous:            16 kB
`

func TestParseSmaps(t *testing.T) {
	maps, err := parseSmaps(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(maps) != 9 {
		t.Fatalf("%d mappings, want 9: %+v", len(maps), maps)
	}
	dev := unix.Mkdev(0xfe, 0)
	var got []bool
	for _, m := range maps {
		got = append(got, m.releasable("/usr/bin/scribe", dev, 4242))
	}
	// The code and the read-only data are released, also where the
	// mapping names another device (an overlay); a read-only segment with
	// copy-on-write pages (relocated at load), the data, another file's
	// code, a file of another name and device, and anonymous memory are
	// not.
	want := []bool{true, true, false, false, false, true, false, false, false}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("mapping %d (%s, inode %d, anonymous %d): releasable %v, want %v", i, maps[i].perms, maps[i].inode, maps[i].anon, got[i], want[i])
		}
	}
	if m := maps[0]; m.start != 0x400000 || m.end != 0x1a00000 || m.rss != 15104<<10 || m.inode != 4242 || m.dev != dev || m.path != "/usr/bin/scribe" {
		t.Errorf("first mapping read as %+v", m)
	}
	if m := maps[6]; m.path != "/opt/my tools/scribe (deleted)" || m.rss != 512<<10 {
		t.Errorf("a path with a space read as %+v", m)
	}
	if m := maps[7]; m.path != "" || m.inode != 0 {
		t.Errorf("an anonymous mapping read as %+v", m)
	}
}

func TestParseSmapsErrors(t *testing.T) {
	for _, in := range []string{
		"Rss: 4 kB\n",
		"00400000-01a00000 r-xp 00000000 fe:00 4242 /bin/x\nRss: many kB\n",
		"00400000-01a00000 r-xp 00000000 fe:00 4242 /bin/x\nRss: 4 MB\n",
		"zz-01a00000 r-xp 00000000 fe:00 4242 /bin/x\n",
		"01a00000-00400000 r-xp 00000000 fe:00 4242 /bin/x\n",
		"00400000-01a00000 r-xp 00000000\n",
	} {
		if _, err := parseSmaps(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), "line ") {
			t.Errorf("parseSmaps(%q) = %v, want an error naming the line", in, err)
		}
	}
}

// exeResident reads how much of the test binary Release would release.
func exeResident(t *testing.T) int64 {
	t.Helper()
	maps, err := exeMappings()
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, m := range maps {
		n += m.rss
	}
	return n
}

func TestRelease(t *testing.T) {
	sum := sha256.Sum256([]byte(sample)) // a constant: read-only data
	before := exeResident(t)
	if before == 0 {
		t.Fatal("no page of the test binary is resident")
	}
	n, err := Release()
	if err != nil {
		t.Fatal(err)
	}
	after := exeResident(t)
	t.Logf("resident before %d KiB, released %d KiB, resident after %d KiB", before>>10, n>>10, after>>10)
	if n <= 0 || after >= before {
		t.Errorf("released %d bytes; resident %d bytes before, %d after", n, before, after)
	}
	// The code and data released are the file's: the program goes on, and
	// reads the same constants.
	if sha256.Sum256([]byte(sample)) != sum {
		t.Error("a constant reads otherwise after the release")
	}
	if _, err := Release(); err != nil {
		t.Errorf("a second release: %v", err)
	}
}

// cached counts the pages of the file at path in the page cache (mincore
// over a mapping of its own).
func cached(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	b, err := unix.Mmap(int(f.Fd()), 0, int(fi.Size()), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(b)
	vec := make([]byte, (len(b)+os.Getpagesize()-1)/os.Getpagesize())
	if _, _, e := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), uintptr(unsafe.Pointer(&vec[0]))); e != 0 {
		t.Fatal(e)
	}
	n := 0
	for _, v := range vec {
		n += int(v & 1)
	}
	return n
}

func TestEvict(t *testing.T) {
	sum := sha256.Sum256([]byte(sample))
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var fs unix.Statfs_t
	if err := unix.Statfs(exe, &fs); err == nil && fs.Type == unix.TMPFS_MAGIC {
		t.Skip("the test binary is in memory (tmpfs): there is no page cache to evict from")
	}
	// The test binary was just linked: its pages may not be on the disk yet,
	// and the kernel keeps those in the cache.
	f, err := os.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	err = unix.Fsync(int(f.Fd()))
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	before := cached(t, exe)
	n, err := Evict()
	if err != nil {
		t.Fatal(err)
	}
	after := cached(t, exe)
	t.Logf("cached pages before %d, after %d; released %d KiB", before, after, n>>10)
	// Not all of them: the page cache holds a file in folios of up to 64
	// KiB or more, and a folio goes only when none of its pages is mapped,
	// while the test runs on.
	if n <= 0 || after >= before {
		t.Errorf("released %d bytes; %d pages cached before, %d after", n, before, after)
	}
	// The program goes on, reading its code and constants back from the
	// file as it needs them.
	if sha256.Sum256([]byte(sample)) != sum {
		t.Error("a constant reads otherwise after the eviction")
	}
	if _, err := Evict(); err != nil {
		t.Errorf("a second eviction: %v", err)
	}
}

func BenchmarkRelease(b *testing.B) {
	for b.Loop() {
		if _, err := Release(); err != nil {
			b.Fatal(err)
		}
	}
}
