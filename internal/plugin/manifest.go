package plugin

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"go.yaml.in/yaml/v3"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/schemaerr"
	wire "github.com/scribe-md/scribe/plugin"
)

// ManifestName is the manifest's file name inside a plugin folder.
const ManifestName = "scribe-plugin.yaml"

// maxManifestSize bounds a manifest; real ones are a few KiB.
const maxManifestSize = 256 << 10

// DefaultMemory is a WebAssembly instance's memory cap when the manifest
// sets none.
const DefaultMemory = 64 << 20

// Permissions an action may hold.
const (
	PermRead  = "read"
	PermWrite = "write"
)

// Manifest is a plugin's scribe-plugin.yaml, checked.
type Manifest struct {
	Name        string
	Version     string
	Protocol    int
	Runtime     string // "process" or "wasm"
	Command     []string
	Module      string
	SHA256      string // lowercase hex, or ""
	Concurrency int
	Instances   int
	Memory      int64 // wasm: bytes
	Actions     []ActionDef

	// Dir is the plugin folder (absolute); File the manifest as named in
	// messages.
	Dir, File string
	// Raw is the manifest's content (reloads compare it).
	Raw []byte
}

// ActionDef is one action of a manifest.
type ActionDef struct {
	Name        string
	Description string
	Params      json.RawMessage // a JSON Schema; `{}` when the manifest sets none
	Permissions []string
	Timeout     time.Duration
}

// Can reports whether the action holds the permission.
func (a ActionDef) Can(perm string) bool { return slices.Contains(a.Permissions, perm) }

//go:embed manifest.schema.json
var manifestSchemaJSON []byte

var (
	schemaOnce sync.Once
	schema     *jsonschema.Schema
	schemaDoc  map[string]any
)

func manifestSchema() (*jsonschema.Schema, map[string]any) {
	schemaOnce.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(manifestSchemaJSON))
		if err != nil {
			panic(err)
		}
		c := jsonschema.NewCompiler()
		if err := c.AddResource("scribe:plugin.json", doc); err != nil {
			panic(err)
		}
		schema = c.MustCompile("scribe:plugin.json")
		schemaDoc = doc.(map[string]any)
	})
	return schema, schemaDoc
}

// Schema returns the JSON Schema of a manifest.
func Schema() []byte { return slices.Clone(manifestSchemaJSON) }

// LoadManifest reads and checks the manifest of the plugin folder dir. name
// is how the manifest is named in messages. On failure the error is a
// config.Errors holding every problem, each with file:line:column and field
// path.
func LoadManifest(dir, name string) (*Manifest, error) {
	f, err := os.Open(filepath.Join(dir, ManifestName))
	if err != nil {
		hint := "a plugin folder holds a " + ManifestName + "; `scribe plugin new NAME` writes one"
		return nil, config.Errors{{File: name, Message: fmt.Sprintf("cannot read the plugin manifest: %v", unwrapPathError(err)), Hint: hint}}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxManifestSize+1))
	if err != nil {
		return nil, config.Errors{{File: name, Message: fmt.Sprintf("cannot read the plugin manifest: %v", err)}}
	}
	return ParseManifest(name, dir, data)
}

// ParseManifest checks the manifest text data of the plugin folder dir.
func ParseManifest(name, dir string, data []byte) (*Manifest, error) {
	if len(data) > maxManifestSize {
		return nil, config.Errors{{File: name, Line: 1, Column: 1, Message: fmt.Sprintf("the manifest is larger than %d KiB", maxManifestSize>>10)}}
	}
	t := &tree{file: name, pos: map[string]config.Position{}, keyPos: map[string]config.Position{}, budget: 10000}
	root := t.parse(bytes.TrimPrefix(data, []byte("\uFEFF")))
	if len(t.errs) > 0 {
		return nil, t.sorted()
	}
	s, _ := manifestSchema()
	bad := map[string]bool{}
	if err := s.Validate(root); err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			t.schemaErrors(root, ve, bad)
		} else {
			t.errorAt("", "", "%v", err)
		}
	}
	m := &Manifest{Dir: dir, File: name, Raw: data, Concurrency: 1, Instances: 1, Memory: DefaultMemory}
	t.decode(root.(map[string]any), m, bad)
	if len(t.errs) > 0 {
		return nil, t.sorted()
	}
	return m, nil
}

// tree is a manifest as plain JSON values with the position of every value
// and key, by field path ("actions[0].params").
type tree struct {
	file   string
	pos    map[string]config.Position
	keyPos map[string]config.Position
	budget int
	errs   config.Errors
}

