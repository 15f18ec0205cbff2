package plugin

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"sync"

	"github.com/valyala/fastjson"
)

// Request is one run request as a handler sees it.
type Request struct {
	// Action is the action's name without the plugin's prefix.
	Action string
	// Params are the rule's parameters for the action (JSON), already
	// validated by the host against the manifest's schema.
	Params json.RawMessage
	// File is the file the rule runs on.
	File File
}

// Content returns the file's content and whether it was sent (it is only
// sent to actions with the read permission).
func (r Request) Content() (string, bool) {
	if r.File.Content == nil {
		return "", false
	}
	return *r.File.Content, true
}

// Decode decodes the action's parameters into v (a pointer to a struct, a
// map...). Absent parameters leave v as it is.
func (r Request) Decode(v any) error {
	if len(r.Params) == 0 || string(r.Params) == "null" {
		return nil
	}
	return json.Unmarshal(r.Params, v)
}

// Handler serves one action. It must be safe for concurrent use when Serve
// runs with a concurrency above 1. An error fails the action for this file;
// return an *Error to choose the JSON-RPC code.
type Handler func(ctx context.Context, req Request) (RunResult, error)

// Actions maps action names (without the plugin's prefix) to handlers.
type Actions map[string]Handler

// NewContent returns a result that replaces the file's content (actions
// with the write permission only).
func NewContent(s string) RunResult { return RunResult{Content: &s} }

// Options tune Serve.
type Options struct {
	// Concurrency bounds the requests handled at once; 0 means as many as
	// the host sends (the manifest's concurrency bounds that).
	Concurrency int
}

// Serve serves the protocol on standard input and output until standard
// input ends or the host sends shutdown. It is the whole main function of a
// plugin, for both runtimes:
//
//	func main() {
//		if err := plugin.Serve(plugin.Actions{"stamp": stamp}, plugin.Options{}); err != nil {
//			fmt.Fprintln(os.Stderr, err)
//			os.Exit(1)
//		}
//	}
func Serve(actions Actions, opts Options) error {
	return ServeIO(context.Background(), os.Stdin, os.Stdout, actions, opts)
}

// Register records the plugin's actions for Main and for a WebAssembly
// reactor module's scribe_serve export. Call it from an init function: a
// reactor (built with -buildmode=c-shared) runs the init functions once,
// when Scribe loads it, and never runs main. A later call replaces the
// earlier one.
func Register(actions Actions, opts Options) {
	registered = &registration{actions: actions, opts: opts}
}

type registration struct {
	actions Actions
	opts    Options
}

var registered *registration

// Main serves the actions Register recorded on standard input and output,
// as Serve does, and exits with status 1 and the error on standard error if
// serving fails. It is the whole main function of a plugin that registers
// its actions in init, which one program serves as a process plugin, a
// WebAssembly command module and a WebAssembly reactor:
//
//	func init() { plugin.Register(plugin.Actions{"stamp": stamp}, plugin.Options{}) }
//
//	func main() { plugin.Main() }
func Main() {
	if err := serveRegistered(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// serveRegistered serves what Register recorded.
func serveRegistered() error {
	if registered == nil {
		return errors.New("plugin: no actions registered: call plugin.Register in an init function")
	}
	return Serve(registered.actions, registered.opts)
}

// ServeIO serves the protocol, reading requests from r and writing responses
// to w, one JSON object per line. It returns nil when r ends or on shutdown,
// after the requests in flight are answered, and ctx's error if ctx ends
// first. Each handler runs on its own goroutine, with ctx.
func ServeIO(ctx context.Context, r io.Reader, w io.Writer, actions Actions, opts Options) error {
	s := &server{w: w, actions: actions}
	if opts.Concurrency > 0 {
		s.slots = make(chan struct{}, opts.Concurrency)
	}
	defer s.wg.Wait()
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		line, err := readLine(br, MaxLine)
		if len(bytes.TrimSpace(line)) > 0 {
			if stop := s.dispatch(ctx, line); stop {
				return nil
			}
		}
		switch {
		case errors.Is(err, errLineTooLong):
			s.reply(nil, nil, &Error{Code: CodeParseError, Message: fmt.Sprintf("request longer than %d bytes", MaxLine)})
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return err
		}
	}
}

type server struct {
	parser  fastjson.Parser // dispatch's; a value lives until the next parse
	w       io.Writer
	wmu     sync.Mutex
	actions Actions
	slots   chan struct{}
	wg      sync.WaitGroup
}

// dispatch handles one line and reports whether serving should stop.
func (s *server) dispatch(ctx context.Context, line []byte) (stop bool) {
	m, p, pErr, err := decodeRequest(&s.parser, line)
	if err != nil {
		s.reply(nil, nil, &Error{Code: CodeParseError, Message: "invalid JSON: " + err.Error()})
		return false
	}
	switch m.Method {
	case MethodShutdown:
		return true
	case MethodInitialize:
		names := make([]string, 0, len(s.actions))
		for n := range s.actions {
			names = append(names, n)
		}
		slices.Sort(names)
		s.reply(m.ID, InitializeResult{Protocol: Protocol, Actions: names}, nil)
	case MethodRun:
		if m.ID == nil {
			return false // a notification cannot be answered
		}
		if pErr != nil {
			s.reply(m.ID, nil, &Error{Code: CodeInvalidParams, Message: "invalid run params: " + pErr.Error()})
			return false
		}
		h, ok := s.actions[p.Action]
		if !ok {
			s.reply(m.ID, nil, &Error{Code: CodeInvalidParams, Message: fmt.Sprintf("unknown action %q", p.Action)})
			return false
		}
		if s.slots != nil {
			select {
			case s.slots <- struct{}{}:
			case <-ctx.Done():
				return true
			}
		}
		s.wg.Go(func() {
			if s.slots != nil {
				defer func() { <-s.slots }()
			}
			res, err := call(ctx, h, Request{Action: p.Action, Params: p.Params, File: p.File})
			if err != nil {
				var pe *Error
				if !errors.As(err, &pe) {
					pe = &Error{Code: CodeActionFailed, Message: err.Error()}
				}
				s.reply(m.ID, nil, pe)
				return
			}
			s.reply(m.ID, res, nil)
		})
	default:
		if m.ID != nil {
			s.reply(m.ID, nil, &Error{Code: CodeMethodNotFound, Message: fmt.Sprintf("unknown method %q", m.Method)})
		}
	}
	return false
}

// call runs h, turning a panic into an error so that one bad request does
// not take the plugin down.
func call(ctx context.Context, h Handler, req Request) (res RunResult, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &Error{Code: CodeInternalError, Message: fmt.Sprintf("action panicked: %v\n%s", r, debug.Stack())}
		}
	}()
	return h(ctx, req)
}

