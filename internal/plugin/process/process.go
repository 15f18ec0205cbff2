package process

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/plugin/response"
	"github.com/scribe-md/scribe/internal/sandbox"
	wire "github.com/scribe-md/scribe/plugin"
)

// Defaults of Config.
const (
	DefaultHandshakeTimeout = 10 * time.Second
	DefaultMaxReply         = 17 << 20
	// ShutdownGrace is how long an instance has to exit after shutdown
	// before its process group is killed (SPEC §3: 2 s).
	ShutdownGrace = 2 * time.Second
	// MinBackoff and MaxBackoff bound the wait before an instance is
	// started again after one ended on its own.
	MinBackoff = 100 * time.Millisecond
	MaxBackoff = 30 * time.Second
	// maxStderrLine caps one logged line of a plugin's standard error.
	maxStderrLine = 4 << 10
	// stderrTail is how many of its last stderr lines an error quotes.
	stderrTail = 5
)

// Config describes a process plugin's runtime.
type Config struct {
	// Name is the plugin's name, used in logs and errors.
	Name string
	// Runner starts the processes; its root is the plugin folder, which is
	// each process's working directory.
	Runner *sandbox.Runner
	// Command is what to start: Name is the security.commands name, Args
	// the rest of the manifest's command.
	Command action.Command
	// Concurrency is the requests one instance handles at once (≥ 1).
	Concurrency int
	// Instances is how many instances may run at once (≥ 1).
	Instances int
	// Handshake checks the initialize result; an error refuses the plugin
	// until it is reloaded.
	Handshake func(wire.InitializeResult) error
	// HandshakeTimeout bounds the initialize exchange (default 10 s).
	HandshakeTimeout time.Duration
	// BeforeStart, when set, runs before each process starts (the sha256
	// pin is checked again there); an error refuses the plugin.
	BeforeStart func() error
	// MaxReply caps one reply line (default 17 MiB).
	MaxReply int
	// Logger receives the plugin's standard error, line by line.
	Logger *slog.Logger
}

// Runtime runs the instances of one process plugin.
type Runtime struct {
	cfg  Config
	log  *slog.Logger
	pool *action.Pool // a slot per request in flight: instances × concurrency

	startSem chan struct{} // one instance starts at a time (a lock callers can give up on)

	mu        sync.Mutex  // guards what follows, and each instance's inflight
	instances []*instance // ready instances (handshake done)
	starting  *instance   // the instance being started, if any
	closed    bool
	refused   error     // permanent: protocol or actions mismatch, pin
	lastErr   error     // why the last instance ended or failed to start
	failures  int       // instances in a row that ended on their own
	notBefore time.Time // backoff: no start before this
	wg        sync.WaitGroup

	restarts atomic.Int64
	nextID   atomic.Int64
}

