package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/schemaerr"
)

func ptr[T any](v T) *T { return &v }

// loadFixture loads a testdata file with "$TMP" replaced by tmp.
func loadFixture(t *testing.T, path, tmp string) *Config {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := LoadBytes(path, bytes.ReplaceAll(data, []byte("$TMP"), []byte(tmp)))
	if err != nil {
		t.Fatalf("load %s:\n%v", path, err)
	}
	return c
}

// comparable strips what depends on where the file was read from.
func comparable(c *Config) Config {
	cc := *c
	cc.File, cc.Dir, cc.Positions, cc.Raw = "", "", nil, nil
	return cc
}

func TestLoadFull(t *testing.T) {
	tmp := commandFixtures(t)
	want := Config{
		Version: 1,
		Roots:   []string{"notes", "docs"},
		Include: []string{"**/*.md", "**/*.markdown"},
		Exclude: []string{"archive/**"},
		Engine: Engine{
			Workers:       8,
			Settle:        Duration(100 * time.Millisecond),
			MaxWait:       Duration(90 * time.Second),
			MaxFileSize:   Size(1536 << 10),
			ActionTimeout: Duration(5 * time.Second),
			StateDir:      ".state",
			VCS:           "auto",
			// Defaults of the fields the file leaves out.
			RemoteAckWait:  Duration(30 * time.Second),
			RemoteWait:     Duration(30 * time.Second),
			RemoteInFlight: 256,
		},
		Bus:  Bus{URL: "nats://a:4222,nats://b:4222", Replicas: 1},
		HTTP: HTTP{Listen: ""},
		Security: Security{
			// The symlink is resolved to the program it points to.
			Commands: []Command{{Name: "tool", Path: filepath.Join(tmp, "bin", "ok")}},
			Env:      []string{"PATH"},
		},
		Rules: []Rule{
			{
				ID:      "touch-updated",
				Name:    "Stamp 'updated' when a task's state changes",
				Enabled: ptr(false),
				Files:   []string{"tasks/**/*.md"},
				Exclude: []string{"tasks/done/**"},
				Match:   `(?m)^> \[!TASK\].*\| state: (\w+)`,
				When:    `fm.status != "archived"`,
				Actions: []ActionRef{
					{Name: "frontmatter.set", Params: map[string]any{
						"updated": "{{ now }}", "count": int64(3), "ratio": 0.5,
						"tags": []any{"a", "b"}, "none": nil, "ok": true,
					}},
					{Name: "links.check", Params: map[string]any{}, Timeout: 2 * time.Second},
					{Name: "frontmatter.delete", Params: []any{"draft"}},
				},
				OnError: OnError{Retries: 3, Breaker: Breaker{Failures: 5, Reset: Duration(30 * time.Second)}},
			},
			{
				ID:      "minimal",
				Actions: []ActionRef{{Name: "log", Params: map[string]any{"message": "{{ .Path }}"}}},
				OnError: OnError{Breaker: Breaker{Reset: Duration(60 * time.Second)}},
			},
		},
	}
	for _, name := range []string{"full.yaml", "full.json"} {
		t.Run(name, func(t *testing.T) {
			c := loadFixture(t, filepath.Join("testdata", "valid", name), tmp)
			if got := comparable(c); !reflect.DeepEqual(got, want) {
				t.Errorf("decoded config differs\n got: %+v\nwant: %+v", got, want)
			}
			if c.Rules[0].IsEnabled() || !c.Rules[1].IsEnabled() {
				t.Error("IsEnabled does not follow enabled")
			}
			abs, _ := filepath.Abs(filepath.Join("testdata", "valid"))
			if c.Dir != abs {
				t.Errorf("Dir = %q, want %q", c.Dir, abs)
			}
		})
	}
}

