package process

import (
	"encoding/json"
	"testing"
)

// FuzzReply is the ABI decoder's fuzz target (RELIABILITY G3, X4's process
// side): no reply line, however hostile, panics the host; a line is either
// delivered to the one request in flight or reported as a protocol
// violation.
func FuzzReply(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":7,"result":{"content":"x"}}`,
		`{"jsonrpc":"2.0","id":7,"error":{"code":1,"message":"no"}}`,
		`{"jsonrpc":"2.0","id":8,"result":{}}`,
		`{"jsonrpc":"2.0","id":"7","result":{}}`,
		`{"jsonrpc":"2.0","id":7}`,
		`{"jsonrpc":"2.0","id":7,"result":{},"error":{"code":1}}`,
		`{"jsonrpc":"1.0","id":7,"result":{}}`,
		`{"jsonrpc":"2.0","method":"run","id":7}`,
		`{"id":null}`, `[]`, `null`, `not json`, "\xff\xfe",
		`{"jsonrpc":"2.0","id":7,"result":{"findings":[{"line":-1}]}}`,
		`{"jsonrpc":"2.0","id":1e400,"result":{}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		ch := make(chan reply, 1)
		in := &instance{pending: map[int64]chan reply{7: ch}}
		err := in.deliver(line)
		select {
		case rep := <-ch:
			if err != nil {
				t.Fatalf("delivered and failed: %v", err)
			}
			if rep.err == nil {
				var v any
				if json.Unmarshal(rep.result, &v) != nil {
					t.Fatalf("delivered a result that is not JSON: %q", rep.result)
				}
			}
		default:
			if err == nil {
				t.Fatalf("line %q neither delivered nor refused", line)
			}
		}
	})
}
