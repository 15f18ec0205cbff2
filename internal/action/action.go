package action

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"time"

	"github.com/scribe-md/scribe/internal/markdown"
)

// Action is the unit of work a rule runs on a file.
type Action interface {
	// Run processes one file. It honours ctx's deadline and returns either an
	// Output or an error; an error fails the rule for this file and nothing is
	// written.
	Run(ctx context.Context, in Input) (Output, error)
}

// Validator is implemented by actions that can check their parameters beyond
// what the JSON Schema expresses. It runs when the configuration loads.
type Validator interface {
	Validate() error
}

// Finisher is implemented by actions that aggregate over many files (catalog,
// index). The engine calls Finish once after a one-shot run has processed every
// file, and after each batch in the daemon.
type Finisher interface {
	Finish(ctx context.Context, h Host) (Output, error)
}

// Local is implemented by actions that say whether they must run where
// the files are: in scale-out mode (doc/SCALE-OUT.md) the owner daemon
// sends a file's rules to remote workers, which have its content and
// nothing else, only when none of them is local. An action is local when
// it reads other documents (Host.Docs), writes other files (Host.Writer),
// or gathers state across files; see IsLocal.
type Local interface {
	Local() bool
}

// IsLocal reports whether a must run where the files are: it says so
// (Local), or it aggregates over files (Finisher) and does not say
// otherwise. An action that implements neither runs anywhere: it sees the
// content it is given and nothing else.
func IsLocal(a Action) bool {
	if l, ok := a.(Local); ok {
		return l.Local()
	}
	_, agg := a.(Finisher)
	return agg
}

// Closer is implemented by actions that hold resources (processes, caches).
// Close must succeed even when ctx is already done.
type Closer interface {
	Close(ctx context.Context) error
}

// Input is what an action sees of a file.
type Input struct {
	// Root is the absolute path of the tree the file belongs to (for messages).
	Root string
	// Path is the file's path relative to Root, with forward slashes.
	Path string
	// Content is the current content: the file as read, or the previous
	// action's output in the same rule.
	Content []byte
	// FrontMatter is the parsed front matter of Content (empty, never nil, when
	// there is none).
	FrontMatter map[string]any
	// Match is the rule's regex match on the content the rule started with, or
	// nil when the rule has no match.
	Match *Match
	// Rule is the id of the rule running the action.
	Rule string
	// Origin says where the change being processed came from.
	Origin Origin
	// DryRun is true in `scribe check`: the action must not cause effects
	// outside its Output (Host ports already honour this).
	DryRun bool
	// Host holds the ports through which the action reaches anything else.
	Host Host
}

// Origin says where the change that made a file worth processing came
// from. Rules see it as `origin` in conditions and templates.
type Origin string

const (
	// OriginUser: the file changed in the work tree, not through a git
	// operation (an edit by a person or another program).
	OriginUser Origin = "user"
	// OriginVCS: the file was written by a git operation (checkout, pull,
	// merge, rebase, stash, reset...).
	OriginVCS Origin = "vcs"
	// OriginScribe: Scribe itself changed the file, or a file it depends on
	// (an aggregating action's write, an undo, a renamed link target).
	OriginScribe Origin = "scribe"
	// OriginScan: no change is known: the file is seen for the first time
	// (a first run, a first start, a new clone) or looked at again without
	// having changed since Scribe last recorded it.
	OriginScan Origin = "scan"
)

// Output is what an action returns.
type Output struct {
	// Content is the new content; nil means unchanged.
	Content []byte
	// Findings are problems found in the file.
	Findings []Finding
	// Events are published on the bus (stdout in one-shot runs).
	Events []Event
	// Affected names other files (relative to the same root) whose result may
	// have changed because of this one: files linking to a changed note, an
	// index whose inputs changed. The daemon requeues them; a one-shot run
	// processes them once more after its main pass.
	Affected []string
}

// Match is a regex match with its groups.
type Match struct {
	// Groups holds the whole match at index 0, then each numbered group
	// ("" for a group that did not participate).
	Groups []string
	// Named maps each named group to its text.
	Named map[string]string
	// Start and End are the byte offsets of the whole match in the content.
	Start, End int
}

// Severity ranks a finding.
type Severity string

// Severities, from most to least serious.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

// Finding is a problem an action reports about a file. Line and Column are
// 1-based; 0 means "the whole file".
type Finding struct {
	Path       string   `json:"path"`
	Line       int      `json:"line,omitempty"`
	Column     int      `json:"column,omitempty"`
	Rule       string   `json:"rule"`
	Action     string   `json:"action"`
	Severity   Severity `json:"severity"`
	Message    string   `json:"message"`
	Suggestion string   `json:"suggestion,omitempty"`
}

// Event is a message an action publishes.
type Event struct {
	Type string         `json:"type"`
	Path string         `json:"path"`
	Data map[string]any `json:"data,omitempty"`
}

// Host holds the ports an action may use. The engine fills only the ports an
// action is permitted to use; a nil field means "not granted".
type Host struct {
	// Logger logs with the rule, path and action already attached.
	Logger *slog.Logger
	// Clock returns the current time; tests substitute a fixed clock.
	Clock func() time.Time
	// Docs gives read access to the other documents under the roots.
	Docs Docs
	// Writer writes or renames other files (never the input file: that goes
	// through Output.Content). In a dry run it records instead of writing.
	Writer Writer
	// Commands runs allow-listed commands.
	Commands CommandRunner
	// Publisher publishes events immediately (Output.Events is the usual way).
	Publisher Publisher
}

