package action

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"github.com/scribe-md/scribe/internal/regex"
	"github.com/scribe-md/scribe/internal/schemaerr"
)

// Spec describes an action kind: its name (the config key), its parameter
// schema and its constructor. The schema drives validation and `scribe plugins`.
type Spec struct {
	// Name is the key users write in a rule's actions list, e.g. "frontmatter.set".
	Name string
	// Summary is one line for `scribe plugins`.
	Summary string
	// Schema is the JSON Schema (draft 2020-12) of the parameters, as JSON text.
	Schema string
	// Example is a YAML snippet showing typical parameters.
	Example string
	// New builds an action from parameters that already passed Schema. Params
	// is the decoded JSON-compatible value (map[string]any, []any, string,
	// float64/int, bool, nil). New must not have side effects beyond reading
	// files named by the parameters.
	New func(params any, b Build) (Action, error)

	// schema returns Schema compiled, on first use: compiling every
	// built-in action's schema when the program started took 9 ms and
	// 1 MB of every scribe command, most of which validate few actions or
	// none. Copies of the spec share the one compilation.
	schema func() (*jsonschema.Schema, error)
}

// Build is what a constructor may know about its surroundings.
type Build struct {
	// Rule is the id of the rule the action belongs to.
	Rule string
	// Match is the rule's compiled regex (nil when the rule has none).
	Match *regex.Regexp
	// ConfigDir is the directory of the configuration file; relative paths in
	// parameters are resolved against it.
	ConfigDir string
	// Commands maps security.commands names to their resolved absolute paths.
	Commands map[string]string
	// Timeout is the default action timeout.
	Timeout time.Duration
	// Shared is state the actions of one configuration share (nil: none).
	Shared *Shared
	// Plugins are the action kinds of this configuration's plugins, by
	// full name ("wordcount.stamp"), made with NewSpec. They exist only for
	// the configuration that loaded them, so they are not registered.
	Plugins map[string]Spec
}

// NewSpec checks s's schema and returns s ready for Build.Plugins. Unlike
// Register it returns an error: plugin schemas come from users.
func NewSpec(s Spec) (Spec, error) {
	if s.Schema == "" {
		s.Schema = `{}`
	}
	sch, err := compileSchema(s.Name, s.Schema)
	if err != nil {
		return Spec{}, err
	}
	s.schema = func() (*jsonschema.Schema, error) { return sch, nil }
	return s, nil
}

