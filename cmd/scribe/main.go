// Command scribe is a live automation engine for folders of Markdown and text
// files. See `scribe --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/scribe-md/scribe/internal/cli"
)

func main() {
	cli.OwnProcess = true
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
