package plugin

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

// The plugin side of the wire, without reflection. encoding/json builds a
// codec for each type on first use through reflection: microseconds in a
// native process, but in a WebAssembly instance, which meets a fresh
// runtime with every request, decoding one request and encoding its reply
// took 3.5–4.7 ms. Requests are parsed with fastjson (a parser to a value
// tree, no reflection) and replies written by hand. Keys are matched
// exactly, as JSON-RPC 2.0 names them (encoding/json would also take
// "Method" for "method"); the host writes them so.

// requestFields are the fields of a request (a Message without the
// response's), for the rare line decoded with encoding/json.
type requestFields struct {
	JSONRPC string           `json:"jsonrpc"`
	ID      *json.RawMessage `json:"id"`
	Method  string           `json:"method"`
	Params  json.RawMessage  `json:"params"`
}

// decodeRequest decodes a request line and, for a run request, its params
// (rpErr is their error).
func decodeRequest(p *fastjson.Parser, line []byte) (m Message, rp RunParams, rpErr, err error) {
	if hasSurrogateEscape(line) {
		// fastjson keeps the escape of a lone UTF-16 surrogate as text,
		// where encoding/json makes it U+FFFD. The host never writes one
		// (it writes invalid UTF-8 as U+FFFD), so only other writers take
		// this slow path.
		var r requestFields
		if err = json.Unmarshal(line, &r); err != nil {
			return Message{}, rp, nil, err
		}
		m = Message{JSONRPC: r.JSONRPC, ID: r.ID, Method: r.Method, Params: r.Params}
		if m.Method == MethodRun && len(r.Params) > 0 {
			rpErr = json.Unmarshal(r.Params, &rp)
		}
		return m, rp, rpErr, nil
	}
	m, params, err := decodeMessage(p, line)
	if err == nil && m.Method == MethodRun {
		rp, rpErr = decodeRunParams(params)
	}
	return m, rp, rpErr, err
}

// hasSurrogateEscape reports whether line may hold a \u escape of a UTF-16
// surrogate (it may also be an escaped backslash followed by such text).
func hasSurrogateEscape(line []byte) bool {
	for i := 0; i+3 < len(line); i++ {
		if line[i] == '\\' && line[i+1] == 'u' && (line[i+2]|0x20) == 'd' {
			switch line[i+3] | 0x20 {
			case '8', '9', 'a', 'b', 'c', 'd', 'e', 'f':
				return true
			}
		}
	}
	return false
}

// decodeMessage decodes one request line.
func decodeMessage(p *fastjson.Parser, line []byte) (Message, *fastjson.Value, error) {
	// The parser alone takes some invalid JSON (numbers such as 01 or
	// NaN, control characters in strings); the validator does not.
	if err := fastjson.ValidateBytes(line); err != nil {
		return Message{}, nil, err
	}
	v, err := p.ParseBytes(line)
	if err != nil {
		return Message{}, nil, err
	}
	if v.Type() == fastjson.TypeNull {
		return Message{}, nil, nil // as encoding/json reads it: no method, no id
	}
	o, err := v.Object()
	if err != nil {
		return Message{}, nil, fmt.Errorf("a request must be a JSON object, not %s", v.Type())
	}
	var m Message
	var params *fastjson.Value
	o.Visit(func(k []byte, f *fastjson.Value) {
		if err != nil {
			return
		}
		switch string(k) {
		case "jsonrpc":
			m.JSONRPC, err = optString(f, "jsonrpc")
		case "method":
			m.Method, err = optString(f, "method")
		case "id":
			m.ID = nil
			if f.Type() != fastjson.TypeNull {
				id := json.RawMessage(f.MarshalTo(nil))
				m.ID = &id
			}
		case "params":
			params = f
		}
	})
	return m, params, err
}

// decodeRunParams decodes the params of a run request.
func decodeRunParams(v *fastjson.Value) (RunParams, error) {
	var p RunParams
	if v == nil || v.Type() == fastjson.TypeNull {
		return p, nil
	}
	o, err := v.Object()
	if err != nil {
		return p, fmt.Errorf("params must be an object, not %s", v.Type())
	}
	o.Visit(func(k []byte, f *fastjson.Value) {
		if err != nil {
			return
		}
		switch string(k) {
		case "action":
			p.Action, err = optString(f, "action")
		case "params":
			p.Params = json.RawMessage(f.MarshalTo(nil))
		case "file":
			p.File, err = decodeFile(f)
		}
	})
	return p, err
}

func decodeFile(v *fastjson.Value) (File, error) {
	var file File
	if v.Type() == fastjson.TypeNull {
		return file, nil
	}
	o, err := v.Object()
	if err != nil {
		return file, fmt.Errorf("file must be an object, not %s", v.Type())
	}
	o.Visit(func(k []byte, f *fastjson.Value) {
		if err != nil {
			return
		}
		switch string(k) {
		case "path":
			file.Path, err = optString(f, "file.path")
		case "content":
			file.Content = nil
			if f.Type() != fastjson.TypeNull {
				var s string
				if s, err = optString(f, "file.content"); err == nil {
					file.Content = &s
				}
			}
		case "front_matter":
			file.FrontMatter = nil
			if f.Type() == fastjson.TypeNull {
				return
			}
			var fm any
			if fm, err = toGo(f); err == nil {
				var ok bool
				if file.FrontMatter, ok = fm.(map[string]any); !ok {
					err = fmt.Errorf("file.front_matter must be an object, not %s", f.Type())
				}
			}
		}
	})
	return file, err
}

