package config

import (
	"encoding/json"
	"time"
)

// Config is a loaded, schema-valid configuration. Paths in it are as written;
// Dir is the directory they are relative to.
type Config struct {
	// Version is the configuration format version; only 1 exists.
	Version int `json:"version"`
	// Roots are the trees to watch and process, relative to Dir.
	Roots []string `json:"roots"`
	// Include are the default file globs (doublestar) for every rule.
	Include []string `json:"include"`
	// Exclude are globs never processed, on top of .gitignore, .scribeignore
	// and .git/.
	Exclude []string `json:"exclude,omitempty"`
	// Engine tunes processing.
	Engine Engine `json:"engine"`
	// Bus selects the message bus.
	Bus Bus `json:"bus"`
	// HTTP configures the daemon's HTTP surface.
	HTTP HTTP `json:"http"`
	// Security lists what actions may run.
	Security Security `json:"security"`
	// Telemetry sends the daemon's traces to an OpenTelemetry collector.
	Telemetry Telemetry `json:"telemetry"`
	// Plugins are plugin folders (each holding a scribe-plugin.yaml),
	// relative to Dir; internal/plugin loads them.
	Plugins []string `json:"plugins,omitempty"`
	// Rules are applied in order.
	Rules []Rule `json:"rules,omitempty"`

	// File is the path the configuration was loaded from ("" for defaults).
	File string `json:"-"`
	// Dir is the directory relative paths are resolved against.
	Dir string `json:"-"`
	// Positions maps field paths (as in Error.Path, e.g. "rules[0].match")
	// to where they were written.
	Positions map[string]Position `json:"-"`

	// Raw is the file's bytes as loaded: scale-out publishes them for
	// the workers, and their hash names the configuration's revision.
	Raw []byte `json:"-"`

	// invalid holds the field paths that had an error (LoadAll).
	invalid map[string]bool
}

// Engine tunes processing.
type Engine struct {
	// Workers is how many files are processed at once: in a one-shot run,
	// how many files run their actions at once, while reading and matching
	// use at least one goroutine per core.
	Workers int `json:"workers"`
	// Settle is the quiet time after a path's last event before it runs.
	Settle Duration `json:"settle"`
	// MaxWait bounds how long a path that never settles waits.
	MaxWait Duration `json:"max_wait"`
	// MaxFileSize skips larger files with a finding.
	MaxFileSize Size `json:"max_file_size"`
	// ActionTimeout is the default deadline of one action call.
	ActionTimeout Duration `json:"action_timeout"`
	// StateDir holds the journal, the index and the embedded NATS store.
	StateDir string `json:"state_dir"`
	// VCS is "auto" (inside a git work tree: hold writes while a git
	// operation runs, leave content that arrived through git alone) or
	// "off".
	VCS string `json:"vcs"`
	// MemoryBudget is the memory the daemon may hold before it reports
	// it; it is never enforced. Zero means twice what the daemon holds when
	// it first goes idle after it started, and at least 256 MiB.
	MemoryBudget Size `json:"memory_budget"`
	// Remote turns on scale-out (needs Bus.URL): the daemon is the owner
	// of its roots and sends each file's rules as a job to `scribe worker`
	// processes; Workers is then how many jobs it runs itself (0: none).
	Remote bool `json:"remote"`
	// RemoteAckWait is how long a worker may hold a job without a sign
	// of life before the server gives it to another worker.
	RemoteAckWait Duration `json:"remote_ack_wait"`
	// RemoteInFlight bounds the files the owner has out as jobs at once.
	RemoteInFlight int `json:"remote_in_flight"`
	// RemoteWait is how long a job may wait while no worker can run it
	// (none is connected, or every one refused its configuration
	// revision). Then the owner runs the rules itself when Workers is
	// above 0; otherwise the file fails (retried, then a dead letter).
	RemoteWait Duration `json:"remote_wait"`
}

// Bus selects the message bus.
type Bus struct {
	// URL is empty for the embedded server, else nats://host:port[,...].
	URL string `json:"url"`
	// Replicas is how many servers of an external cluster keep each
	// stream (the embedded server keeps 1).
	Replicas int `json:"replicas"`
}

// Telemetry configures OpenTelemetry. Off by default; the standard
// OTEL_EXPORTER_OTLP_* environment variables turn it on too.
type Telemetry struct {
	// Traces says where spans go.
	Traces Traces `json:"traces"`
}

