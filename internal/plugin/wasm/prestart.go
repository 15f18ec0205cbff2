package wasm

import (
	"context"
	"encoding/json"
	"io"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/experimental"

	wire "github.com/scribe-md/scribe/plugin"
)

// Pre-started instances.
//
// Most of a Go plugin's time per request is its runtime starting, before
// it reads its request. A pre-started instance does that part ahead: it is
// instantiated on its own goroutine with a standard input that blocks
// until a request is handed to it, so it runs its start code and waits in
// its first read. A call takes a waiting instance if there is one, hands
// it the request, waits for it to end, and then starts the next (not
// before: the next start would compete with the request for the CPU). An
// instance still serves exactly one request and is never reused, so
// requests stay as isolated as with an instance made for each; the start
// still costs the same CPU, only no longer while a request waits.
//
// An instance that has not reached its read after prestartTimeout is
// closed. One that ends before reading (a plugin that crashes while it
// starts, or does not read its input) turns pre-starting off for the
// runtime: requests then get an instance each, started for them, so a
// broken plugin costs no more than before. Close closes the instances no
// call has taken, and waits for them to end.

// warm is a pre-started instance.
type warm struct {
	req    chan []byte // the request, handed over once (buffered)
	cancel context.CancelFunc
	stdout *capWriter
	stderr *lineLogger
	done   chan error // how the instance ended (buffered)
}

// refill starts instances until Prestart are started and not yet taken.
func (r *Runtime) refill() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refillLocked()
}

func (r *Runtime) refillLocked() {
	if r.closed || !r.ready || r.noPrestart {
		return
	}
	for r.warming < r.cfg.Prestart {
		r.warming++
		r.bg.Add(1)
		go r.prestart(r.rt, r.compiled)
	}
}

// prestart runs one pre-started instance from start to end.
func (r *Runtime) prestart(rt wazero.Runtime, cm wazero.CompiledModule) {
	defer r.bg.Done()
	ctx, cancel := context.WithCancel(r.stopped)
	defer cancel()
	w := &warm{
		req: make(chan []byte, 1), cancel: cancel,
		stdout: &capWriter{limit: r.cfg.MaxReply}, stderr: &lineLogger{log: r.log},
		done: make(chan error, 1),
	}
	in := &waitingStdin{r: r, w: w, timer: time.AfterFunc(prestartTimeout, cancel)}
	mem := &instanceMemory{}
	mod, err := r.start(experimental.WithMemoryAllocator(ctx, mem), rt, cm, r.moduleConfig(in, w.stdout, w.stderr))
	in.timer.Stop()
	if mod != nil {
		mod.Close(context.Background())
	}
	w.stderr.flush()
	if in.waited {
		// The call that took it has its reply: unmapping the memory (the
		// instance has stopped, nothing can touch it now) is not its wait.
		w.done <- err
		mem.release()
		return
	}
	mem.release()
	// It ended before it read: never offered, so still counted.
	r.mu.Lock()
	defer r.mu.Unlock()
	r.warming--
	if !r.closed {
		r.noPrestart = true
		r.log.Warn("a pre-started wasm instance ended before it read its request; starting instances per request from now on",
			"plugin", r.cfg.Name, "err", err, "stderr", w.stderr.tail())
	}
}

// serve hands a run request to a pre-started instance and returns its
// reply. ctx's end closes the instance.
func (r *Runtime) serve(ctx context.Context, w *warm, p wire.RunParams) (json.RawMessage, error) {
	id, req, err := r.request(wire.MethodRun, p)
	if err != nil {
		w.cancel() // unused: it ends, and its goroutine with it
		return nil, err
	}
	r.running.Add(1)
	defer r.running.Add(-1)
	w.req <- req
	stop := context.AfterFunc(ctx, w.cancel)
	err = <-w.done
	stop()
	return r.outcome(ctx, err, id, w.stdout, w.stderr)
}

// waitingStdin is a pre-started instance's standard input: its first Read
// offers the instance to calls and blocks until one hands it a request
// (or Close, which reads as the end of the input, and closes it).
type waitingStdin struct {
	r      *Runtime
	w      *warm
	timer  *time.Timer
	waited bool // the instance was offered to calls
	buf    []byte
	eof    bool
}

func (s *waitingStdin) Read(p []byte) (int, error) {
	if !s.waited {
		if !s.timer.Stop() {
			return 0, io.EOF // too late: the instance is being closed
		}
		s.waited = true
		s.r.warmed <- s.w // never blocks: at most Prestart are warming
		select {
		case s.buf = <-s.w.req:
		case <-s.r.stopped.Done():
			s.eof = true
		}
	}
	if s.eof || len(s.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.buf)
	s.buf = s.buf[n:]
	return n, nil
}