func (t *tree) errorAt(path, hint, format string, args ...any) {
	p := t.nearest(path)
	t.errs = append(t.errs, &config.Error{File: t.file, Line: p.Line, Column: p.Column, Path: path, Message: fmt.Sprintf(format, args...), Hint: hint})
}

func (t *tree) nearest(path string) config.Position {
	for {
		if p, ok := t.pos[path]; ok && p.Line > 0 {
			return p
		}
		if path == "" {
			return config.Position{Line: 1, Column: 1}
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			path = ""
		} else {
			path = path[:i]
		}
	}
}

func (t *tree) sorted() config.Errors {
	out := slices.Clone(t.errs)
	slices.SortStableFunc(out, func(a, b *config.Error) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Column - b.Column
	})
	return out
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (t *tree) parse(data []byte) any {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		e := &config.Error{File: t.file, Line: 1, Column: 1, Message: err.Error()}
		if errors.Is(err, io.EOF) {
			e.Message, e.Hint = "the manifest is empty", "`scribe plugin new NAME` writes a starter manifest"
		} else if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			e.Line, _ = strconv.Atoi(m[1])
			e.Message = m[2]
			if strings.HasPrefix(e.Message, "did not find expected") {
				// yaml.v3 numbers a parser error's line from 0, at the
				// construct the problem is in (a scanner error's from 1).
				e.Line++
				e.Hint = "check the brackets, quotes and indentation of what starts here"
			}
		} else {
			e.Message = strings.TrimPrefix(err.Error(), "yaml: ")
		}
		t.errs = append(t.errs, e)
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		t.errs = append(t.errs, &config.Error{File: t.file, Line: extra.Line, Column: extra.Column,
			Message: "a manifest holds one YAML document", Hint: "remove the extra \"---\" document"})
		return nil
	}
	v := t.value(&doc, "", 0)
	if _, ok := v.(map[string]any); !ok && len(t.errs) == 0 {
		t.errorAt("", "", "the manifest must be a mapping (name: ..., runtime: ..., actions: [...])")
	}
	return v
}

// value converts n, recorded at path.
func (t *tree) value(n *yaml.Node, path string, depth int) any {
	if t.budget--; t.budget < 0 || depth > 64 {
		if t.budget == -1 || depth == 65 {
			t.errorAt(path, "", "the manifest is nested too deeply or expands to too many values")
		}
		return nil
	}
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil
		}
		return t.value(n.Content[0], path, depth)
	}
	p := config.Position{Line: n.Line, Column: n.Column}
	if n.Kind == yaml.MappingNode && len(n.Content) > 0 && n.Style&yaml.FlowStyle == 0 {
		p = config.Position{Line: n.Content[0].Line, Column: n.Content[0].Column}
	}
	t.pos[path] = p
	switch n.Kind {
	case yaml.AliasNode:
		return t.value(n.Alias, path, depth+1)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for i, c := range n.Content {
			out = append(out, t.value(c, path+"["+strconv.Itoa(i)+"]", depth+1))
		}
		return out
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			kpath := childPath(path, k.Value)
			if k.Kind != yaml.ScalarNode {
				t.pos[kpath] = config.Position{Line: k.Line, Column: k.Column}
				t.errorAt(kpath, "write the key as plain text", "mapping keys must be plain text")
				continue
			}
			if k.Value == "<<" && k.Tag == "!!merge" {
				t.pos[kpath] = config.Position{Line: k.Line, Column: k.Column}
				t.errorAt(kpath, "write the keys out", "merge keys (<<) are not supported in a manifest")
				continue
			}
			if _, dup := out[k.Value]; dup {
				t.pos[kpath] = config.Position{Line: k.Line, Column: k.Column}
				t.errorAt(kpath, "remove one of them", "key %q is defined twice", k.Value)
				continue
			}
			t.keyPos[kpath] = config.Position{Line: k.Line, Column: k.Column}
			out[k.Value] = t.value(v, kpath, depth+1)
		}
		return out
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return nil
		case "!!bool":
			var b bool
			if n.Decode(&b) == nil {
				return b
			}
		case "!!int":
			var i int64
			if n.Decode(&i) == nil {
				return i
			}
		case "!!float":
			var f float64
			if n.Decode(&f) == nil {
				return f
			}
		}
		return n.Value
	}
	t.errorAt(path, "", "unsupported YAML construct")
	return nil
}

func childPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// schemaErrors turns every leaf violation into an Error in plain words.
func (t *tree) schemaErrors(root any, ve *jsonschema.ValidationError, bad map[string]bool) {
	for _, e := range schemaerr.Leaves(ve) {
		t.schemaError(root, e, bad)
	}
}