// New returns a runtime; nothing starts until Start or the first Call.
func New(cfg Config) *Runtime {
	cfg.Concurrency = max(cfg.Concurrency, 1)
	cfg.Instances = max(cfg.Instances, 1)
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if cfg.MaxReply <= 0 {
		cfg.MaxReply = DefaultMaxReply
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Runtime{cfg: cfg, log: cfg.Logger, pool: action.NewPool(cfg.Concurrency * cfg.Instances), startSem: make(chan struct{}, 1)}
}

// ErrClosed is returned by calls after Close.
var ErrClosed = errors.New("plugin stopped")

// Start starts one instance (if none runs) and checks its handshake.
func (r *Runtime) Start(ctx context.Context) error {
	r.mu.Lock()
	running := len(r.instances)
	r.mu.Unlock()
	if running > 0 {
		return nil
	}
	_, err := r.spawn(ctx)
	return err
}

// Call sends one run request to an instance with a free slot, starting one
// if every running instance is busy and fewer than Instances run. It fails
// when ctx ends, when the plugin answers with an error, and when the
// instance holding the request dies, hangs past ctx's deadline (the instance
// is killed) or breaks the protocol.
func (r *Runtime) Call(ctx context.Context, p wire.RunParams) (wire.RunResult, error) {
	release, err := r.pool.Acquire(ctx)
	if err != nil {
		return wire.RunResult{}, fmt.Errorf("no instance free before the deadline (instances × concurrency in the manifest): %w", err)
	}
	defer release()
	inst, err := r.pick(ctx)
	if err != nil {
		return wire.RunResult{}, err
	}
	raw, err := inst.call(ctx, wire.MethodRun, p)
	inst.done()
	if err != nil {
		return wire.RunResult{}, err
	}
	var res wire.RunResult
	if err := json.Unmarshal(raw, &res); err != nil {
		return wire.RunResult{}, fmt.Errorf("malformed run result: %v", err)
	}
	r.mu.Lock()
	r.failures = 0 // a healthy answer ends the backoff streak
	r.mu.Unlock()
	return res, nil
}

// pick returns a live instance with a free slot, taking that slot.
func (r *Runtime) pick(ctx context.Context) (*instance, error) {
	for {
		r.mu.Lock()
		if err := r.unusable(); err != nil {
			r.mu.Unlock()
			return nil, err
		}
		var best *instance
		for _, in := range r.instances {
			if in.alive() && in.inflight < r.cfg.Concurrency && (best == nil || in.inflight < best.inflight) {
				best = in
			}
		}
		if best != nil {
			best.inflight++
			r.mu.Unlock()
			return best, nil
		}
		r.mu.Unlock()
		// The pool guarantees a slot exists somewhere: either an instance
		// is starting or fewer than Instances run. Start one.
		if _, err := r.spawn(ctx); err != nil {
			return nil, err
		}
	}
}

func (r *Runtime) unusable() error {
	switch {
	case r.closed:
		return ErrClosed
	case r.refused != nil:
		return fmt.Errorf("refused to load: %w", r.refused)
	}
	return nil
}

// spawn starts one instance unless enough run already, waiting out the
// backoff when an instance ended recently (or failing at once when the
// backoff outlasts ctx).
func (r *Runtime) spawn(ctx context.Context) (*instance, error) {
	select {
	case r.startSem <- struct{}{}:
		defer func() { <-r.startSem }()
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for the plugin to start: %w", context.Cause(ctx))
	}
	r.mu.Lock()
	if err := r.unusable(); err != nil {
		r.mu.Unlock()
		return nil, err
	}
	if r.live() >= r.cfg.Instances {
		r.mu.Unlock()
		return nil, nil // another caller started one meanwhile
	}
	wait, last, fails := time.Until(r.notBefore), r.lastErr, r.failures
	r.mu.Unlock()
	if wait > 0 {
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			inARow := fmt.Sprintf("%d failures in a row", fails)
			if fails == 1 {
				inARow = "a failure"
			}
			return nil, fmt.Errorf("restarting after %s, next start in %v: last: %v", inARow, wait.Round(time.Millisecond), last)
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("waiting to restart: %w (last: %v)", context.Cause(ctx), last)
		}
	}
	if r.cfg.BeforeStart != nil {
		if err := r.cfg.BeforeStart(); err != nil {
			r.mu.Lock()
			r.refused = err
			r.mu.Unlock()
			return nil, fmt.Errorf("refused to load: %w", err)
		}
	}
	return r.startInstance(ctx)
}

// live counts the instances not going away. r.mu is held.
func (r *Runtime) live() int {
	n := 0
	for _, in := range r.instances {
		if in.alive() {
			n++
		}
	}
	return n
}

// noteFailure records an instance that ended or failed on its own and sets
// the backoff. r.mu is held.
func (r *Runtime) noteFailure(err error) {
	r.lastErr = err
	r.failures++
	d := MinBackoff << min(r.failures-1, 20)
	r.notBefore = time.Now().Add(min(d, MaxBackoff))
	r.restarts.Add(1)
}