func TestLoadDefaults(t *testing.T) {
	for _, name := range []string{"minimal.yaml", "empty-sections.yaml"} {
		t.Run(name, func(t *testing.T) {
			c := loadFixture(t, filepath.Join("testdata", "valid", name), "")
			want := Default()
			want.Rules = c.Rules
			if got, w := comparable(c), comparable(want); !reflect.DeepEqual(got, w) {
				t.Errorf("defaults differ\n got: %+v\nwant: %+v", got, w)
			}
		})
	}
	d := Default()
	if d.Version != 1 || d.Roots[0] != "." || d.Include[0] != "**/*.md" ||
		d.Engine.Workers != 4 || d.Engine.Settle.Std() != 50*time.Millisecond ||
		d.Engine.MaxWait.Std() != 2*time.Second || d.Engine.MaxFileSize != 8<<20 ||
		d.Engine.ActionTimeout.Std() != 10*time.Second || d.Engine.StateDir != ".scribe" ||
		d.HTTP.Listen != "127.0.0.1:9469" || strings.Join(d.Security.Env, ",") != "PATH,HOME,LANG" {
		t.Errorf("Default() = %+v", d)
	}
}

// TestSchemaDefaultsMatchDefault keeps the documented defaults (the schema's
// "default" keywords) and Default() in step.
func TestSchemaDefaultsMatchDefault(t *testing.T) {
	doc := map[string]any{}
	for _, sec := range []string{"engine", "bus", "http", "security"} {
		m := map[string]any{}
		for name, p := range schemaAt("/$defs/" + sec)["properties"].(map[string]any) {
			// An empty list is written as [] in the schema and nil in Go.
			if v, ok := p.(map[string]any)["default"]; ok && !reflect.DeepEqual(v, []any{}) {
				m[name] = v
			}
		}
		doc[sec] = m
	}
	for _, name := range []string{"version", "roots", "include"} {
		doc[name] = schemaAt("/properties/" + name)["default"]
	}
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	c, err := LoadBytes("defaults.json", data)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := comparable(c), comparable(Default()); !reflect.DeepEqual(got, want) {
		t.Errorf("schema defaults differ from Default()\nschema: %+v\nDefault: %+v", got, want)
	}
	rule := schemaAt("/$defs/breaker")["properties"].(map[string]any)["reset"].(map[string]any)["default"]
	var r Rule
	r.setDefaults()
	if rule != r.OnError.Breaker.Reset.String() && rule != "60s" {
		t.Errorf("breaker reset default: schema %v, code %v", rule, r.OnError.Breaker.Reset)
	}
}

func TestLoadMergeAndTags(t *testing.T) {
	c := loadFixture(t, "testdata/valid/merge.yaml", "")
	if got := c.Rules[1].OnError; got.Retries != 5 || got.Breaker.Failures != 3 || got.Breaker.Reset.Std() != 10*time.Second {
		t.Errorf("merged on_error = %+v, want retries 5 (explicit) over failures 3, reset 10s (merged)", got)
	}
	if !reflect.DeepEqual(c.Rules[1].Actions[0].Params, map[string]any{"message": "shared"}) {
		t.Errorf("alias params = %#v", c.Rules[1].Actions[0].Params)
	}
	if c.Rules[2].Files[0] != "2024" || c.Rules[2].Actions[0].Params.(map[string]any)["message"] != "12" {
		t.Errorf("!!str values = %q, %#v", c.Rules[2].Files, c.Rules[2].Actions[0].Params)
	}
	// The explicit key's position wins over the merged one.
	if p := c.Positions["rules[1].on_error.retries"]; p.Line != 13 {
		t.Errorf("position of explicit retries = %+v, want line 13", p)
	}
}

