package cli

import (
	"fmt"
	"os"
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

// stopProfile ends the profile startProfile began, if any.
func stopProfile(g *globals) {
	if g.profile == nil {
		return
	}
	pprof.StopCPUProfile()
	if err := g.profile.Close(); err != nil {
		fmt.Fprintf(g.stderr, "scribe: --cpuprofile: %v\n", err)
	}
	g.profile = nil
}