// schemaError turns one leaf violation into an Error.
func (t *tree) schemaError(root any, ve *jsonschema.ValidationError, bad map[string]bool) {
	path := fieldPath(root, ve.InstanceLocation)
	bad[path] = true
	switch k := ve.ErrorKind.(type) {
	case *kind.AdditionalProperties:
		known := t.knownKeys(ve.SchemaURL)
		for _, key := range k.Properties {
			kp := childPath(path, key)
			bad[kp] = true
			if p, ok := t.keyPos[kp]; ok {
				t.pos[kp] = p
			}
			hint := config.DidYouMean(key, known)
			if hint == "" {
				hint = "known fields here: " + strings.Join(known, ", ")
			}
			t.errorAt(kp, hint, "unknown field %q", key)
		}
	case *kind.Required:
		for _, m := range k.Missing {
			t.errorAt(path, requiredHint(m), "missing required field %q", m)
		}
	case *kind.Type:
		t.errorAt(path, "", "expected %s, got %s", schemaerr.Types(k.Want), schemaerr.Value(valueAt(root, ve.InstanceLocation)))
	case *kind.Minimum:
		t.errorAt(path, "", "must be at least %s, got %s", k.Want.RatString(), k.Got.RatString())
	case *kind.Maximum:
		t.errorAt(path, "", "must be at most %s, got %s", k.Want.RatString(), k.Got.RatString())
	case *kind.MinItems:
		t.errorAt(path, requiredHint(path), "must list at least %d, got %d", k.Want, k.Got)
	case *kind.UniqueItems:
		t.errorAt(path, "", "must not list the same value twice")
	case *kind.Enum:
		want := make([]string, len(k.Want))
		for i, w := range k.Want {
			want[i] = strconv.Quote(fmt.Sprint(w))
		}
		t.errorAt(path, "", "must be one of %s, got %s", strings.Join(want, ", "), schemaerr.Value(k.Got))
	case *kind.Pattern:
		t.errorAt(path, patternHint(path), "invalid value %q", k.Got)
	default:
		t.errorAt(path, "", "%s", schemaerr.Message(ve.ErrorKind))
	}
}

func requiredHint(field string) string {
	switch field {
	case "protocol":
		return "write protocol: 1"
	case "runtime":
		return "write runtime: process or runtime: wasm"
	case "actions":
		return "list the actions the plugin serves, e.g. actions: [{name: stamp, permissions: [read, write]}]"
	}
	return ""
}

func patternHint(path string) string {
	switch {
	case path == "name", strings.HasSuffix(path, ".name"):
		return "use lowercase letters, digits, '_' and '-', starting with a letter"
	case path == "sha256":
		return "64 hexadecimal digits, as printed by `sha256sum FILE`"
	case path == "memory":
		return `a size like "64MiB"`
	case strings.HasSuffix(path, ".timeout"):
		return `a duration like "5s" or "500ms"`
	}
	return ""
}