func TestPositionsAndErrorf(t *testing.T) {
	c := loadFixture(t, "testdata/valid/full.yaml", commandFixtures(t))
	for path, want := range map[string]Position{
		"":                                    {Line: 2, Column: 1},
		"engine.settle":                       {Line: 8, Column: 11},
		"rules[0]":                            {Line: 23, Column: 5},
		"rules[0].match":                      {Line: 28, Column: 12},
		"rules[0].actions[1]":                 {Line: 32, Column: 9},
		"rules[0].actions[0].frontmatter.set": {Line: 31, Column: 26},
		"rules[0].actions[0].frontmatter.set.count": {Line: 31, Column: 57},
		"rules[0].actions[1].timeout":               {Line: 33, Column: 18},
	} {
		if got := c.Positions[path]; got != want {
			t.Errorf("Positions[%q] = %+v, want %+v", path, got, want)
		}
	}
	e := c.Errorf("rules[0].match", "check the escapes", "invalid regex: %s", "missing )")
	if got, want := e.Error(), "testdata/valid/full.yaml:28:12: rules[0].match: invalid regex: missing )\n  hint: check the escapes"; got != want {
		t.Errorf("Errorf = %q, want %q", got, want)
	}
	// A path that was not written (a default, or deeper than the file goes)
	// takes the position of its nearest written parent.
	for path, want := range map[string]Position{
		"rules[1].on_error.breaker.reset":            c.Positions["rules[1]"],
		"rules[0].actions[0].frontmatter.set.x.y[3]": c.Positions["rules[0].actions[0].frontmatter.set"],
		"nothing.here": c.Positions[""],
	} {
		if got := c.PositionOf(path); got != want {
			t.Errorf("PositionOf(%q) = %+v, want %+v", path, got, want)
		}
	}
	if p := Default().PositionOf("engine"); p != (Position{}) {
		t.Errorf("Default().PositionOf = %+v, want zero", p)
	}
}

// TestRoundTrip marshals a loaded config to JSON and loads it again: the
// marshalled form is a valid configuration with the same meaning.
func TestRoundTrip(t *testing.T) {
	tmp := commandFixtures(t)
	for _, name := range []string{"full.yaml", "merge.yaml", "minimal.yaml"} {
		c := loadFixture(t, filepath.Join("testdata", "valid", name), tmp)
		data, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		c2, err := LoadBytes("roundtrip.json", data)
		if err != nil {
			t.Fatalf("%s: marshalled config does not load: %v\n%s", name, err, data)
		}
		if !reflect.DeepEqual(comparable(c), comparable(c2)) {
			t.Errorf("%s: round trip differs\n got: %+v\nwant: %+v", name, comparable(c2), comparable(c))
		}
	}
}

func TestStarterLoads(t *testing.T) {
	c, err := LoadBytes("scribe.yaml", Starter)
	if err != nil {
		t.Fatalf("the starter file does not load:\n%v", err)
	}
	var names []string
	for _, r := range c.Rules {
		for _, a := range r.Actions {
			names = append(names, a.Name)
		}
	}
	if strings.Join(names, ",") != "frontmatter.set,links.check" {
		t.Errorf("starter actions = %v, want frontmatter.set and links.check", names)
	}
	// The fixtures `scribe test` reads by default are no notes to rewrite.
	if !slices.Contains(c.Exclude, "tests/**") {
		t.Errorf("starter exclude = %v, want tests/** (scribe test's fixtures)", c.Exclude)
	}
	// Every top-level section is present and explained.
	for _, key := range schemaerr.PropertyNames(schemaAt("")) {
		if !bytes.Contains(Starter, []byte("\n"+key+":")) {
			t.Errorf("starter has no %q section", key)
		}
	}
	if got, want := comparable(c), comparable(Default()); !reflect.DeepEqual(got.Engine, want.Engine) ||
		!reflect.DeepEqual(got.HTTP, want.HTTP) || !reflect.DeepEqual(got.Security.Env, want.Security.Env) {
		t.Errorf("starter values differ from the defaults it claims to show")
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "scribe.yaml")
	if err := os.WriteFile(path, Starter, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.File != path || c.Dir != dir {
		t.Errorf("File, Dir = %q, %q; want %q, %q", c.File, c.Dir, path, dir)
	}

	_, err = Load(filepath.Join(dir, "missing.yaml"))
	var errs Errors
	if !errors.As(err, &errs) || len(errs) != 1 || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: err = %#v, want Errors matching fs.ErrNotExist", err)
	}
	if !strings.Contains(err.Error(), "scribe init") {
		t.Errorf("missing file error does not suggest scribe init: %v", err)
	}

	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, bytes.Repeat([]byte("# padding\n"), MaxFileSize/10+1), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("oversized file: err = %v", err)
	}

	bom := append([]byte("\uFEFF"), Starter...)
	if _, err := LoadBytes("bom.yaml", bom); err != nil {
		t.Errorf("a byte-order mark is not ignored: %v", err)
	}
}