// optString is a string field's value; null leaves it empty, as
// encoding/json does.
func optString(v *fastjson.Value, name string) (string, error) {
	switch v.Type() {
	case fastjson.TypeNull:
		return "", nil
	case fastjson.TypeString:
		return validString(v.GetStringBytes()), nil
	}
	return "", fmt.Errorf("%s must be a string, not %s", name, v.Type())
}

// toGo turns a parsed value into what encoding/json decodes into an any:
// map[string]any, []any, string, float64, bool or nil.
func toGo(v *fastjson.Value) (any, error) {
	switch v.Type() {
	case fastjson.TypeObject:
		o, _ := v.Object()
		m := make(map[string]any, o.Len())
		var err error
		o.Visit(func(k []byte, f *fastjson.Value) {
			if err != nil {
				return
			}
			var x any
			if x, err = toGo(f); err == nil {
				m[validString(k)] = x
			}
		})
		return m, err
	case fastjson.TypeArray:
		vs, _ := v.Array()
		a := make([]any, len(vs))
		for i, e := range vs {
			x, err := toGo(e)
			if err != nil {
				return nil, err
			}
			a[i] = x
		}
		return a, nil
	case fastjson.TypeString:
		return validString(v.GetStringBytes()), nil
	case fastjson.TypeNumber:
		f, err := strconv.ParseFloat(string(v.MarshalTo(nil)), 64)
		if err != nil || math.IsInf(f, 0) {
			return nil, fmt.Errorf("number %s is out of range", v.MarshalTo(nil))
		}
		return f, nil
	case fastjson.TypeTrue:
		return true, nil
	case fastjson.TypeFalse:
		return false, nil
	}
	return nil, nil
}

// validString is b as a string, with invalid UTF-8 replaced by U+FFFD, as
// encoding/json decodes it.
func validString(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	out := make([]byte, 0, len(b)+8)
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		out = utf8.AppendRune(out, r) // RuneError for a bad byte
		b = b[n:]
	}
	return string(out)
}

// appendReply appends the response to id (nil: JSON null) with result or
// rpcErr, and a newline.
func appendReply(b []byte, id *json.RawMessage, result []byte, rpcErr *Error) []byte {
	b = append(b, `{"jsonrpc":"2.0","id":`...)
	if id == nil || len(*id) == 0 {
		b = append(b, "null"...)
	} else {
		b = append(b, *id...)
	}
	if rpcErr != nil {
		b = append(b, `,"error":{"code":`...)
		b = strconv.AppendInt(b, int64(rpcErr.Code), 10)
		b = append(b, `,"message":`...)
		b = appendString(b, rpcErr.Message)
		if len(rpcErr.Data) > 0 && json.Valid(rpcErr.Data) {
			b = append(b, `,"data":`...)
			b = append(b, rpcErr.Data...)
		}
		b = append(b, '}')
	} else {
		b = append(b, `,"result":`...)
		b = append(b, result...)
	}
	return append(b, "}\n"...)
}

// appendRunResult appends r as the result of run.
func appendRunResult(b []byte, r RunResult) []byte {
	b = append(b, '{')
	comma := false
	if r.Content != nil {
		b = append(b, `"content":`...)
		b = appendString(b, *r.Content)
		comma = true
	}
	if len(r.Findings) > 0 {
		if comma {
			b = append(b, ',')
		}
		b = append(b, `"findings":[`...)
		for i, f := range r.Findings {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '{')
			if f.Line != 0 {
				b = append(b, `"line":`...)
				b = strconv.AppendInt(b, int64(f.Line), 10)
				b = append(b, ',')
			}
			if f.Column != 0 {
				b = append(b, `"column":`...)
				b = strconv.AppendInt(b, int64(f.Column), 10)
				b = append(b, ',')
			}
			if f.Severity != "" {
				b = append(b, `"severity":`...)
				b = appendString(b, f.Severity)
				b = append(b, ',')
			}
			b = append(b, `"message":`...)
			b = appendString(b, f.Message)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// appendInitializeResult appends r as the result of initialize.
func appendInitializeResult(b []byte, r InitializeResult) []byte {
	b = append(b, `{"protocol":`...)
	b = strconv.AppendInt(b, int64(r.Protocol), 10)
	b = append(b, `,"actions":[`...)
	for i, a := range r.Actions {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, a)
	}
	return append(b, "]}"...)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, escaped as encoding/json escapes
// it: control characters, quote and backslash, <, > and & (HTML-safe),
// U+2028 and U+2029, and invalid UTF-8 as U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += n
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += n
			start = i
			continue
		}
		i += n
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