// startInstance starts a process and runs the handshake.
func (r *Runtime) startInstance(ctx context.Context) (*instance, error) {
	proc, err := r.cfg.Runner.Start(r.cfg.Command)
	if err != nil {
		r.mu.Lock()
		r.noteFailure(fmt.Errorf("start: %w", err))
		r.mu.Unlock()
		return nil, fmt.Errorf("start: %w", err)
	}
	in := &instance{rt: r, proc: proc, pending: map[int64]chan reply{}, dead: make(chan struct{}),
		repliesDone: make(chan struct{}), stderrDone: make(chan struct{})}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		proc.Kill()
		<-proc.Done()
		return nil, ErrClosed
	}
	r.starting = in
	r.wg.Add(3)
	r.mu.Unlock()
	go func() { defer r.wg.Done(); defer close(in.repliesDone); in.readReplies() }()
	go func() { defer r.wg.Done(); defer close(in.stderrDone); in.readStderr() }()
	go func() { defer r.wg.Done(); in.supervise() }()

	// A failed handshake ends the instance; its end is recorded (backoff)
	// by supervise before the caller sees the error.
	failed := func(err error) (*instance, error) {
		in.kill(err)
		<-in.dead
		return nil, fmt.Errorf("handshake: %w", err)
	}
	hctx, cancel := context.WithTimeout(ctx, r.cfg.HandshakeTimeout)
	defer cancel()
	raw, err := in.call(hctx, wire.MethodInitialize, wire.InitializeParams{Protocol: wire.Protocol})
	if err != nil {
		return failed(err)
	}
	var ir wire.InitializeResult
	if err := json.Unmarshal(raw, &ir); err != nil {
		return failed(fmt.Errorf("malformed initialize result: %v", err))
	}
	if r.cfg.Handshake != nil {
		if err := r.cfg.Handshake(ir); err != nil {
			r.mu.Lock()
			r.refused = err
			r.mu.Unlock()
			in.stop()
			return nil, fmt.Errorf("refused to load: %w", err)
		}
	}
	r.mu.Lock()
	r.starting = nil
	if r.closed {
		r.mu.Unlock()
		in.stop()
		return nil, ErrClosed
	}
	r.instances = append(r.instances, in)
	r.mu.Unlock()
	r.log.Info("plugin instance started", "pid", proc.Pid())
	return in, nil
}

// Close sends shutdown to every instance, kills those still running after
// ShutdownGrace (at once when ctx is done), and waits for them all.
func (r *Runtime) Close(ctx context.Context) error {
	r.mu.Lock()
	r.closed = true
	insts := append([]*instance(nil), r.instances...)
	if r.starting != nil {
		insts = append(insts, r.starting)
	}
	r.mu.Unlock()
	var wg sync.WaitGroup
	for _, in := range insts {
		wg.Go(func() {
			if ctx.Err() != nil {
				in.kill(ErrClosed)
			}
			in.stop()
		})
	}
	wg.Wait()
	r.wg.Wait()
	return nil
}

// State reports "idle", "running", "backoff", "refused" or "closed", with
// the last error.
func (r *Runtime) State() (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.closed:
		return "closed", nil
	case r.refused != nil:
		return "refused", r.refused
	case len(r.instances) > 0:
		return "running", r.lastErr
	case time.Now().Before(r.notBefore):
		return "backoff", r.lastErr
	}
	return "idle", r.lastErr
}

// Running counts the running instances.
func (r *Runtime) Running() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.instances)
}

// Restarts counts instances that ended on their own or failed to start.
func (r *Runtime) Restarts() int64 { return r.restarts.Load() }

// reply is one response, or the reason there will be none.
type reply struct {
	result json.RawMessage
	err    error
}

// instance is one running process of the plugin.
type instance struct {
	rt   *Runtime
	proc *sandbox.Process

	wmu sync.Mutex // one request line at a time

	inflight int // requests picked for it; guarded by rt.mu

	mu       sync.Mutex
	pending  map[int64]chan reply
	dying    error // set once: why the instance is going away
	stopping bool  // asked to stop: its end is not a failure
	stderr   []string

	dead        chan struct{} // closed when the process is reaped and pending failed
	repliesDone chan struct{}
	stderrDone  chan struct{}
}

func (in *instance) done() {
	in.rt.mu.Lock()
	in.inflight--
	in.rt.mu.Unlock()
}

func (in *instance) alive() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.dying == nil
}

