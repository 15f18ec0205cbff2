package plugin_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scribe-md/scribe/plugin"
)

func upper(_ context.Context, req plugin.Request) (plugin.RunResult, error) {
	s, ok := req.Content()
	if !ok {
		return plugin.RunResult{Findings: []plugin.Finding{{Message: "no content"}}}, nil
	}
	return plugin.NewContent(strings.ToUpper(s)), nil
}

// Exchange is how plugin authors test a handler: through the wire format.
func TestExchange(t *testing.T) {
	content := "hello"
	res, err := plugin.Exchange(context.Background(), plugin.Actions{"upper": upper},
		plugin.Request{Action: "upper", File: plugin.File{Path: "a.md", Content: &content}})
	if err != nil || res.Content == nil || *res.Content != "HELLO" {
		t.Fatalf("%+v, %v", res, err)
	}
	res, err = plugin.Exchange(context.Background(), plugin.Actions{"upper": upper}, plugin.Request{Action: "upper", File: plugin.File{Path: "a.md"}})
	if err != nil || res.Content != nil || len(res.Findings) != 1 {
		t.Fatalf("without content: %+v, %v", res, err)
	}
	_, err = plugin.Exchange(context.Background(), plugin.Actions{"upper": upper}, plugin.Request{Action: "lower"})
	var pe *plugin.Error
	if !errors.As(err, &pe) || pe.Code != plugin.CodeInvalidParams || !strings.Contains(pe.Message, `unknown action "lower"`) {
		t.Fatalf("unknown action: %v", err)
	}
	boom := func(context.Context, plugin.Request) (plugin.RunResult, error) { panic("boom") }
	if _, err := plugin.Exchange(context.Background(), plugin.Actions{"boom": boom}, plugin.Request{Action: "boom"}); err == nil || !strings.Contains(err.Error(), "action panicked: boom") {
		t.Fatalf("panic: %v", err)
	}
}

// session drives ServeIO over pipes like a host.
type session struct {
	t    *testing.T
	in   *io.PipeWriter
	out  *bufio.Scanner
	done chan error
}

func serve(t *testing.T, actions plugin.Actions, opts plugin.Options) *session {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	s := &session{t: t, in: inW, out: bufio.NewScanner(outR), done: make(chan error, 1)}
	s.out.Buffer(nil, 1<<20)
	go func() {
		err := plugin.ServeIO(context.Background(), inR, outW, actions, opts)
		outW.Close()
		s.done <- err
	}()
	t.Cleanup(func() { inW.Close() })
	return s
}

func (s *session) send(line string) {
	s.t.Helper()
	if _, err := io.WriteString(s.in, line+"\n"); err != nil {
		s.t.Fatal(err)
	}
}

func (s *session) recv() plugin.Message {
	s.t.Helper()
	if !s.out.Scan() {
		s.t.Fatalf("no reply: %v", s.out.Err())
	}
	var m plugin.Message
	if err := json.Unmarshal(s.out.Bytes(), &m); err != nil {
		s.t.Fatalf("reply %q: %v", s.out.Text(), err)
	}
	return m
}

func TestServeProtocol(t *testing.T) {
	s := serve(t, plugin.Actions{"upper": upper, "b": upper}, plugin.Options{})
	s.send(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocol":1}}`)
	m := s.recv()
	var ir plugin.InitializeResult
	json.Unmarshal(m.Result, &ir)
	if string(*m.ID) != "1" || ir.Protocol != 1 || strings.Join(ir.Actions, ",") != "b,upper" {
		t.Fatalf("initialize: %s → %+v", m.Result, ir)
	}
	s.send(`not json`)
	if m := s.recv(); m.Error == nil || m.Error.Code != plugin.CodeParseError || m.ID != nil { // "id": null
		t.Fatalf("garbage: %+v", m)
	}
	s.send(`{"jsonrpc":"2.0","id":"x","method":"frobnicate"}`)
	if m := s.recv(); m.Error == nil || m.Error.Code != plugin.CodeMethodNotFound || string(*m.ID) != `"x"` {
		t.Fatalf("unknown method: %+v", m)
	}
	s.send(`{"jsonrpc":"2.0","method":"run","params":{"action":"upper","file":{"path":"a","content":"x"}}}`) // a notification: no reply
	s.send(`{"jsonrpc":"2.0","id":2,"method":"run","params":{"action":"upper","file":{"path":"a","content":"x"}}}`)
	if m := s.recv(); string(*m.ID) != "2" || !strings.Contains(string(m.Result), `"content":"X"`) {
		t.Fatalf("run: %s %s", *m.ID, m.Result)
	}
	s.send(`{"jsonrpc":"2.0","method":"shutdown"}`)
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("shutdown did not end ServeIO")
	}
}

// Requests run concurrently: four that each wait for the others all finish.
func TestServeConcurrently(t *testing.T) {
	var n atomic.Int32
	gate := func(context.Context, plugin.Request) (plugin.RunResult, error) {
		n.Add(1)
		deadline := time.Now().Add(5 * time.Second)
		for n.Load() < 4 {
			if time.Now().After(deadline) {
				return plugin.RunResult{}, errors.New("requests were not served concurrently")
			}
			time.Sleep(time.Millisecond)
		}
		return plugin.RunResult{}, nil
	}
	s := serve(t, plugin.Actions{"gate": gate}, plugin.Options{Concurrency: 4})
	for i := range 4 {
		s.send(`{"jsonrpc":"2.0","id":` + string(rune('1'+i)) + `,"method":"run","params":{"action":"gate","file":{"path":"a"}}}`)
	}
	for range 4 {
		if m := s.recv(); m.Error != nil {
			t.Fatal(m.Error.Message)
		}
	}
}

// An oversized request is refused without ending the session.
func TestServeOversizedRequest(t *testing.T) {
	s := serve(t, plugin.Actions{"upper": upper}, plugin.Options{})
	go func() {
		io.WriteString(s.in, `{"jsonrpc":"2.0","id":1,"method":"run","params":{"action":"upper","file":{"path":"a","content":"`)
		chunk := strings.Repeat("x", 1<<20)
		for range plugin.MaxLine>>20 + 1 {
			io.WriteString(s.in, chunk)
		}
		io.WriteString(s.in, "\"}}}\n")
		io.WriteString(s.in, `{"jsonrpc":"2.0","id":2,"method":"run","params":{"action":"upper","file":{"path":"a","content":"ok"}}}`+"\n")
	}()
	if m := s.recv(); m.Error == nil || !strings.Contains(m.Error.Message, "request longer than") {
		t.Fatalf("oversized: %+v", m)
	}
	if m := s.recv(); string(*m.ID) != "2" || m.Error != nil {
		t.Fatalf("after the oversized request: %+v", m)
	}
}
