package sandbox

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/scribe-md/scribe/internal/action"
)

// Process is a long-lived allow-listed command started by Runner.Start, with
// pipes to its standard input, output and error: a process plugin. It runs
// under the same rules as Run: the allow-listed binary checked against its
// recorded identity, no shell, the allow-listed environment only, a working
// directory opened inside the root, and a process group of its own that is
// killed as a whole.
//
// The caller writes requests to Stdin and reads Stdout and Stderr. The pipes
// are the caller's to close, but once the process has ended (Done is closed)
// and its group is gone, Process closes the read ends itself after the wait
// delay, so a reader blocked by something that escaped the group still
// returns.
type Process struct {
	// Stdin is the write end of the child's standard input.
	Stdin *os.File
	// Stdout and Stderr are the read ends of the child's output pipes.
	Stdout, Stderr *os.File

	pid  int
	done chan struct{}
	err  error // how it ended, set before done is closed
	once sync.Once
}

// Start starts c as a long-lived process. c.Timeout and c.Stdin are
// ignored: the process lives until it exits or Kill is called. c.Files, if
// any, follow a "--" as in Run.
func (r *Runner) Start(c action.Command) (*Process, error) {
	bin, err := r.verify(c.Name)
	if err != nil {
		return nil, err
	}
	dir, err := openDir(r.root, c.Dir)
	if err != nil {
		return nil, fmt.Errorf("command %s: %w", c.Name, err)
	}
	defer dir.Close()

	var files []*os.File // every end, closed on failure
	closeAll := func() {
		for _, f := range files {
			f.Close()
		}
	}
	pipe := func() (*os.File, *os.File, error) {
		rd, wr, err := os.Pipe()
		if err == nil {
			files = append(files, rd, wr)
		}
		return rd, wr, err
	}
	inR, inW, err1 := pipe()
	outR, outW, err2 := pipe()
	errR, errW, err3 := pipe()
	if err := errors.Join(err1, err2, err3); err != nil {
		closeAll()
		return nil, fmt.Errorf("command %s: pipes: %w", c.Name, err)
	}

	cmd := exec.Command(bin.path)
	cmd.Args = Argv(bin.path, c.Args, c.Files)
	cmd.Env = r.environ(dir)
	cmd.Dir = procDir(dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// *os.File values are handed to the child as they are: no copying
	// goroutines in between, and the parent keeps the other ends.
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errW
	if err := cmd.Start(); err != nil {
		closeAll()
		return nil, fmt.Errorf("start command %s (%s): %w", c.Name, bin.path, err)
	}
	// The child holds its ends now; the parent's copies would keep the
	// pipes open after the child is gone.
	inR.Close()
	outW.Close()
	errW.Close()

	p := &Process{Stdin: inW, Stdout: outR, Stderr: errR, pid: cmd.Process.Pid, done: make(chan struct{})}
	go p.wait(cmd, r.waitDelay)
	return p, nil
}

// wait reaps the process. As in Run, it waits for the main process to end
// without reaping it, so that its pid (the group id) cannot be reused while
// the group is killed; whatever the process left in its group dies with it.
func (p *Process) wait(cmd *exec.Cmd, delay time.Duration) {
	awaitExit(p.pid)
	_ = killGroup(p.pid)
	err := cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			err = fmt.Errorf("was killed by %s", signalName(ws.Signal()))
		} else {
			err = fmt.Errorf("exited with status %d", ee.ExitCode())
		}
	} else if err == nil {
		err = errors.New("exited with status 0")
	}
	p.err = err
	close(p.done)
	// A process that left the group could still hold the output pipes;
	// do not let it keep a reader blocked.
	time.AfterFunc(delay, func() {
		p.Stdout.Close()
		p.Stderr.Close()
	})
}

// Pid returns the process id, which is also its process group id.
func (p *Process) Pid() int { return p.pid }

// Done is closed once the process has ended and been reaped.
func (p *Process) Done() <-chan struct{} { return p.done }

// Err describes how the process ended ("exited with status 2", "killed by
// signal killed"); nil while it runs.
func (p *Process) Err() error {
	select {
	case <-p.done:
		return p.err
	default:
		return nil
	}
}

// Kill sends SIGKILL to the process's whole group and closes its standard
// input. It is safe to call many times and after the process has ended.
func (p *Process) Kill() {
	p.once.Do(func() { p.Stdin.Close() })
	select {
	case <-p.done:
		// Reaped: the group id may belong to someone else now.
	default:
		_ = killGroup(p.pid)
	}
}

// Stop ends the process gracefully, then forcefully: it closes standard
// input (after the caller has written any farewell, e.g. a shutdown
// notification), waits up to grace for the process to exit on its own, then
// kills the group. It returns once the process is reaped. Safe to repeat.
func (p *Process) Stop(grace time.Duration) {
	p.once.Do(func() { p.Stdin.Close() })
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.done:
	case <-t.C:
		p.Kill()
		<-p.done
	}
}