// knownKeys returns the property names of the schema object at url.
func (t *tree) knownKeys(url string) []string {
	_, doc := manifestSchema()
	_, ptr, _ := strings.Cut(url, "#")
	var cur any = doc
	for _, tok := range strings.Split(strings.Trim(ptr, "/"), "/") {
		if tok == "" {
			continue
		}
		m, _ := cur.(map[string]any)
		cur = m[tok]
	}
	m, _ := cur.(map[string]any)
	props, _ := m["properties"].(map[string]any)
	var out []string
	for k := range props {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func fieldPath(root any, loc []string) string {
	path, cur := "", root
	for _, tok := range loc {
		switch c := cur.(type) {
		case []any:
			i, _ := strconv.Atoi(tok)
			path += "[" + tok + "]"
			if i >= 0 && i < len(c) {
				cur = c[i]
			} else {
				cur = nil
			}
		case map[string]any:
			path, cur = childPath(path, tok), c[tok]
		default:
			path, cur = childPath(path, tok), nil
		}
	}
	return path
}

func valueAt(root any, loc []string) any {
	cur := root
	for _, tok := range loc {
		switch c := cur.(type) {
		case []any:
			i, _ := strconv.Atoi(tok)
			if i < 0 || i >= len(c) {
				return nil
			}
			cur = c[i]
		case map[string]any:
			cur = c[tok]
		default:
			return nil
		}
	}
	return cur
}

// decode fills m from the schema-checked root and checks what the schema
// cannot: the protocol version, what each runtime requires, unique action
// names and each action's parameter schema.
func (t *tree) decode(root map[string]any, m *Manifest, bad map[string]bool) {
	str := func(k string) string { s, _ := root[k].(string); return s }
	num := func(k string, def int) int {
		if n, ok := root[k].(int64); ok {
			return int(n)
		}
		return def
	}
	m.Name, m.Version, m.Runtime, m.Module = str("name"), str("version"), str("runtime"), str("module")
	m.SHA256 = strings.ToLower(str("sha256"))
	m.Protocol = num("protocol", 0)
	m.Concurrency, m.Instances = num("concurrency", 1), num("instances", 1)
	if list, ok := root["command"].([]any); ok {
		for _, a := range list {
			s, _ := a.(string)
			m.Command = append(m.Command, s)
		}
	}
	if _, set := root["protocol"]; set && !bad["protocol"] && m.Protocol != wire.Protocol {
		t.errorAt("protocol", fmt.Sprintf("use a version of the plugin made for protocol %d, or a Scribe that speaks protocol %d", wire.Protocol, m.Protocol),
			"protocol %d is not supported; this Scribe speaks protocol %d", m.Protocol, wire.Protocol)
	}
	switch m.Runtime {
	case "process":
		if _, set := root["command"]; !set {
			t.errorAt("", "e.g. command: [python3, main.py]; command[0] must be in security.commands", "a process plugin needs a command")
		}
		for _, k := range []string{"module", "memory"} {
			if _, set := root[k]; set {
				t.errorAt(k, "remove it, or set runtime: wasm", "%s applies to wasm plugins only", k)
			}
		}
	case "wasm":
		if _, set := root["module"]; !set {
			t.errorAt("", "e.g. module: plugin.wasm (a WASI preview 1 command or reactor module)", "a wasm plugin needs a module")
		}
		if _, set := root["command"]; set {
			t.errorAt("command", "remove it, or set runtime: process", "command applies to process plugins only")
		}
		if m.Module != "" && !filepath.IsLocal(m.Module) {
			t.errorAt("module", "write the module's path relative to the plugin folder", "module %q is outside the plugin folder", m.Module)
		}
	}
	if v, ok := root["memory"]; ok && !bad["memory"] {
		switch x := v.(type) {
		case int64:
			m.Memory = x
		case string:
			n, err := config.ParseSize(x)
			if err != nil {
				t.errorAt("memory", `a size like "64MiB"`, "%v", err)
			}
			m.Memory = int64(n)
		}
		if m.Memory < 1<<20 {
			t.errorAt("memory", `a WebAssembly instance needs at least "1MiB"`, "memory cap %d bytes is too small", m.Memory)
		}
	}
	actions, _ := root["actions"].([]any)
	seen := map[string]int{}
	for i, av := range actions {
		base := "actions[" + strconv.Itoa(i) + "]"
		am, ok := av.(map[string]any)
		if !ok {
			continue
		}
		a := ActionDef{Params: json.RawMessage(`{}`)}
		a.Name, _ = am["name"].(string)
		a.Description, _ = am["description"].(string)
		if j, dup := seen[a.Name]; dup && a.Name != "" {
			t.errorAt(base+".name", "give each action its own name", "duplicate action name %q; actions[%d] already uses it", a.Name, j)
		}
		seen[a.Name] = i
		if ps, ok := am["permissions"].([]any); ok {
			for _, p := range ps {
				s, _ := p.(string)
				a.Permissions = append(a.Permissions, s)
			}
		}
		if ts, ok := am["timeout"].(string); ok && !bad[base+".timeout"] {
			d, err := config.ParseDuration(ts)
			switch {
			case err != nil:
				t.errorAt(base+".timeout", `a duration like "5s"`, "%v", err)
			case d <= 0:
				t.errorAt(base+".timeout", "leave it out to use the rule's timeout", "timeout must be greater than zero")
			}
			a.Timeout = d.Std()
		}
		if p, ok := am["params"]; ok && !bad[base+".params"] {
			b, _ := json.Marshal(p)
			a.Params = b
			if _, err := action.NewSpec(action.Spec{Name: m.Name + "." + a.Name, Schema: string(b)}); err != nil {
				t.errorAt(base+".params", "params is a JSON Schema (draft 2020-12) of the action's parameters", "invalid parameter schema: %s", schemaProblem(err))
			}
		}
		m.Actions = append(m.Actions, a)
	}
}

// schemaProblem phrases why a parameter schema does not compile: the
// leaves of its validation against the metaschema, by location.
func schemaProblem(err error) string {
	var sve *jsonschema.SchemaValidationError
	var ve *jsonschema.ValidationError
	if !errors.As(err, &sve) || !errors.As(sve.Err, &ve) {
		return oneLine(err.Error())
	}
	var parts []string
	for _, e := range schemaerr.Leaves(ve) {
		parts = append(parts, "/"+strings.Join(e.InstanceLocation, "/")+": "+schemaerr.Message(e.ErrorKind))
	}
	slices.Sort(parts)
	return strings.Join(slices.Compact(parts), "; ")
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
