package cli

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

// startProfile starts the CPU profile the hidden --cpuprofile flag asks for.
// A profile that cannot be written is reported and the command goes on: it
// is a measuring aid, not part of what the command does.
func startProfile(g *globals) {
	if g.cpuProfile == "" {
		return
	}
	f, err := os.Create(g.cpuProfile)
	if err == nil {
		err = pprof.StartCPUProfile(f)
		if err != nil {
			f.Close()
		}
	}
	if err != nil {
		fmt.Fprintf(g.stderr, "scribe: --cpuprofile: %v\n", err)
		g.cpuProfile = ""
		return
	}
	g.profile = f
}

// stopProfile ends the profile startProfile began, if any, and writes the
// heap profile if nothing wrote it yet.
func stopProfile(g *globals) {
	defer heapProfile(g)
	if g.profile == nil {
		return
	}
	pprof.StopCPUProfile()
	if err := g.profile.Close(); err != nil {
		fmt.Fprintf(g.stderr, "scribe: --cpuprofile: %v\n", err)
	}
	g.profile = nil
}

// heapProfile writes the heap profile the hidden --memprofile flag asks for,
// once: the in-use figures are those of a collection run now, while the
// caller still holds what it made. run and check call it when the work is
// done, before the report prints; stopProfile calls it for other commands.
func heapProfile(g *globals) {
	if g.memProfile == "" {
		return
	}
	path := g.memProfile
	g.memProfile = ""
	runtime.GC()
	f, err := os.Create(path)
	if err == nil {
		err = pprof.Lookup("heap").WriteTo(f, 0)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(g.stderr, "scribe: --memprofile: %v\n", err)
	}
}
