//go:build !linux

package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "bench/daemon: Linux only (inotify and /proc)")
	os.Exit(2)
}