// call sends one request and waits for its reply. The caller holds a slot
// (inflight) on the instance.
func (in *instance) call(ctx context.Context, method string, params any) (json.RawMessage, error) {
	id := in.rt.nextID.Add(1)
	ch := make(chan reply, 1)
	in.mu.Lock()
	if in.dying != nil {
		err := in.dying
		in.mu.Unlock()
		return nil, err
	}
	in.pending[id] = ch
	in.mu.Unlock()

	pb, err := json.Marshal(params)
	if err != nil {
		in.forget(id)
		return nil, fmt.Errorf("encode request: %w", err)
	}
	rawID := json.RawMessage(strconv.FormatInt(id, 10))
	line, _ := json.Marshal(wire.Message{JSONRPC: "2.0", ID: &rawID, Method: method, Params: pb})
	line = append(line, '\n')
	if err := in.write(ctx, line); err != nil {
		in.forget(id)
		if ctx.Err() != nil {
			in.kill(fmt.Errorf("killed: a request could not be written before its deadline (the plugin is not reading its input)"))
			return nil, fmt.Errorf("plugin did not read the request before the deadline; instance killed: %w", context.Cause(ctx))
		}
		return nil, fmt.Errorf("send request: %w%s", err, in.tail())
	}
	select {
	case rep := <-ch:
		return rep.result, rep.err
	case <-ctx.Done():
		// A hang (or a caller that gave up): the instance is killed,
		// failing only what it held.
		if errors.Is(ctx.Err(), context.Canceled) {
			in.kill(fmt.Errorf("killed: request %d was canceled", id))
			return nil, fmt.Errorf("canceled while waiting for the reply (%w); the instance was killed and will be restarted", context.Cause(ctx))
		}
		in.kill(fmt.Errorf("killed: request %d outlived its deadline", id))
		return nil, fmt.Errorf("no reply before the deadline (%w); the instance was killed and will be restarted", context.Cause(ctx))
	}
}

func (in *instance) forget(id int64) {
	in.mu.Lock()
	delete(in.pending, id)
	in.mu.Unlock()
}

// write sends one line, giving up at ctx's deadline (a plugin that does not
// read its input fills the pipe).
func (in *instance) write(ctx context.Context, line []byte) error {
	in.wmu.Lock()
	defer in.wmu.Unlock()
	if dl, ok := ctx.Deadline(); ok {
		in.proc.Stdin.SetWriteDeadline(dl)
	} else {
		in.proc.Stdin.SetWriteDeadline(time.Time{})
	}
	stop := context.AfterFunc(ctx, func() { in.proc.Stdin.SetWriteDeadline(time.Now()) })
	defer stop()
	_, err := in.proc.Stdin.Write(line)
	return err
}

// readReplies matches reply lines to pending requests by id. A line that
// is too long, not JSON, not a response or not the reply to a pending
// request breaks the protocol: the instance is killed, failing what it held.
func (in *instance) readReplies() {
	br := bufio.NewReaderSize(in.proc.Stdout, 64<<10)
	max := in.rt.cfg.MaxReply
	for {
		line, err := readLine(br, max)
		if errors.Is(err, errLineTooLong) {
			in.kill(fmt.Errorf("reply longer than %d bytes; instance killed", max))
			return
		}
		if len(line) > 0 {
			if perr := in.deliver(line); perr != nil {
				in.kill(perr)
				return
			}
		}
		if err != nil {
			return // EOF: supervise reports the exit
		}
	}
}

func (in *instance) deliver(line []byte) error {
	r, err := response.Parse(line)
	if err != nil {
		return err
	}
	in.mu.Lock()
	ch, ok := in.pending[r.ID]
	delete(in.pending, r.ID)
	in.mu.Unlock()
	if !ok {
		return fmt.Errorf("out-of-order reply: id %d matches no request in flight", r.ID)
	}
	res, err := r.Answer()
	ch <- reply{result: res, err: err}
	return nil
}

