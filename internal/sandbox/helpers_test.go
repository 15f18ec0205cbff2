package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/action"
)

var (
	helperMu  sync.Mutex
	helperDir string
)

// helper returns the resolved path of a private copy of the test binary
// started as the named helper, in dir (a fresh one when dir is "").
func helper(t testing.TB, dir, name string) string {
	t.Helper()
	if dir == "" {
		helperMu.Lock()
		if helperDir == "" {
			d, err := os.MkdirTemp("", "sandbox-helpers-")
			if err != nil {
				helperMu.Unlock()
				t.Fatal(err)
			}
			helperDir = d
		}
		dir = helperDir
		helperMu.Unlock()
	}
	dst := filepath.Join(dir, name)
	if _, err := os.Stat(dst); err != nil {
		copyExecutable(t, dst)
	}
	real, err := ResolveCommand(dst)
	if err != nil {
		t.Fatal(err)
	}
	return real
}

// copyExecutable writes a copy of the test binary to dst atomically.
func copyExecutable(t testing.TB, dst string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".copy-")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(tmp, src); err != nil {
		t.Fatal(err)
	}
	if err := tmp.Chmod(0o755); err != nil {
		t.Fatal(err)
	}
	if err := tmp.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		t.Fatal(err)
	}
}

// system resolves a program of this machine, skipping the test if absent.
func system(t testing.TB, path string) string {
	t.Helper()
	real, err := ResolveCommand(path)
	if err != nil {
		t.Skipf("%s not usable here: %v", path, err)
	}
	return real
}

// recordRun runs the recorder through a fresh Runner over root and decodes
// what it saw.
func recordRun(t testing.TB, root string, env []string, c action.Command) (record, error) {
	t.Helper()
	r := NewRunner(root, map[string]string{"rec": helper(t, "", recorderName)}, env, 0)
	c.Name = "rec"
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Second
	}
	res, err := r.Run(context.Background(), c)
	if err != nil {
		return record{}, err
	}
	var rec record
	if err := json.Unmarshal(res.Stdout, &rec); err != nil {
		t.Fatalf("decode recorder output %q: %v", res.Stdout, err)
	}
	return rec, nil
}

func strs(bs [][]byte) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = string(b)
	}
	return out
}

// groupMembers lists the live (non-zombie) processes whose process group is
// pgid, by scanning /proc.
func groupMembers(t testing.TB, pgid int) []int {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // it ended meanwhile
		}
		// Fields after the parenthesised command name: state ppid pgrp ...
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 3 || f[0] == "Z" || f[0] == "X" {
			continue
		}
		if g, _ := strconv.Atoi(f[2]); g == pgid {
			out = append(out, pid)
		}
	}
	return out
}

// processesWithArg lists live processes one of whose arguments is arg.
func processesWithArg(arg string) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cl, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil {
			continue
		}
		for _, a := range bytes.Split(cl, []byte{0}) {
			if string(a) == arg {
				out = append(out, pid)
				break
			}
		}
	}
	return out
}

func decodeRecord(t testing.TB, out []byte) record {
	t.Helper()
	var rec record
	if err := json.Unmarshal(out, &rec); err != nil {
		t.Fatalf("decode recorder output %q: %v", out, err)
	}
	return rec
}