// reply writes the response to id (nil: JSON null): result, a RunResult
// or an InitializeResult, or rpcErr.
func (s *server) reply(id *json.RawMessage, result any, rpcErr *Error) {
	var res []byte
	switch r := result.(type) {
	case RunResult:
		res = appendRunResult(nil, r)
	case InitializeResult:
		res = appendInitializeResult(nil, r)
	}
	b := appendReply(nil, id, res, rpcErr)
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.w.Write(b)
}

var errLineTooLong = errors.New("line too long")

// readLine reads one '\n'-terminated line of at most limit bytes (without
// the newline). A longer line is discarded up to its end and reported as
// errLineTooLong. The last line may lack its newline; it comes with io.EOF.
func readLine(br *bufio.Reader, limit int) ([]byte, error) {
	var line []byte
	for {
		frag, err := br.ReadSlice('\n')
		if len(line)+len(frag) > limit+1 {
			// Discard the rest of the line.
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			if err != nil && !errors.Is(err, io.EOF) {
				return nil, err
			}
			if errors.Is(err, io.EOF) {
				return nil, errors.Join(errLineTooLong, io.EOF)
			}
			return nil, errLineTooLong
		}
		line = append(line, frag...)
		switch {
		case err == nil:
			return line[:len(line)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		default:
			return line, err
		}
	}
}

// Exchange runs req through actions the way a host would: it encodes an
// initialize and a run request as protocol lines, serves them with ServeIO
// and decodes the reply. Plugin authors use it in tests to check a handler
// end to end, wire format included.
func Exchange(ctx context.Context, actions Actions, req Request) (RunResult, error) {
	var in bytes.Buffer
	enc := json.NewEncoder(&in)
	id1, id2 := json.RawMessage("1"), json.RawMessage("2")
	initParams, _ := json.Marshal(InitializeParams{Protocol: Protocol})
	run, err := json.Marshal(RunParams{Action: req.Action, Params: req.Params, File: req.File})
	if err != nil {
		return RunResult{}, err
	}
	enc.Encode(Message{JSONRPC: "2.0", ID: &id1, Method: MethodInitialize, Params: initParams})
	enc.Encode(Message{JSONRPC: "2.0", ID: &id2, Method: MethodRun, Params: run})
	var out bytes.Buffer
	if err := ServeIO(ctx, &in, &out, actions, Options{}); err != nil {
		return RunResult{}, err
	}
	dec := json.NewDecoder(&out)
	for {
		var m Message
		if err := dec.Decode(&m); err != nil {
			return RunResult{}, fmt.Errorf("no reply to the run request: %w", err)
		}
		if m.ID == nil || string(*m.ID) != "2" {
			continue
		}
		if m.Error != nil {
			return RunResult{}, m.Error
		}
		var res RunResult
		if err := json.Unmarshal(m.Result, &res); err != nil {
			return RunResult{}, fmt.Errorf("decode the run result: %w", err)
		}
		return res, nil
	}
}
