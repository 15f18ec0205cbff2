package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/scribe-md/scribe/bench/bareloop"
)

// bareChildEnv, set in this program's environment, makes it the bare loop's
// child process (-bare-process) instead of the benchmark.
const bareChildEnv = "SCRIBE_BENCH_BARE_CHILD"

// bareChild runs the bare loop as the child of -bare-process: it takes the
// loop's options as flags, writes "ready" on stdout once the tree is
// watched, answers each line on stdin with the count of rewrites so far,
// and stops at the end of stdin.
func bareChild(args []string) error {
	fs := flag.NewFlagSet("bare loop child", flag.ContinueOnError)
	var opts bareloop.Options
	fs.StringVar(&opts.Dir, "dir", "", "tree to watch")
	fs.IntVar(&opts.Workers, "workers", 4, "rewriting goroutines")
	fs.BoolVar(&opts.DirSync, "dirsync", true, "fsync the directory after each rename")
	fs.DurationVar(&opts.Settle, "settle", 0, "delay each rewrite by this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var n atomic.Int64
	opts.Written = &n
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan struct{})
	errc := make(chan error, 1)
	go func() { errc <- bareloop.Run(ctx, opts, ready) }()
	select {
	case <-ready:
	case err := <-errc:
		return err
	}
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(out, "ready")
	out.Flush()
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		fmt.Fprintln(out, n.Load())
		out.Flush()
	}
	cancel()
	return <-errc
}

// bareProcTarget is the bare loop in a child process (-bare-process), this
// program re-executed in bareChild's mode.
type bareProcTarget struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	exited chan error
}

// startBareProcess starts the bare loop's child on tree and waits until it
// watches the tree.
func (b *bench) startBareProcess(ctx context.Context, tree string) (*bareProcTarget, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "-dir", tree, "-workers", strconv.Itoa(b.f.workers),
		"-dirsync="+strconv.FormatBool(b.f.dirSync), "-settle", b.f.bareWait.String())
	cmd.Env = append(os.Environ(), bareChildEnv+"=1")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	t := &bareProcTarget{cmd: cmd, in: in, out: bufio.NewReader(out), exited: make(chan error, 1)}
	line := make(chan string, 1)
	go func() {
		s, _ := t.out.ReadString('\n')
		line <- s
	}()
	select {
	case s := <-line:
		if strings.TrimSpace(s) == "ready" {
			go func() { t.exited <- cmd.Wait() }()
			return t, nil
		}
		in.Close()
		return nil, fmt.Errorf("bare loop's child: %v", cmd.Wait())
	case <-ctx.Done():
		cmd.Process.Kill()
		cmd.Wait()
		return nil, ctx.Err()
	}
}

// written asks the child for its count of rewrites.
func (t *bareProcTarget) written(context.Context) (int64, error) {
	if _, err := io.WriteString(t.in, "?\n"); err != nil {
		return 0, fmt.Errorf("bare loop's child: %w", err)
	}
	s, err := t.out.ReadString('\n')
	if err != nil {
		return 0, fmt.Errorf("bare loop's child: %w", err)
	}
	return strconv.ParseInt(strings.TrimSpace(s), 10, 64)
}

func (t *bareProcTarget) pid() int { return t.cmd.Process.Pid }

// stop ends the child's stdin, which stops it, and kills it if it has not
// exited within a minute.
func (t *bareProcTarget) stop() error {
	t.in.Close()
	select {
	case err := <-t.exited:
		return err
	case <-time.After(time.Minute):
		t.cmd.Process.Kill()
		return <-t.exited
	}
}