// readStderr logs the plugin's standard error line by line and keeps the
// last lines for error messages.
func (in *instance) readStderr() {
	br := bufio.NewReaderSize(in.proc.Stderr, 4<<10)
	for {
		line, err := readLine(br, maxStderrLine)
		if len(line) > 0 || errors.Is(err, errLineTooLong) {
			s := strings.ToValidUTF8(string(line), "\uFFFD")
			if errors.Is(err, errLineTooLong) {
				s = "(line longer than 4 KiB, dropped)"
				err = discardLine(br)
			}
			in.rt.log.Info("plugin stderr", "pid", in.proc.Pid(), "line", s)
			in.mu.Lock()
			in.stderr = append(in.stderr, s)
			if len(in.stderr) > stderrTail {
				in.stderr = in.stderr[1:]
			}
			in.mu.Unlock()
		}
		if err != nil {
			return
		}
	}
}

// discardLine skips the rest of the current line.
func discardLine(br *bufio.Reader) error {
	for {
		_, err := br.ReadSlice('\n')
		if !errors.Is(err, bufio.ErrBufferFull) {
			return err
		}
	}
}

// supervise waits for the process to end, fails what it held and removes
// it from the runtime; an end it was not asked for counts as a failure
// (restart with backoff).
func (in *instance) supervise() {
	<-in.proc.Done()
	// Let the readers drain what the process wrote before it ended (a
	// reply, its last words on stderr); they end at EOF, or at this
	// deadline if something that left the group holds the pipes.
	in.proc.Stdout.SetReadDeadline(time.Now().Add(time.Second))
	in.proc.Stderr.SetReadDeadline(time.Now().Add(time.Second))
	<-in.repliesDone
	<-in.stderrDone
	in.mu.Lock()
	why := in.dying
	stopping := in.stopping
	in.mu.Unlock()
	if why == nil {
		why = fmt.Errorf("the plugin %v%s", in.proc.Err(), in.tail())
	}
	in.failAll(why)
	r := in.rt
	r.mu.Lock()
	for i, x := range r.instances {
		if x == in {
			r.instances = append(r.instances[:i], r.instances[i+1:]...)
			break
		}
	}
	if r.starting == in {
		r.starting = nil
	}
	if !stopping && !r.closed {
		r.noteFailure(why)
		r.log.Warn("plugin instance ended", "pid", in.proc.Pid(), "err", why, "restarts", r.restarts.Load())
	}
	r.mu.Unlock()
	close(in.dead)
}

// failAll fails every pending request with err.
func (in *instance) failAll(err error) {
	in.mu.Lock()
	if in.dying == nil {
		in.dying = err
	}
	for id, ch := range in.pending {
		ch <- reply{err: err}
		delete(in.pending, id)
	}
	in.mu.Unlock()
}

// kill kills the process group at once, failing what the instance held with
// why. Safe to call many times.
func (in *instance) kill(why error) {
	in.failAll(why)
	in.proc.Kill()
}

// stop ends the instance gracefully: the shutdown notification, standard
// input closed, ShutdownGrace to exit, then the group killed. It returns
// once the instance is gone.
func (in *instance) stop() {
	in.mu.Lock()
	in.stopping = true
	in.mu.Unlock()
	line, _ := json.Marshal(wire.Message{JSONRPC: "2.0", Method: wire.MethodShutdown})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	in.write(ctx, append(line, '\n'))
	cancel()
	in.failAll(ErrClosed)
	in.proc.Stop(ShutdownGrace)
	<-in.dead
}

// tail quotes the last lines the plugin wrote on standard error.
func (in *instance) tail() string {
	in.mu.Lock()
	defer in.mu.Unlock()
	if len(in.stderr) == 0 {
		return " (nothing on stderr)"
	}
	return "; stderr: " + strings.Join(in.stderr, " | ")
}

var errLineTooLong = errors.New("line too long")

// readLine reads one '\n'-terminated line of at most limit bytes, without
// the newline. A longer line fails with errLineTooLong as soon as the limit
// is passed, having buffered at most limit bytes.
func readLine(br *bufio.Reader, limit int) ([]byte, error) {
	var line []byte
	for {
		frag, err := br.ReadSlice('\n')
		if len(line)+len(frag) > limit+1 {
			return nil, errLineTooLong
		}
		line = append(line, frag...)
		switch {
		case err == nil:
			return line[:len(line)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			return line, io.EOF
		default:
			return line, err
		}
	}
}