// Now returns the Host's Clock's time, or the wall clock's when the Host
// has no Clock.
func (h Host) Now() time.Time {
	if h.Clock != nil {
		return h.Clock()
	}
	return time.Now()
}

// Docs is read access to every document the configuration includes, across
// all roots, addressed by slash-separated paths relative to their root. Paths of
// the root a file belongs to are plain; the engine keeps one Docs per root.
type Docs interface {
	// List returns every included document path, sorted.
	List() []string
	// ReadFile returns a document's content.
	ReadFile(path string) ([]byte, error)
	// Stat returns a document's file info.
	Stat(path string) (fs.FileInfo, error)
}

// InfoReader is implemented by a Docs that can read a document and hand
// over the file info of that same read: one open where Stat then ReadFile
// take two. It is for callers that index what they read and keep none of
// it (the link graph's load, the index and catalog actions' cache): fn
// gets the content, valid only until fn returns (its buffer is reused),
// and the info. The info may be from before the content was read (one
// fstat, then the read): a change during the read then leaves a later Stat
// that differs from it, so a caller that compares Stats to decide whether
// to read again reads the file again. A failed read returns its error
// without calling fn.
type InfoReader interface {
	ReadFileInfo(path string, fn func(content []byte, fi fs.FileInfo)) error
}

// Generationer is implemented by a Docs that numbers the generations of
// its documents: Generation changes whenever they may have changed in a way
// a Stat would show (a file processed, a write, the list changed, a new
// round of Finish calls), so a caller may keep using a Stat made while it
// had the value it has now. Each round of Finish calls starts a new one:
// the first look at a document in a round is always a Stat.
type Generationer interface {
	Generation() uint64
}

// EachStater is implemented by a Docs that can Stat many documents for
// less than a Stat each: StatEach calls fn with each path's index and what
// Stat gives for it, in order. In a sorted list, the documents of one folder
// follow each other, and the folder is opened once for all of them.
type EachStater interface {
	StatEach(paths []string, fn func(i int, fi fs.FileInfo, err error))
}

// Dialecter is implemented by a Docs that knows the front matter dialect of
// its root, as the engine decided it when the root opened (see
// markdown.DialectOf): actions then read a file's front matter as the
// engine does, without looking again.
type Dialecter interface {
	Dialect() markdown.Dialect
}

// DialectOf returns the front matter dialect of the root d serves: d's own
// when it knows it (Dialecter), else what markdown.DialectOf finds there;
// Standard without d.
func DialectOf(d Docs) markdown.Dialect {
	switch x := d.(type) {
	case nil:
		return markdown.Standard
	case Dialecter:
		return x.Dialect()
	}
	return markdown.DialectOf(d.Stat)
}

// Targets is implemented by a Docs that also knows the files that exist but
// are excluded from processing (the configuration's exclude globs): links
// to them resolve, since exclusion limits what is processed, not what
// exists. Targets returns documents and those files together, sorted.
type Targets interface {
	Targets() []string
}

// DirReader is implemented by a Docs that can list a directory of its root,
// every entry, documents or not: an action about to move a folder looks at
// what else the folder holds.
type DirReader interface {
	ReadDir(path string) ([]fs.DirEntry, error)
}

// OneShot is implemented by a Docs that says whether it serves a one-shot
// run (scribe run, scribe check): its documents are taken as they are when
// the run reads them, so an action may keep what it learned of a document
// (a Stat, a parse) for the whole run instead of looking again after a
// while, as it must for a daemon, whose files change under it.
type OneShot interface {
	OneShot() bool
}

// Writer changes files other than the one being processed, safely (atomic,
// confined to the root). Paths are relative to the root of the input file.
type Writer interface {
	// WriteFile replaces or creates path with content, only if it differs.
	WriteFile(ctx context.Context, path string, content []byte) error
	// Rename moves a file or directory; it fails if the target exists
	// (a case-only rename of the same file is allowed).
	Rename(ctx context.Context, from, to string) error
}

// Replacer is implemented by a Writer that replaces a file only if it still
// holds what the action read. An action that rewrites another file from
// content it read itself uses it, so as not to undo an edit made since: a
// file changed since fails with a *safefile.ConflictError, which the engine
// answers by redoing the file the action ran on. A dry run's Writer does
// not compare: it writes nothing.
type Replacer interface {
	ReplaceFile(ctx context.Context, path string, old, content []byte) error
}

// CommandRunner runs an allow-listed command.
type CommandRunner interface {
	Run(ctx context.Context, cmd Command) (CommandResult, error)
}

// Command is one invocation of an allow-listed program.
type Command struct {
	// Name is the security.commands name; the runner resolves the path.
	Name string
	// Args are passed as argv[1:], never through a shell.
	Args []string
	// Files are appended after a "--" separator, each as one argument.
	Files []string
	// Stdin is written to the child's standard input (nil: empty).
	Stdin []byte
	// Dir is the working directory, relative to the root ("" = the root).
	Dir string
	// Timeout bounds the whole run; the process group is killed when it passes.
	Timeout time.Duration
}

// CommandResult is what a finished command produced.
type CommandResult struct {
	ExitCode  int
	Stdout    []byte
	Stderr    []byte
	Truncated bool // output exceeded the cap and was cut
}

// Publisher sends events out (the bus, or stdout in one-shot runs).
type Publisher interface {
	Publish(ctx context.Context, ev Event) error
}

// Errors an action or the engine returns.
var (
	// ErrNotPermitted is returned by an action whose Host lacks a port it needs.
	ErrNotPermitted = errors.New("action: capability not granted")
	// ErrAbandoned is returned by Call when an action outlived its deadline.
	ErrAbandoned = errors.New("action: abandoned after its deadline")
)