// Traces says where the daemon's spans go over OTLP.
type Traces struct {
	// Endpoint is the collector's base URL (http://localhost:4318 for
	// HTTP, http://localhost:4317 for gRPC); it wins over
	// OTEL_EXPORTER_OTLP_ENDPOINT. "" leaves tracing to the environment.
	Endpoint string `json:"endpoint"`
	// Protocol is "http" (HTTP/protobuf) or "grpc"; "" takes
	// OTEL_EXPORTER_OTLP_PROTOCOL, else http.
	Protocol string `json:"protocol"`
}

// HTTP configures the daemon's HTTP surface and who may use its API
// (doc/SECURITY.md).
type HTTP struct {
	// Listen is host:port, or unix:PATH for a unix socket (mode 0600, PATH
	// relative to Dir); "" disables HTTP. A TCP address other machines can
	// reach needs TokenFile or TLS.
	Listen string `json:"listen"`
	// TokenFile is where the API token is kept, relative to Dir; empty means
	// api-token in the state dir. `scribe watch` creates it (mode 0600) if
	// it does not exist, and the CLI reads it.
	TokenFile string `json:"token_file,omitempty"`
	// TLS serves HTTPS with this certificate and key.
	TLS TLS `json:"tls,omitzero"`
}

// TLS names a certificate and its private key, PEM files relative to Dir.
type TLS struct {
	// Cert is the certificate chain.
	Cert string `json:"cert"`
	// Key is the private key.
	Key string `json:"key"`
}

// Security lists the commands actions may run and the environment they get.
type Security struct {
	// Commands are the only programs an action may run.
	Commands []Command `json:"commands,omitempty"`
	// Env names the environment variables passed to commands.
	Env []string `json:"env"`
}

// Command is one allow-listed program.
type Command struct {
	// Name is how actions refer to the program (argv[0] in exec).
	Name string `json:"name"`
	// Path is the program's absolute path. Load checks that it exists and is
	// a regular executable file that neither it nor its directory is
	// writable by group or others, and replaces it with the resolved path
	// (symlinks followed), which is what must be run.
	Path string `json:"path"`
}

// Rule is one declarative rule.
type Rule struct {
	// ID is unique and stable; used in logs, metrics and history.
	ID string `json:"id"`
	// Name is a human description.
	Name string `json:"name,omitempty"`
	// Enabled defaults to true.
	Enabled *bool `json:"enabled,omitempty"`
	// Files are globs relative to each root; empty means Config.Include.
	Files []string `json:"files,omitempty"`
	// Exclude are globs this rule skips.
	Exclude []string `json:"exclude,omitempty"`
	// Match is an optional RE2 regex the content must match.
	Match string `json:"match,omitempty"`
	// When is an optional boolean expression over fm, path and match.
	When string `json:"when,omitempty"`
	// Actions run in order, each seeing the previous one's output.
	Actions []ActionRef `json:"actions"`
	// OnError sets retries and the circuit breaker.
	OnError OnError `json:"on_error,omitzero"`
	// RewriteCommitted lets the daemon's writes change content equal to its
	// committed version (git) when it arrived through git or was found by a
	// scan; by default such content is left alone (findings are still
	// reported).
	RewriteCommitted bool `json:"rewrite_committed,omitempty"`
}

// IsEnabled reports whether the rule runs.
func (r Rule) IsEnabled() bool { return r.Enabled == nil || *r.Enabled }

// ActionRef is one entry of a rule's actions list: a single-key map from the
// action name to its parameters.
type ActionRef struct {
	// Name is the action's registered name.
	Name string
	// Params is the decoded parameter value (JSON-compatible).
	Params any
	// Timeout overrides the action timeout when set (the `timeout` key next
	// to the action name).
	Timeout time.Duration
}

// MarshalJSON writes a in the shape users write: {NAME: PARAMS}, plus
// "timeout" when set, so that a marshalled Config loads again.
func (a ActionRef) MarshalJSON() ([]byte, error) {
	m := map[string]any{a.Name: a.Params}
	if a.Timeout > 0 {
		m["timeout"] = Duration(a.Timeout)
	}
	return json.Marshal(m)
}

// OnError sets how a rule reacts to failures.
type OnError struct {
	// Retries is how many times a failed file is retried, with exponential
	// backoff.
	Retries int `json:"retries"`
	// Breaker opens the rule's circuit after repeated failures.
	Breaker Breaker `json:"breaker"`
}

// Breaker configures a rule's circuit breaker.
type Breaker struct {
	// Failures in a row that open the circuit (0 disables the breaker).
	Failures int `json:"failures"`
	// Reset is how long the circuit stays open before a trial call.
	Reset Duration `json:"reset"`
}

// Position is where something was written in the configuration file.
type Position struct {
	Line, Column int
}
