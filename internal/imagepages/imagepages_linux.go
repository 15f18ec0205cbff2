package imagepages

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Release drops the resident pages of the executable's read-only mappings
// and returns how many bytes of them were resident. Without /proc (a
// sandbox that does not mount it) it releases nothing and says nothing.
func Release() (int64, error) {
	maps, err := exeMappings()
	if err != nil {
		return 0, fmt.Errorf("release the executable's pages: %w", err)
	}
	return release(maps)
}

// Evict releases the pages as Release does, and also drops them from the
// kernel's page cache, where Release leaves them. First it asks the kernel
// not to read ahead in those mappings (madvise(MADV_RANDOM)), so that a
// page the process runs again is read back alone, not with the 64 KiB
// around it; then it drops the executable's cached pages that no process
// maps (posix_fadvise(POSIX_FADV_DONTNEED)). What Release leaves in the
// cache, fault-around maps back with every page faulted near it: the pages
// of every package's init, which run once. Without /proc it does nothing.
func Evict() (int64, error) {
	maps, err := exeMappings()
	if err != nil || len(maps) == 0 {
		return 0, err
	}
	for _, m := range maps {
		if _, _, e := unix.Syscall(unix.SYS_MADVISE, m.start, m.end-m.start, unix.MADV_RANDOM); e != 0 {
			return 0, fmt.Errorf("evict the executable's pages: madvise %x-%x: %w", m.start, m.end, e)
		}
	}
	released, err := release(maps)
	if err != nil {
		return released, err
	}
	f, err := os.Open("/proc/self/exe")
	if err != nil {
		return released, fmt.Errorf("evict the executable's pages: %w", err)
	}
	defer f.Close()
	if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
		return released, fmt.Errorf("evict the executable's pages: fadvise: %w", err)
	}
	return released, nil
}

// release unmaps the resident pages of maps and returns how many bytes were
// resident.
func release(maps []mapping) (int64, error) {
	var released int64
	for _, m := range maps {
		if _, _, e := unix.Syscall(unix.SYS_MADVISE, m.start, m.end-m.start, unix.MADV_DONTNEED); e != 0 {
			return released, fmt.Errorf("release the executable's pages: madvise %x-%x: %w", m.start, m.end, e)
		}
		released += m.rss
	}
	return released, nil
}

// exeMappings returns the mappings of this process that Release releases:
// those of its executable that m.releasable accepts. Without /proc it
// returns none.
func exeMappings() ([]mapping, error) {
	var st unix.Stat_t
	if err := unix.Stat("/proc/self/exe", &st); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return nil, err
	}
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	maps, err := parseSmaps(f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", f.Name(), err)
	}
	return slices.DeleteFunc(maps, func(m mapping) bool {
		return !m.releasable(exe, uint64(st.Dev), st.Ino)
	}), nil
}

// mapping is one entry of /proc/self/smaps.
type mapping struct {
	start, end uintptr
	perms      string
	dev        uint64 // unix.Mkdev of the entry's major:minor
	inode      uint64
	path       string
	rss, anon  int64 // bytes resident; of them, the mapping's own (copy-on-write) pages
}

// releasable says whether m maps the executable, the file at path or
// dev:ino, read-only and holds only that file's pages. The path is compared
// too because on some file systems (overlays, as containers use) the device
// a mapping names is not the one stat gives. A private mapping with pages of
// its own (a segment relocated at load and then made read-only) would go
// back to the file's bytes if released.
func (m mapping) releasable(path string, dev, ino uint64) bool {
	return (m.dev == dev && m.inode == ino || m.path != "" && m.path == path) &&
		m.rss > 0 && m.anon == 0 && len(m.perms) == 4 && m.perms[1] == '-'
}

// parseSmaps reads the mappings of a /proc/PID/smaps file: a header line
// per mapping ("start-end perms offset major:minor inode path"), then
// "Field: N kB" lines.
func parseSmaps(r io.Reader) ([]mapping, error) {
	var maps []mapping
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		name, rest, ok := bytes.Cut(b, []byte(":"))
		if ok && !bytes.ContainsAny(name, " -") { // a field
			if len(maps) == 0 {
				return nil, fmt.Errorf("line %d: a field before any mapping", line)
			}
			m := &maps[len(maps)-1]
			switch string(name) {
			case "Rss":
				m.rss, ok = kB(rest)
			case "Anonymous":
				m.anon, ok = kB(rest)
			}
			if !ok {
				return nil, fmt.Errorf("line %d: %q is not a size in kB", line, b)
			}
			continue
		}
		m, err := parseHeader(string(b))
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		maps = append(maps, m)
	}
	return maps, sc.Err()
}

// parseHeader reads "start-end perms offset major:minor inode [path]", the
// path padded with spaces and possibly holding spaces of its own.
func parseHeader(s string) (mapping, error) {
	f := make([]string, 0, 5)
	rest := s
	for range 5 {
		var field string
		field, rest, _ = strings.Cut(strings.TrimLeft(rest, " "), " ")
		f = append(f, field)
	}
	if f[4] == "" {
		return mapping{}, fmt.Errorf("%q is no mapping", s)
	}
	lo, hi, ok := strings.Cut(f[0], "-")
	start, err1 := strconv.ParseUint(lo, 16, 64)
	end, err2 := strconv.ParseUint(hi, 16, 64)
	major, minor, ok2 := strings.Cut(f[3], ":")
	maj, err3 := strconv.ParseUint(major, 16, 32)
	mnr, err4 := strconv.ParseUint(minor, 16, 32)
	ino, err5 := strconv.ParseUint(f[4], 10, 64)
	if !ok || !ok2 || err1 != nil || err2 != nil || err3 != nil || err4 != nil || err5 != nil || end < start {
		return mapping{}, fmt.Errorf("%q is no mapping", s)
	}
	return mapping{
		start: uintptr(start), end: uintptr(end), perms: f[1],
		dev: unix.Mkdev(uint32(maj), uint32(mnr)), inode: ino,
		path: strings.TrimLeft(rest, " "),
	}, nil
}

// kB reads " 1234 kB" as bytes.
func kB(b []byte) (int64, bool) {
	n, unit, ok := strings.Cut(strings.TrimSpace(string(b)), " ")
	v, err := strconv.ParseInt(n, 10, 64)
	return v << 10, ok && unit == "kB" && err == nil
}
