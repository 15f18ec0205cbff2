package sandbox

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/scribe-md/scribe/internal/action"
	"golang.org/x/sys/unix"
)

// DefaultOutputCap is the per-stream output cap used when NewRunner is given
// a cap of zero or less.
const DefaultOutputCap = 8 << 20

// waitDelay is how long Wait waits for the output pipes to close after the
// process group was killed or the main process ended. Only a process that
// left the group can hold them that long.
const waitDelay = 500 * time.Millisecond

// Errors Run returns (wrapped), besides ErrOutputCapped and ErrOutsideRoot.
var (
	// ErrNotAllowed is returned for a command name not in security.commands.
	ErrNotAllowed = errors.New("command not allowed")
	// ErrBinaryChanged is returned when a command's file changed since the
	// configuration was loaded.
	ErrBinaryChanged = errors.New("command binary changed since the configuration was loaded")
)

// Runner implements action.CommandRunner for one root.
type Runner struct {
	root      string
	commands  map[string]binary
	env       []string
	outputCap int64
	waitDelay time.Duration
}

// binary is an allow-listed program and the identity it had when the Runner
// was built.
type binary struct {
	path string
	id   identity
	sum  [sha256.Size]byte // of the content
	err  error             // why the identity could not be recorded
}

var _ action.CommandRunner = (*Runner)(nil)

// NewRunner returns a Runner for root (an absolute directory) that may run
// commands (security.commands names mapped to paths already checked by
// ResolveCommand) with only the env variables named (security.env), capturing
// at most outputCap bytes of each output stream (DefaultOutputCap if ≤ 0). It
// records each binary's identity now: build the Runner right after the
// configuration loads, and again on every reload.
func NewRunner(root string, commands map[string]string, env []string, outputCap int64) *Runner {
	if outputCap <= 0 {
		outputCap = DefaultOutputCap
	}
	r := &Runner{
		root:      root,
		commands:  make(map[string]binary, len(commands)),
		env:       slices.Clone(env),
		outputCap: outputCap,
		waitDelay: waitDelay,
	}
	for name, path := range commands {
		b := binary{path: path}
		fi, err := os.Lstat(path)
		if err == nil {
			err = checkBinary(path, path, fi)
		}
		if err == nil {
			b.id, b.sum, err = contentHash(path)
		}
		b.err = err
		r.commands[name] = b
	}
	return r
}

// Run runs c and returns what it produced. The result carries the captured
// output even when Run fails. ExitCode is the command's exit status, or -1
// when it did not exit on its own (timeout, cancellation, output cap, a
// signal) or never started. A non-zero exit is an error that quotes the first
// lines of standard error.
func (r *Runner) Run(ctx context.Context, c action.Command) (action.CommandResult, error) {
	failed := action.CommandResult{ExitCode: -1}
	bin, err := r.verify(c.Name)
	if err != nil {
		return failed, err
	}
	dir, err := openDir(r.root, c.Dir)
	if err != nil {
		return failed, fmt.Errorf("command %s: %w", c.Name, err)
	}
	defer dir.Close()

	if c.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Timeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, bin.path)
	cmd.Args = Argv(bin.path, c.Args, c.Files)
	cmd.Env = r.environ(dir)
	cmd.Dir = procDir(dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return killGroup(cmd.Process.Pid) }
	cmd.WaitDelay = r.waitDelay
	kill := func() { _ = killGroup(cmd.Process.Pid) }
	stdout := &capWriter{limit: r.outputCap, onOverflow: kill}
	stderr := &capWriter{limit: r.outputCap, onOverflow: kill}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if len(c.Stdin) > 0 {
		cmd.Stdin = bytes.NewReader(c.Stdin)
	}

	contain := becomeSubreaper() == nil
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return failed, fmt.Errorf("start command %s (%s): %w", c.Name, bin.path, err)
	}
	dir.Close()
	var handle *int
	if st, err := readStat(cmd.Process.Pid); contain && err == nil {
		handle = register(st.start)
		defer unregister(handle)
	}
	// Wait for the main process to end without reaping it: while it is a
	// zombie its pid, and so the group id, cannot be reused, so killing the
	// group cannot hit an unrelated process. Whatever it left running in
	// its group dies with it.
	awaitExit(cmd.Process.Pid)
	kill()
	if handle != nil {
		// What left the group, reparented to us, dies too, before Wait
		// waits for the output pipes it may hold.
		escaped.Add(int64(sweep(handle, cmd.Process.Pid)))
	}
	werr := cmd.Wait()

	res := action.CommandResult{
		ExitCode:  -1,
		Stdout:    stdout.buf,
		Stderr:    stderr.buf,
		Truncated: stdout.over || stderr.over,
	}
	if cmd.ProcessState != nil {
		res.ExitCode = cmd.ProcessState.ExitCode()
	}
	return r.outcome(ctx, c, res, werr, time.Since(start))
}

