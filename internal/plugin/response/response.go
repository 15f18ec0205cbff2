package response

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	wire "github.com/scribe-md/scribe/plugin"
)

// Response is a reply as the protocol allows it: exactly one of Result and
// Err is set.
type Response struct {
	ID     int64
	Result json.RawMessage
	Err    *wire.Error
}

// Parse checks line (without its newline) as a JSON-RPC 2.0 response with
// a numeric id, and returns it.
func Parse(line []byte) (Response, error) {
	if t := bytes.TrimLeft(line, " \t\r"); len(t) == 0 || t[0] != '{' {
		return Response{}, fmt.Errorf("the plugin wrote a line that is not a JSON-RPC reply to standard output, which carries only replies (write logs to standard error): %s", Quote(line))
	}
	var m wire.Message
	if err := json.Unmarshal(line, &m); err != nil {
		return Response{}, fmt.Errorf("malformed reply (not JSON: %v): %s", err, Quote(line))
	}
	if m.JSONRPC != "2.0" {
		return Response{}, fmt.Errorf("malformed reply (no \"jsonrpc\": \"2.0\"): %s", Quote(line))
	}
	if m.Method != "" {
		return Response{}, fmt.Errorf("malformed reply (a request where a response belongs): %s", Quote(line))
	}
	var id int64
	if m.ID == nil || json.Unmarshal(*m.ID, &id) != nil {
		return Response{}, fmt.Errorf("malformed reply (no numeric id): %s", Quote(line))
	}
	if (m.Error == nil) == (m.Result == nil) {
		return Response{}, fmt.Errorf("malformed reply to request %d (exactly one of result and error is required): %s", id, Quote(line))
	}
	return Response{ID: id, Result: m.Result, Err: m.Error}, nil
}

// Answer returns the result, or the plugin's error as a Go error.
func (r Response) Answer() (json.RawMessage, error) {
	if r.Err != nil {
		return nil, fmt.Errorf("the plugin answered with error %d: %s", r.Err.Code, r.Err.Message)
	}
	return r.Result, nil
}

// Quote quotes what a plugin wrote for an error message: at most 120 bytes
// of it, cut at a character's start, invalid UTF-8 replaced.
func Quote(line []byte) string {
	const n = 120
	s := strings.ToValidUTF8(string(line), "\uFFFD")
	if len(s) > n {
		s = strings.ToValidUTF8(s[:n], "") + "…"
	}
	return strconv.Quote(s)
}