// Names returns every action name known to b, built-in and plugin, sorted.
func (b Build) Names() []string {
	out := Names()
	for n := range b.Plugins {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (b Build) lookup(name string) (Spec, bool) {
	if s, ok := Lookup(name); ok {
		return s, true
	}
	s, ok := b.Plugins[name]
	return s, ok
}

var (
	regMu sync.RWMutex
	reg   = map[string]*Spec{}
)

// Register adds an action kind. It panics on a duplicate name. Its schema
// is compiled when it is first used; an invalid one, a programming error,
// fails every validation of its parameters, and CheckSchemas finds it in
// tests.
func Register(s Spec) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := reg[s.Name]; dup {
		panic("action: duplicate registration of " + s.Name)
	}
	if s.Schema == "" {
		s.Schema = `{}`
	}
	s.schema = sync.OnceValues(func() (*jsonschema.Schema, error) { return compileSchema(s.Name, s.Schema) })
	reg[s.Name] = &s
}

// Unregister removes an action kind (plugins that go away, tests).
func Unregister(name string) {
	regMu.Lock()
	defer regMu.Unlock()
	delete(reg, name)
}

// Lookup returns the spec registered under name.
func Lookup(name string) (Spec, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	s, ok := reg[name]
	if !ok {
		return Spec{}, false
	}
	return *s, true
}

// Names returns every registered action name, sorted.
func Names() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	out := make([]string, 0, len(reg))
	for n := range reg {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// ParamError is a parameter that failed its action's schema. Path is a JSON
// pointer inside the parameters ("" for the parameters themselves).
type ParamError struct {
	Path    string
	Message string
	// Unknown is set when Path names a parameter (or, in a pipeline, an
	// action) that does not exist; Known then lists those that do at that
	// place, sorted, for a "did you mean" hint.
	Unknown string
	Known   []string
	// Description is what the schema says of the value that failed (its
	// "description"), when it says something.
	Description string
}

func (e ParamError) Error() string {
	if e.Path == "" {
		return e.Message
	}
	return e.Path + ": " + e.Message
}

// New validates params against the named action's schema and constructs it.
// Schema violations come back as a []ParamError wrapped in *ParamsError.
func New(name string, params any, b Build) (Action, error) {
	s, ok := b.lookup(name)
	if !ok {
		return nil, &UnknownError{Name: name}
	}
	if errs := s.ValidateParams(params); len(errs) > 0 {
		return nil, &ParamsError{Action: name, Errors: errs}
	}
	a, err := s.New(params, b)
	if err != nil {
		return nil, err
	}
	if v, ok := a.(Validator); ok {
		if err := v.Validate(); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// ValidateParams checks params against the spec's schema and returns every
// violation, deepest first within each branch.
func (s Spec) ValidateParams(params any) []ParamError {
	if s.schema == nil {
		return nil
	}
	sch, err := s.schema()
	if err != nil {
		return []ParamError{{Message: fmt.Sprintf("action %s has an invalid schema (a bug in Scribe): %v", s.Name, err)}}
	}
	err = sch.Validate(normalize(params))
	if err == nil {
		return nil
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return []ParamError{{Message: err.Error()}}
	}
	return s.flatten(ve)
}

// CheckSchemas compiles the schema of every registered action and returns
// the first that does not compile.
func CheckSchemas() error {
	for _, name := range Names() {
		s, _ := Lookup(name)
		if _, err := s.schema(); err != nil {
			return fmt.Errorf("action %s: invalid schema: %w", name, err)
		}
	}
	return nil
}

// UnknownError is returned for an action name nothing registered.
type UnknownError struct{ Name string }

func (e *UnknownError) Error() string { return fmt.Sprintf("unknown action %q", e.Name) }

// ParamsError lists every schema violation of one action's parameters.
type ParamsError struct {
	Action string
	Errors []ParamError
}

func (e *ParamsError) Error() string {
	msg := fmt.Sprintf("invalid parameters for %s:", e.Action)
	for _, pe := range e.Errors {
		msg += " " + pe.Error() + ";"
	}
	return msg[:len(msg)-1]
}

func compileSchema(name, text string) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(stringsReader(text))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	url := "scribe:action/" + name + ".json"
	if err := c.AddResource(url, doc); err != nil {
		return nil, err
	}
	return c.Compile(url)
}

// normalize round-trips v through JSON so YAML-decoded values (uint64,
// map[string]any from different decoders) take the shapes the validator knows.
func normalize(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	out, err := jsonschema.UnmarshalJSON(bytesReader(b))
	if err != nil {
		return v
	}
	return out
}

// flatten turns ve into one ParamError per leaf violation, with the failing
// schema's description, and one per parameter the schema does not allow,
// naming those it does.
func (s Spec) flatten(ve *jsonschema.ValidationError) []ParamError {
	var out []ParamError
	var doc any // the schema as JSON
	if err := json.Unmarshal([]byte(s.Schema), &doc); err != nil {
		doc = map[string]any{}
	}
	for _, e := range schemaerr.Leaves(ve) {
		_, at, _ := strings.Cut(e.SchemaURL, "#")
		failed := schemaerr.At(doc, at)
		ap, ok := e.ErrorKind.(*kind.AdditionalProperties)
		if !ok {
			desc, _ := failed["description"].(string)
			out = append(out, ParamError{Path: schemaerr.Pointer(e.InstanceLocation...), Message: message(e.ErrorKind), Description: desc})
			continue
		}
		known := schemaerr.PropertyNames(failed)
		for _, p := range ap.Properties {
			out = append(out, ParamError{
				Path:    schemaerr.Pointer(append(slices.Clip(e.InstanceLocation), p)...),
				Message: fmt.Sprintf("unknown parameter %q", p),
				Unknown: p, Known: known,
			})
		}
	}
	return out
}

// durationRegexp is DurationPattern as the validator compiled it (JSON
// unescaped).
var durationRegexp = strings.ReplaceAll(DurationPattern, `\\`, `\`)

// message is the validator's wording of k, but for a duration written
// wrong, which it would report as a mismatch with DurationPattern's regular
// expression.
func message(k jsonschema.ErrorKind) string {
	if p, ok := k.(*kind.Pattern); ok && p.Want == durationRegexp {
		return fmt.Sprintf(`expected a duration like "5s" or "300ms", got %q`, p.Got)
	}
	return schemaerr.Message(k)
}