// outcome turns how the command ended into Run's result and error.
func (r *Runner) outcome(ctx context.Context, c action.Command, res action.CommandResult, werr error, took time.Duration) (action.CommandResult, error) {
	switch {
	case res.Truncated:
		res.ExitCode = -1
		return res, fmt.Errorf("command %s: %w (%d bytes per stream); its process group was killed", c.Name, ErrOutputCapped, r.outputCap)
	case ctx.Err() != nil:
		res.ExitCode = -1
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return res, fmt.Errorf("command %s timed out after %v; its process group was killed: %w", c.Name, took.Round(time.Millisecond), ctx.Err())
		}
		return res, fmt.Errorf("command %s canceled; its process group was killed: %w", c.Name, context.Cause(ctx))
	}
	var ee *exec.ExitError
	switch {
	case werr == nil:
		return res, nil
	case errors.As(werr, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return res, fmt.Errorf("command %s was killed by %s%s", c.Name, signalName(ws.Signal()), stderrHead(res.Stderr))
		}
		return res, fmt.Errorf("command %s exited with status %d%s", c.Name, res.ExitCode, stderrHead(res.Stderr))
	case errors.Is(werr, exec.ErrWaitDelay):
		return res, fmt.Errorf("command %s exited, but a process it started outside its process group kept its output open; output may be incomplete: %w", c.Name, werr)
	default:
		return res, fmt.Errorf("command %s: %w", c.Name, werr)
	}
}

// verify returns the allow-listed binary named name after checking that its
// file is still the one recorded by NewRunner.
func (r *Runner) verify(name string) (binary, error) {
	bin, ok := r.commands[name]
	if !ok {
		names := make([]string, 0, len(r.commands))
		for n := range r.commands {
			names = append(names, n)
		}
		slices.Sort(names)
		allowed := "none: security.commands is empty"
		if len(names) > 0 {
			allowed = strings.Join(names, ", ")
		}
		return bin, fmt.Errorf("%w: %q is not in security.commands (allowed: %s)", ErrNotAllowed, name, allowed)
	}
	if bin.err != nil {
		return bin, fmt.Errorf("command %s cannot be run: %w", name, bin.err)
	}
	fi, err := os.Lstat(bin.path)
	if err != nil {
		return bin, fmt.Errorf("%w: %s (%s): %w; reload the configuration once the program is back", ErrBinaryChanged, name, bin.path, err)
	}
	if err := checkBinary(bin.path, bin.path, fi); err != nil {
		return bin, fmt.Errorf("%w: %w", ErrBinaryChanged, err)
	}
	if now := identityOf(fi); now != bin.id {
		// The same file (device, inode), mode and owner, with other times
		// or size: its content must still be what was recorded (a touch is
		// fine; a rewrite with the size and mtime put back is not).
		changed := now.dev != bin.id.dev || now.ino != bin.id.ino || now.mode != bin.id.mode || now.uid != bin.id.uid
		if !changed {
			_, sum, err := contentHash(bin.path)
			changed = err != nil || sum != bin.sum
		}
		if changed {
			return bin, fmt.Errorf("%w: %s (%s): %s; if the change is legitimate (an upgrade), reload the configuration (SIGHUP) to accept it", ErrBinaryChanged, name, bin.path, describeChange(bin.id, now))
		}
	}
	return bin, nil
}

// environ builds the child's environment from the allow-listed names alone.
// It is never nil: a nil Env would make os/exec pass Scribe's whole
// environment.
func (r *Runner) environ(dir *os.File) []string {
	env := make([]string, 0, len(r.env))
	for _, name := range r.env {
		if name == "PWD" {
			// Scribe's own PWD would lie about where the child runs.
			if real, err := os.Readlink(procDir(dir)); err == nil {
				env = append(env, "PWD="+real)
			}
			continue
		}
		if v, ok := os.LookupEnv(name); ok {
			env = append(env, name+"="+v)
		}
	}
	return env
}

// Argv returns the argument vector Run passes for a command at path: the
// path, args, then "--" and files when there are any. Every element is passed
// to execve as it is; nothing is split, quoted or expanded.
func Argv(path string, args, files []string) []string {
	argv := make([]string, 0, 2+len(args)+len(files))
	argv = append(argv, path)
	argv = append(argv, args...)
	if len(files) > 0 {
		argv = append(argv, "--")
		argv = append(argv, files...)
	}
	return argv
}

// killGroup sends SIGKILL to the process group led by pid.
func killGroup(pid int) error {
	err := syscall.Kill(-pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return os.ErrProcessDone
	}
	return err
}

// awaitExit blocks until process pid has exited, leaving it unreaped.
func awaitExit(pid int) {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if !errors.Is(err, unix.EINTR) {
			return
		}
	}
}

// signalName names a signal for a message: "SIGTERM (terminated)".
func signalName(sig syscall.Signal) string {
	if name := unix.SignalName(sig); name != "" {
		return fmt.Sprintf("%s (%v)", name, sig)
	}
	return fmt.Sprintf("signal %d", int(sig))
}

// stderrHead formats the first lines of a command's standard error for an
// error message.
func stderrHead(stderr []byte) string {
	const maxLines, maxBytes = 5, 512
	s := strings.TrimSpace(strings.ToValidUTF8(string(stderr), "\uFFFD"))
	if s == "" {
		return " (no output on stderr)"
	}
	lines := strings.Split(s, "\n")
	if len(lines) > maxLines {
		lines = append(lines[:maxLines], "…")
	}
	s = strings.Join(lines, "\n")
	if len(s) > maxBytes {
		s = strings.ToValidUTF8(s[:maxBytes], "") + "…"
	}
	return ": " + s
}
