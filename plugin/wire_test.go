package plugin

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/valyala/fastjson"
)

// refMessage is Message without the response fields, which a plugin
// ignores in a request: encoding/json's reading of a request.
type refMessage struct {
	JSONRPC string           `json:"jsonrpc"`
	ID      *json.RawMessage `json:"id,omitempty"`
	Method  string           `json:"method,omitempty"`
	Params  json.RawMessage  `json:"params,omitempty"`
}

// sameJSON reports whether two raw values hold the same JSON value, numbers
// compared by their text.
func sameJSON(a, b []byte) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var x, y any
	da, db := json.NewDecoder(bytes.NewReader(a)), json.NewDecoder(bytes.NewReader(b))
	da.UseNumber()
	db.UseNumber()
	if da.Decode(&x) != nil || db.Decode(&y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// caseFolded reports whether in may name a field in another case (or with
// the Kelvin sign or the long s), which encoding/json accepts and the wire
// decoder, following JSON-RPC, does not.
func caseFolded(in []byte) bool {
	if bytes.Contains(in, []byte("\u212a")) || bytes.Contains(in, []byte("\u017f")) {
		return true
	}
	lower := bytes.ToLower(in)
	for _, name := range []string{"jsonrpc", "method", "id", "params", "action", "file", "path", "content", "front_matter"} {
		if bytes.Count(lower, []byte(`"`+name+`"`)) != bytes.Count(in, []byte(`"`+name+`"`)) {
			return true
		}
	}
	return false
}

// checkAgainstEncodingJSON decodes in with the wire decoder and with
// encoding/json and fails if they disagree: on whether it is a request at
// all, on its fields, and for a run request on its params.
func checkAgainstEncodingJSON(t *testing.T, in []byte) {
	var p fastjson.Parser
	m, rp, rpErr, err := decodeRequest(&p, in)
	var ref refMessage
	rerr := json.Unmarshal(in, &ref)
	if (err == nil) != (rerr == nil) {
		t.Fatalf("%q: wire decoder says %v, encoding/json %v", in, err, rerr)
	}
	if err != nil {
		return
	}
	if m.JSONRPC != ref.JSONRPC || m.Method != ref.Method || (m.ID == nil) != (ref.ID == nil) || m.ID != nil && !sameJSON(*m.ID, *ref.ID) {
		t.Fatalf("%q: wire decoder %+v, encoding/json %+v", in, m, ref)
	}
	if ref.Params == nil || m.Method != MethodRun {
		return // no params: both refuse a run (no action), as the handler sees it
	}
	err = rpErr
	var rrp RunParams
	rerr = json.Unmarshal(ref.Params, &rrp)
	if (err == nil) != (rerr == nil) {
		t.Fatalf("%q: run params: wire decoder says %v, encoding/json %v", in, err, rerr)
	}
	if err != nil {
		return
	}
	rp.Params, rrp.Params = normalize(rp.Params), normalize(rrp.Params)
	if rp.Action != rrp.Action || !sameJSON(rp.Params, rrp.Params) || !reflect.DeepEqual(rp.File, rrp.File) {
		t.Fatalf("%q: run params: wire decoder %+v, encoding/json %+v", in, rp, rrp)
	}
}

func normalize(b json.RawMessage) json.RawMessage {
	if string(b) == "null" {
		return nil
	}
	return b
}

var wireSeeds = []string{
	`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocol":1}}`,
	`{"jsonrpc":"2.0","id":2,"method":"run","params":{"action":"stamp","params":{"field":"words","n":[1,2.5e3,-0]},"file":{"path":"notes/a b.md","content":"# T\n\ttab \"q\" é 😀","front_matter":{"title":"x","tags":["a",null,true,false],"n":1.5,"o":{"k":{}}}}}}`,
	`{"jsonrpc":"2.0","id":"x","method":"run","params":{"action":"a","file":{"path":"p","content":null,"front_matter":null}}}`,
	`{"jsonrpc":"2.0","id":null,"method":"run","params":null}`,
	`{"jsonrpc":"2.0","method":"shutdown"}`,
	`{"id":1,"id":2,"method":"run","method":"initialize"}`,
	`{"jsonrpc":"2.0","id":3,"method":"run","params":{"action":"a","file":{"front_matter":[1]}}}`,
	`{"jsonrpc":"2.0","id":3,"method":"run","params":{"action":"a","file":{"front_matter":{"big":1e999}}}}`,
	`{"jsonrpc":"2.0","id":4,"method":"run","params":{"action":"a","file":{"path":"\ud800x\udc00","content":"\ud83d\ude00\u00e9\n","front_matter":{"\u0074":"\ud800"}}}}`,
	`{"\u006dethod":"run","id":5,"params":{"action":"b"}}`,
	`{"jsonrpc":2,"id":1}`, `[]`, `null`, `{"id":01}`, `{"method":"run","params":{"action":"\x01"}}`,
	"{\"method\":\"run\",\"params\":{\"action\":\"a\",\"file\":{\"path\":\"\xff\xfe\"}}}",
}

// TestWireAgainstEncodingJSON: the wire decoder reads requests as
// encoding/json reads them (a differential test; FuzzWire explores more).
func TestWireAgainstEncodingJSON(t *testing.T) {
	for _, s := range wireSeeds {
		checkAgainstEncodingJSON(t, []byte(s))
	}
}

func FuzzWire(f *testing.F) {
	for _, s := range wireSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if caseFolded(in) {
			t.Skip()
		}
		checkAgainstEncodingJSON(t, in)
	})
}

