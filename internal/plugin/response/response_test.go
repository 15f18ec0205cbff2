package response

import (
	"strings"
	"testing"
)

// The lines plugins write by mistake get an error that quotes them and says
// what is wrong; well-formed responses come through whole.
func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		want       string // in the error; "" for a good response
	}{
		{"result", `{"jsonrpc":"2.0","id":7,"result":{"content":"x"}}`, ""},
		{"error", `{"jsonrpc":"2.0","id":7,"error":{"code":-32602,"message":"bad params"}}`, ""},
		// console.log, print() and fmt.Println of a plugin's own messages.
		{"a log line", `tagger starting`, `standard output, which carries only replies (write logs to standard error): "tagger starting"`},
		{"a number", `42`, "write logs to standard error"},
		{"a JSON string", `"ready"`, "write logs to standard error"},
		{"an array", `[{"jsonrpc":"2.0","id":7,"result":{}}]`, "not a JSON-RPC reply"},
		// Python's print(dict) instead of json.dumps.
		{"a Python dict", `{'jsonrpc': '2.0', 'id': 7, 'result': {}}`, "malformed reply (not JSON: invalid character '\\''"},
		{"cut short", `{"jsonrpc":"2.0","id":7,"result":{`, "malformed reply (not JSON: unexpected end of JSON input)"},
		{"no version", `{"id":7,"result":{}}`, `no "jsonrpc": "2.0"`},
		{"a request", `{"jsonrpc":"2.0","id":7,"method":"run"}`, "a request where a response belongs"},
		{"string id", `{"jsonrpc":"2.0","id":"7","result":{}}`, "no numeric id"},
		{"both", `{"jsonrpc":"2.0","id":7,"result":{},"error":{"code":1,"message":"m"}}`, "reply to request 7 (exactly one of result and error is required)"},
		{"neither", `{"jsonrpc":"2.0","id":7}`, "exactly one of result and error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Parse([]byte(tc.line))
			if tc.want == "" {
				if err != nil || r.ID != 7 {
					t.Fatalf("Parse = %+v, %v; want id 7 and no error", r, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v; want it to say %q", err, tc.want)
			}
		})
	}
}

func TestAnswer(t *testing.T) {
	r, err := Parse([]byte(`{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"tag must be a string"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Answer(); err == nil || err.Error() != "the plugin answered with error -32602: tag must be a string" {
		t.Fatalf("Answer: %v", err)
	}
	r, err = Parse([]byte(`{"jsonrpc":"2.0","id":1,"result":{"content":"x"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if res, err := r.Answer(); err != nil || string(res) != `{"content":"x"}` {
		t.Fatalf("Answer = %s, %v", res, err)
	}
}

// Quote keeps error messages one line and short, whatever a plugin wrote.
func TestQuote(t *testing.T) {
	long := strings.Repeat("é", 100) // 200 bytes
	q := Quote([]byte(long))
	if !strings.HasSuffix(q, `…"`) || strings.ContainsRune(q, '\uFFFD') || len(q) > 130 {
		t.Fatalf("Quote(200 bytes of é) = %s", q)
	}
	if q := Quote([]byte("a\xffb\nc")); q != "\"a\uFFFDb\\nc\"" {
		t.Fatalf("Quote(invalid UTF-8 and a newline) = %s", q)
	}
}
