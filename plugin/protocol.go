package plugin

import "encoding/json"

// Protocol is the version of the wire protocol this package speaks. A host
// and a plugin agree on it in the initialize handshake; a mismatch refuses
// to load.
const Protocol = 1

// Method names of the protocol.
const (
	MethodInitialize = "initialize"
	MethodRun        = "run"
	MethodShutdown   = "shutdown"
)

// JSON-RPC 2.0 error codes used by the protocol.
const (
	CodeParseError     = -32700
	CodeInvalidRequest = -32600
	CodeMethodNotFound = -32601
	CodeInvalidParams  = -32602
	CodeInternalError  = -32603
	// CodeActionFailed is what Serve answers when a handler returns an
	// error that is not an *Error.
	CodeActionFailed = 1
)

// MaxLine bounds one message (one line) a plugin reads or writes. A host
// refuses a longer reply; Serve refuses a longer request.
const MaxLine = 64 << 20

// Message is one JSON-RPC 2.0 message: a request (Method set; ID absent for
// a notification) or a response (Result or Error set).
type Message struct {
	JSONRPC string           `json:"jsonrpc"`
	ID      *json.RawMessage `json:"id,omitempty"`
	Method  string           `json:"method,omitempty"`
	Params  json.RawMessage  `json:"params,omitempty"`
	Result  json.RawMessage  `json:"result,omitempty"`
	Error   *Error           `json:"error,omitempty"`
}

// InitializeParams are the params of initialize.
type InitializeParams struct {
	Protocol int `json:"protocol"`
}

// InitializeResult is the result of initialize: the protocol the plugin
// speaks and the actions it serves, which must match its manifest.
type InitializeResult struct {
	Protocol int      `json:"protocol"`
	Actions  []string `json:"actions"`
}

// RunParams are the params of run.
type RunParams struct {
	// Action is the action's name without the plugin's prefix.
	Action string `json:"action"`
	// Params are the action's parameters from the rule, already validated
	// against the manifest's JSON Schema.
	Params json.RawMessage `json:"params,omitempty"`
	// File is the file the rule runs on.
	File File `json:"file"`
}

// File is what a plugin sees of a file.
type File struct {
	// Path is relative to the root the file belongs to, with forward
	// slashes; never absolute, never with "..".
	Path string `json:"path"`
	// Content is the current content, sent only to actions with the read
	// permission (nil otherwise).
	Content *string `json:"content,omitempty"`
	// FrontMatter is the parsed front matter (empty when there is none).
	FrontMatter map[string]any `json:"front_matter"`
}

// RunResult is the result of run.
type RunResult struct {
	// Content is the new content; nil (absent) means unchanged. Only
	// actions with the write permission may return it.
	Content *string `json:"content,omitempty"`
	// Findings are problems found in the file; always allowed.
	Findings []Finding `json:"findings,omitempty"`
}

// Finding is a problem a plugin reports about the file it was given.
// Line and Column are 1-based; 0 means the whole file.
type Finding struct {
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
	Severity string `json:"severity,omitempty"` // error, warning (default) or info
	Message  string `json:"message"`
}

// Error is a JSON-RPC error. A handler may return one to choose the code.
type Error struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data,omitempty"`
}

func (e *Error) Error() string { return e.Message }