// TestRepliesAreWhatEncodingJSONReads: replies written by hand decode, with
// encoding/json, to what they were made from, whatever the strings hold.
func TestRepliesAreWhatEncodingJSONReads(t *testing.T) {
	content := "new\n\"é\" <a href> & \u2028 \x01 \xff end"
	cases := []struct {
		id     string
		result any
		err    *Error
	}{
		{"1", RunResult{Content: &content, Findings: []Finding{{Line: 3, Column: 1, Severity: "warning", Message: "bad <link> & \"x\""}, {Message: "whole file"}}}, nil},
		{`"abc"`, RunResult{}, nil},
		{"", InitializeResult{Protocol: 1, Actions: []string{"a", "b\tc"}}, nil},
		{"7", nil, &Error{Code: CodeActionFailed, Message: "failed: \x00 \u2029", Data: json.RawMessage(`{"k":[1]}`)}},
	}
	for _, tc := range cases {
		var id *json.RawMessage
		if tc.id != "" {
			r := json.RawMessage(tc.id)
			id = &r
		}
		var res []byte
		switch r := tc.result.(type) {
		case RunResult:
			res = appendRunResult(nil, r)
		case InitializeResult:
			res = appendInitializeResult(nil, r)
		}
		line := appendReply(nil, id, res, tc.err)
		if !bytes.HasSuffix(line, []byte("\n")) || bytes.Count(line, []byte("\n")) != 1 {
			t.Fatalf("reply %q is not one line", line)
		}
		var m Message
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("reply %q: %v", line, err)
		}
		// A null id decodes to a nil pointer.
		if tc.id == "" && m.ID != nil || tc.id != "" && (m.ID == nil || string(*m.ID) != tc.id) {
			t.Errorf("reply %q: id %v, want %q", line, m.ID, tc.id)
		}
		if tc.err != nil {
			if m.Error == nil || m.Error.Code != tc.err.Code || m.Error.Message != strings.ToValidUTF8(tc.err.Message, "\ufffd") || !sameJSON(m.Error.Data, tc.err.Data) {
				t.Errorf("reply %q: error %+v, want %+v", line, m.Error, tc.err)
			}
			continue
		}
		want, _ := json.Marshal(tc.result)
		if !sameJSON(m.Result, want) {
			t.Errorf("reply %q: result %s, want %s", line, m.Result, want)
		}
	}
}
