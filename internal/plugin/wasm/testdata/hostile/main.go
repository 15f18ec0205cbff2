// Command hostile is a WebAssembly plugin that tries what a malicious or
// broken plugin would: escape its sandbox, spin, allocate without bound.
// The wasm runtime's tests build it with GOOS=wasip1 GOARCH=wasm.
package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"unsafe"

	"github.com/scribe-md/scribe/plugin"
)

// protocol is what initialize answers; tests build a variant with 2.
var protocol = "1"

// noread, set by a test build, makes the module answer the handshake
// without reading its input: a plugin whose pre-started instances end
// before they read a request.
var noread = ""

func main() {
	if noread != "" {
		fmt.Println(`{"jsonrpc":"2.0","id":1,"result":{"protocol":1,"actions":["noop"]}}`)
		return
	}
	if protocol != "1" {
		// Answer the handshake by hand with the wrong version.
		buf := make([]byte, 4096)
		n, _ := os.Stdin.Read(buf)
		id := "1"
		if i := strings.Index(string(buf[:n]), `"id":`); i >= 0 {
			id = strings.SplitN(string(buf[i+5:n]), ",", 2)[0]
		}
		fmt.Printf(`{"jsonrpc":"2.0","id":%s,"result":{"protocol":%s,"actions":["noop"]}}`+"\n", id, protocol)
		return
	}
	plugin.Main()
}

// actions are what the module serves: in main as a command module, from
// the SDK's scribe_serve export as a reactor (-buildmode=c-shared).
var actions = plugin.Actions{
	"noop": func(context.Context, plugin.Request) (plugin.RunResult, error) { return plugin.RunResult{}, nil },
	"spin": func(context.Context, plugin.Request) (plugin.RunResult, error) {
		for {
		}
	},
	"alloc": func(context.Context, plugin.Request) (plugin.RunResult, error) {
		var keep [][]byte
		for {
			b := make([]byte, 1<<20)
			for i := range b {
				b[i] = 1
			}
			keep = append(keep, b)
		}
	},
	// count reports how often init and count ran in this instance's
	// memory: a reactor's instance restored from its image sees init's
	// run and no other request's.
	"count": func(context.Context, plugin.Request) (plugin.RunResult, error) {
		counted++
		return plugin.RunResult{Findings: []plugin.Finding{{Message: fmt.Sprintf("inits %d counted %d", inits, counted)}}}, nil
	},
	"flood": func(context.Context, plugin.Request) (plugin.RunResult, error) {
		s := strings.Repeat("x", 1<<20)
		for range 1 << 10 {
			os.Stdout.WriteString(s) // 1 GiB in all
		}
		return plugin.RunResult{}, nil
	},
	// stash fills 8 MiB of memory with the inverse of the secret
	// parameter, and scan counts the copies of that pattern anywhere in
	// linear memory. The pattern is made and searched for from the
	// secret without ever being written as a needle, so a copy found
	// by scan was left by an earlier request: what a fresh instance per
	// request must make impossible. stashscan does both in one request,
	// the control that shows scan finds what is there.
	"stash": func(_ context.Context, req plugin.Request) (plugin.RunResult, error) {
		stashed = stash(secret(req))
		return plugin.RunResult{}, nil
	},
	"scan": func(_ context.Context, req plugin.Request) (plugin.RunResult, error) {
		return found(scan(secret(req))), nil
	},
	"stashscan": func(_ context.Context, req plugin.Request) (plugin.RunResult, error) {
		s := secret(req)
		stashed = stash(s)
		return found(scan(s)), nil
	},
	// escape tries to read, write and link outside the sandbox and
	// reports what happened, one finding per attempt.
	"escape": func(_ context.Context, req plugin.Request) (plugin.RunResult, error) {
		var p struct {
			Canary string `json:"canary"`
			Dir    string `json:"dir"`
		}
		req.Decode(&p)
		var res plugin.RunResult
		report := func(what string, err error) {
			msg := "DENIED " + what
			if err == nil {
				msg = "ALLOWED " + what
			}
			res.Findings = append(res.Findings, plugin.Finding{Message: msg})
		}
		_, err := os.ReadFile("/etc/passwd")
		report("read /etc/passwd", err)
		_, err = os.ReadFile("../../etc/passwd")
		report("read ../../etc/passwd", err)
		_, err = os.ReadDir(".")
		report("list .", err)
		err = os.WriteFile(p.Dir+"/created", []byte("x"), 0o644)
		report("write "+p.Dir+"/created", err)
		err = os.WriteFile("created", []byte("x"), 0o644)
		report("write ./created", err)
		err = os.Symlink("/etc/passwd", p.Dir+"/link")
		report("symlink", err)
		f, err := os.OpenFile(p.Canary, os.O_RDONLY, 0)
		if err == nil {
			f.Close()
		}
		report("open the canary FIFO", err)
		if len(os.Environ()) > 0 {
			report("environment: "+strings.Join(os.Environ(), " "), nil)
		}
		if len(os.Args) != 1 {
			report(fmt.Sprintf("arguments: %q", os.Args), nil)
		}
		return res, nil
	},
}

// init registers the actions. Built as a reactor, the module runs init in
// its _initialize; the name the runtime gives it (its only argument)
// then chooses a fault for the tests: "initspin" never returns,
// "initprint" writes to standard output, "initpanic" panics.
func init() {
	inits++
	var name string
	if len(os.Args) > 0 {
		name = os.Args[0]
	}
	switch name {
	case "initspin":
		for {
		}
	case "initprint":
		fmt.Println("hello from init")
	case "initpanic":
		panic("init failed")
	}
	plugin.Register(actions, plugin.Options{})
}

// inits counts the runs of init, counted the count requests.
var inits, counted int

// stashed keeps the stash alive until the instance ends.
var stashed []byte

func secret(req plugin.Request) []byte {
	var p struct {
		Secret string `json:"secret"`
	}
	req.Decode(&p)
	if len(p.Secret) < 8 {
		panic("the secret must be at least 8 bytes")
	}
	return []byte(p.Secret)
}

func stash(secret []byte) []byte {
	b := make([]byte, 8<<20)
	for i := range b {
		b[i] = ^secret[i%len(secret)]
	}
	return b
}

// scan counts where the inverse of secret starts, anywhere between address
// 1 and the end of a fresh 32 MiB allocation: past all memory an earlier
// instance of this module could have touched with stash.
func scan(secret []byte) int {
	top := make([]byte, 32<<20)
	p := unsafe.Pointer(&top[len(top)-1])
	end := int(uintptr(p))
	mem := unsafe.Slice((*byte)(unsafe.Add(p, 1-end)), end)
	n, first := 0, ^secret[0]
	for i := 0; i+len(secret) <= len(mem); i++ {
		k := bytes.IndexByte(mem[i:], first)
		if k < 0 {
			break
		}
		if i += k; i+len(secret) > len(mem) {
			break
		}
		j := 0
		for j < len(secret) && mem[i+j] == ^secret[j] {
			j++
		}
		if j == len(secret) {
			n++
			i += len(secret) - 1
		}
	}
	return n
}

func found(n int) plugin.RunResult {
	return plugin.RunResult{Findings: []plugin.Finding{{Message: fmt.Sprintf("found %d", n)}}}
}