func TestFind(t *testing.T) {
	dir := t.TempDir()
	_, err := Find(dir)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("empty dir: err = %v, want fs.ErrNotExist", err)
	}
	for _, want := range []string{"scribe.yaml", ".scribe.yaml", "scribe init"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	// Later names are found, and earlier names win.
	for _, name := range []string{".scribe.json", "scribe.json", ".scribe.yaml", "scribe.yaml"} {
		if err := os.WriteFile(filepath.Join(dir, name), Starter, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := Find(dir)
		if err != nil || got != filepath.Join(dir, name) {
			t.Errorf("after creating %s: Find = %q, %v", name, got, err)
		}
	}
	// A directory with the name is not a configuration.
	dir2 := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir2, "scribe.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Find(dir2); err == nil {
		t.Error("a directory named scribe.yaml was taken for the configuration")
	}
}

func TestErrorFormat(t *testing.T) {
	for _, tc := range []struct {
		e    Error
		want string
	}{
		{Error{File: "s.yaml", Line: 3, Column: 5, Path: "engine.settle", Message: "bad", Hint: "fix it"}, "s.yaml:3:5: engine.settle: bad\n  hint: fix it"},
		{Error{File: "s.yaml", Line: 1, Column: 1, Message: "syntax"}, "s.yaml:1:1: syntax"},
		{Error{File: "s.yaml", Message: "cannot read"}, "s.yaml: cannot read"},
		{Error{Line: 2, Column: 1, Path: "roots", Message: "m"}, "2:1: roots: m"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
	es := Errors{{File: "a", Line: 1, Column: 1, Message: "x"}, {File: "a", Line: 2, Column: 1, Message: "y"}}
	if got := es.Error(); got != "a:1:1: x\na:2:1: y" {
		t.Errorf("Errors.Error() = %q", got)
	}
}

func TestDidYouMean(t *testing.T) {
	known := []string{"workers", "settle", "max_wait", "max_file_size", "action_timeout", "state_dir"}
	for word, want := range map[string]string{
		"settel":        `did you mean "settle"?`,
		"Workers":       `did you mean "workers"?`,
		"maxwait":       `did you mean "max_wait"?`,
		"state-dir":     `did you mean "state_dir"?`,
		"actiontimeout": `did you mean "action_timeout"?`,
		"colour":        "",
		"x":             "",
	} {
		if got := DidYouMean(word, known); got != want {
			t.Errorf("DidYouMean(%q) = %q, want %q", word, got, want)
		}
	}
}

func TestFindUp(t *testing.T) {
	top := t.TempDir()
	deep := filepath.Join(top, "vault", "notes", "2026")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(top, "vault", "scribe.yaml")
	if err := os.WriteFile(cfg, Starter, 0o644); err != nil {
		t.Fatal(err)
	}
	// From the vault's own folder and from any folder below it.
	for _, d := range []string{filepath.Join(top, "vault"), filepath.Join(top, "vault", "notes"), deep} {
		if got, err := FindUp(d); err != nil || got != cfg {
			t.Errorf("FindUp(%s) = %q, %v; want %q", d, got, err, cfg)
		}
	}
	// The nearest configuration wins.
	inner := filepath.Join(top, "vault", "notes", ".scribe.yaml")
	if err := os.WriteFile(inner, Starter, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, _ := FindUp(deep); got != inner {
		t.Errorf("FindUp(%s) = %q; want the nearer %q", deep, got, inner)
	}

	// The search stops at the top of a git work tree: a configuration above
	// the repository is not the repository's.
	repo := filepath.Join(top, "vault", "repo")
	if err := os.MkdirAll(filepath.Join(repo, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(repo, "docs"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := FindUp(filepath.Join(repo, "docs"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("FindUp inside a work tree without a configuration: err = %v, want fs.ErrNotExist", err)
	}
	for _, want := range []string{"any parent folder", "scribe.yaml", "top folder", "--config"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	// A work tree's own configuration is found from inside it (a .git file,
	// as in a linked worktree or a submodule, marks the top too).
	if err := os.WriteFile(filepath.Join(repo, "scribe.yaml"), Starter, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := FindUp(filepath.Join(repo, "docs")); err != nil || got != filepath.Join(repo, "scribe.yaml") {
		t.Errorf("FindUp in a work tree = %q, %v", got, err)
	}
	sub := filepath.Join(top, "vault", "sub")
	if err := os.MkdirAll(filepath.Join(sub, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sub, ".git"), []byte("gitdir: ../.git/worktrees/sub\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := FindUp(filepath.Join(sub, "x")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("FindUp went past a .git file: err = %v", err)
	}
}

// A bare program name is looked up in PATH when the configuration loads and
// replaced by the resolved file, which then passes the same checks as an
// absolute path; a relative PATH entry is never searched.
func TestCommandBareNameLookedUpInPATH(t *testing.T) {
	bin := t.TempDir()
	tool := filepath.Join(bin, "scribe-test-tool")
	if err := os.WriteFile(tool, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	conf := []byte("security:\n  commands:\n    - name: tool\n      path: scribe-test-tool\n")
	t.Setenv("PATH", bin)
	c, err := LoadBytes("scribe.yaml", conf)
	if err != nil {
		t.Fatal(err)
	}
	real, _ := filepath.EvalSymlinks(tool)
	if got := c.Security.Commands[0].Path; got != real {
		t.Fatalf("path = %q, want the resolved %q", got, real)
	}

	// Found, but writable by others: refused like an absolute path would be.
	if err := os.Chmod(tool, 0o777); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadBytes("scribe.yaml", conf); err == nil || !strings.Contains(err.Error(), "writable by group or others") {
		t.Fatalf("a group-writable program found in PATH: err = %v", err)
	}
	os.Chmod(tool, 0o755)

	// A relative PATH entry (here ".") is not searched.
	t.Chdir(bin)
	t.Setenv("PATH", ".")
	if _, err := LoadBytes("scribe.yaml", conf); err == nil || !strings.Contains(err.Error(), "not in PATH") {
		t.Fatalf("a program found through a relative PATH entry: err = %v", err)
	}
}

// TestLoadAllPartial: with errors, LoadAll still gives what it could decode
// and says which fields were in error; Load gives nothing.
func TestLoadAllPartial(t *testing.T) {
	path := filepath.Join(t.TempDir(), "scribe.yaml")
	if err := os.WriteFile(path, []byte("version: 1\nengine: {workers: many}\nrules:\n  - name: n\n    match: x\n    actions: [{log: {message: m}}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if c, err := Load(path); c != nil || err == nil {
		t.Fatalf("Load = %v, %v; want nil and errors", c, err)
	}
	c, err := LoadAll(path)
	var errs Errors
	if !errors.As(err, &errs) || len(errs) != 2 || c == nil {
		t.Fatalf("LoadAll = %v, %v; want a config and 2 errors", c, err)
	}
	if c.Engine.Workers != Default().Engine.Workers || len(c.Rules) != 1 || c.Rules[0].Match != "x" {
		t.Errorf("partial config = %+v", c)
	}
	for p, want := range map[string]bool{
		"engine.workers": true, "engine": false, "engine.settle": false,
		"rules[0].id": true, "rules[0]": false, "rules[0].match": false, "rules[0].actions[0].log": false,
	} {
		if got := c.Invalid(p); got != want {
			t.Errorf("Invalid(%q) = %v, want %v", p, got, want)
		}
	}
	if c, err := LoadAll(filepath.Join(t.TempDir(), "none.yaml")); c != nil || err == nil {
		t.Errorf("LoadAll of a missing file = %v, %v", c, err)
	}
}

func TestOverlapOf(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want Overlap
	}{
		{"/v", "/v", Same},
		{"/v/notes", "/v", Inside},
		{"/v", "/v/notes/deep", Holds},
		{"/v/notes", "/v/notes2", Apart}, // a name that only starts the same
		{"/v/notes2", "/v/notes", Apart},
		{"/a", "/b", Apart},
		{"/", "/v", Holds},
		{"/v", "/", Inside},
		{"/", "/", Same},
	} {
		if got := OverlapOf(c.a, c.b); got != c.want {
			t.Errorf("OverlapOf(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}
