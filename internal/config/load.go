package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"

	"github.com/scribe-md/scribe/internal/yamlnode"
)

// MaxFileSize bounds a configuration file; real ones are a few KiB.
const MaxFileSize = 1 << 20

// Default returns a configuration holding only the defaults.
func Default() *Config {
	return &Config{
		Version: 1,
		Roots:   []string{"."},
		Include: []string{"**/*.md"},
		Engine: Engine{
			Workers:        4,
			Settle:         Duration(50 * time.Millisecond),
			MaxWait:        Duration(2 * time.Second),
			MaxFileSize:    8 << 20,
			ActionTimeout:  Duration(10 * time.Second),
			StateDir:       ".scribe",
			VCS:            "auto",
			RemoteAckWait:  Duration(30 * time.Second),
			RemoteInFlight: 256,
			RemoteWait:     Duration(30 * time.Second),
		},
		Bus:       Bus{Replicas: 1},
		HTTP:      HTTP{Listen: "127.0.0.1:9469"},
		Security:  Security{Env: []string{"PATH", "HOME", "LANG"}},
		Dir:       ".",
		Positions: map[string]Position{},
	}
}

// Load reads and checks the configuration file at path. On failure the error
// is an Errors holding every problem found.
func Load(path string) (*Config, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return LoadBytes(path, data)
}

// readFile reads the configuration file at path, at most one byte past
// MaxFileSize (loadBytes refuses a larger file with its own message).
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, Errors{fileError(path, err)}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, Errors{fileError(path, err)}
	}
	return data, nil
}

func fileError(path string, err error) *Error {
	hint := "check the path, or pass another file with --config"
	if errors.Is(err, fs.ErrNotExist) {
		hint = "run \"scribe init\" to write a starter scribe.yaml, or pass another file with --config"
	}
	return &Error{File: path, Message: fmt.Sprintf("cannot read the configuration: %v", unwrapPathError(err)), Hint: hint, cause: err}
}

// LoadBytes checks the configuration in data, YAML or JSON, as if read from
// the file name (used in messages and to set Dir; "" means the current
// directory). On failure the error is an Errors holding every problem found,
// sorted by position.
func LoadBytes(name string, data []byte) (*Config, error) {
	c, err := loadBytes(name, data)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// LoadAll is Load for the commands that report every problem at once
// (`scribe config validate`, and every command that loads a configuration):
// on Errors it also returns the configuration as far as it could be decoded,
// the fields in error left at their defaults, so that the stages after this
// package (rules, plugins) can add their own errors to these instead of
// waiting for a second pass. It returns nil with the errors when the file
// could not be parsed at all. Config.Invalid tells which fields have an
// error already, so that later stages do not report them twice.
func LoadAll(path string) (*Config, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return loadBytes(path, data)
}

func loadBytes(name string, data []byte) (*Config, error) {
	if len(data) > MaxFileSize {
		return nil, Errors{{File: name, Line: 1, Column: 1,
			Message: fmt.Sprintf("the file is larger than %d KiB; a configuration is a few KiB", MaxFileSize>>10),
			Hint:    "check that this is the right file"}}
	}
	// Editors on Windows may start the file with a byte-order mark, which
	// YAML parsers reject and no one sees.
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))

	t := newTree(name)
	root, ok := t.parse(data)
	if !ok {
		return nil, t.errs.sorted()
	}
	bad := t.validate(root)
	c := Default()
	c.File = name
	c.Dir = configDir(name)
	c.Raw = data
	t.decode(root, reflect.ValueOf(c).Elem(), "", bad)
	t.check(c, bad)
	c.Positions = t.pos
	if len(t.errs) > 0 {
		c.invalid = map[string]bool{}
		for _, e := range t.errs {
			if e.missing != "" {
				c.invalid[childPath(e.Path, e.missing)] = true
			} else {
				c.invalid[e.Path] = true
			}
		}
		return c, t.errs.sorted()
	}
	return c, nil
}

// Invalid reports whether the field at path (as in Error.Path), or a field
// that holds it, had an error when the configuration was loaded (LoadAll).
func (c *Config) Invalid(path string) bool {
	for len(c.invalid) > 0 {
		if c.invalid[path] {
			return true
		}
		i := strings.LastIndexAny(path, ".[")
		if i <= 0 {
			return false
		}
		path = path[:i]
	}
	return false
}

// parse reads the one YAML document in data into plain values. Size and
// nesting are checked on the bytes first, so that a hostile file is refused
// before the parser sees it.
func (t *tree) parse(data []byte) (any, bool) {
	if e := yamlnode.Check(data, yamlnode.Limits{MaxDepth: maxDepth}); e != nil {
		t.errorAt(Position{Line: e.Line, Column: e.Column}, "", "a configuration nests about six levels; check the indentation",
			"values are nested more than %d levels deep", maxDepth)
		return nil, false
	}
	root, err := t.parseNodes(data)
	if err != nil {
		e := &Error{File: t.file, Line: 1, Column: 1, Message: err.Error(), cause: err}
		var ye *yamlnode.Error
		if errors.As(err, &ye) {
			// Control characters (a tab, say) would be invisible.
			e.Message = strings.ReplaceAll(ye.Message, "\t", `\t`)
			e.Line, e.Column = max(ye.Line, 1), max(ye.Column, 1)
			if ye.SecondDocument {
				e.Message = "a configuration holds one YAML document; a second one starts here"
				e.Hint = "remove the extra \"---\" document"
				t.errs = append(t.errs, e)
				return nil, false
			}
		}
		e.Hint = syntaxHint(data)
		t.errs = append(t.errs, e)
		return nil, false
	}
	if root == nil {
		t.errorAt(Position{Line: 1, Column: 1}, "", "run \"scribe init\" to write a commented starter file",
			"the configuration is empty")
		return nil, false
	}
	v, ok := t.value(root, "", 0)
	return v, ok && len(t.errs) == 0
}

// maxUnknownAliases bounds how many unknown aliases parseNodes reports
// before it gives up.
const maxUnknownAliases = 20

// parseNodes parses data. The parser stops at the first alias that names no
// anchor; so that the other problems of the file are reported with it,
// parseNodes records the alias as an error, blanks it out and parses again.
func (t *tree) parseNodes(data []byte) (*yaml.Node, error) {
	var patched []byte
	for range maxUnknownAliases {
		root, err := yamlnode.Parse(data)
		var ye *yamlnode.Error
		if err == nil || !errors.As(err, &ye) || ye.Alias == "" {
			return root, err
		}
		off := offsetOf(data, ye.Line, ye.Column)
		end := off + 1 + len(ye.Alias)
		if off < 0 || end > len(data) || string(data[off:end]) != "*"+ye.Alias {
			return nil, err
		}
		t.errorAt(Position{Line: ye.Line, Column: ye.Column}, "", "define it with &"+ye.Alias+" before this point", "unknown alias *%s", ye.Alias)
		// The walk names the field once it meets the '~' put in its place.
		t.aliasErrs[Position{Line: ye.Line, Column: ye.Column}] = t.errs[len(t.errs)-1]
		if patched == nil {
			patched = bytes.Clone(data)
			data = patched
		}
		data[off] = '~'
		for i := off + 1; i < end; i++ {
			data[i] = ' '
		}
	}
	return yamlnode.Parse(data)
}

// offsetOf returns the byte offset of a 1-based line and character column,
// or -1.
func offsetOf(data []byte, line, col int) int {
	off := 0
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(data[off:], '\n')
		if i < 0 {
			return -1
		}
		off += i + 1
	}
	for c := 1; c < col; c++ {
		if off >= len(data) || data[off] == '\n' {
			return -1
		}
		_, size := utf8.DecodeRune(data[off:])
		off += size
	}
	return off
}

// syntaxHint adds what usually causes a syntax error: tabs in indentation.
func syntaxHint(data []byte) string {
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		indent := line[:len(line)-len(bytes.TrimLeft(line, " \t"))]
		if bytes.IndexByte(indent, '\t') >= 0 {
			return "replace the tabs at the start of lines with spaces (most editors can convert indentation to spaces)"
		}
	}
	return ""
}

func configDir(name string) string {
	dir := "."
	if name != "" {
		dir = filepath.Dir(name)
	}
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}

// findNames are the file names Find looks for, in order: the two the
// specification names, then the .yml spelling and JSON.
var findNames = []string{"scribe.yaml", ".scribe.yaml", "scribe.yml", ".scribe.yml", "scribe.json", ".scribe.json"}

// FileNames returns the names a configuration file may have, in the order
// Find looks for them.
func FileNames() []string { return slices.Clone(findNames) }

// Find returns the path of the configuration file in dir: the first that
// exists of scribe.yaml, .scribe.yaml, scribe.yml, .scribe.yml, scribe.json
// and .scribe.json. When there is none, the error (an *Error matching
// fs.ErrNotExist) names the files looked for and suggests `scribe init`.
func Find(dir string) (string, error) {
	for _, n := range findNames {
		p := filepath.Join(dir, n)
		fi, err := os.Stat(p)
		if err == nil && !fi.IsDir() {
			return p, nil
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", &Error{File: p, Message: fmt.Sprintf("cannot read the configuration: %v", unwrapPathError(err)), cause: err}
		}
	}
	return "", &Error{
		File:    dir,
		Message: "no configuration file found (looked for " + strings.Join(findNames, ", ") + ")",
		Hint:    "run \"scribe init\" to write a starter scribe.yaml here, or pass one with --config",
		cause:   fs.ErrNotExist,
	}
}

// FindUp returns the configuration file nearest to dir: the one Find finds in
// dir, else in its parent, and so on upwards, so that a command run from a
// subfolder of a vault uses the vault's configuration (as git finds its
// repository). The search stops at the top of a git work tree (a directory
// holding .git): a configuration above a repository belongs to something
// else. Outside a work tree it goes up to the file system root. When nothing
// is found the error (an *Error matching fs.ErrNotExist) names dir and says
// where to run `scribe init`.
func FindUp(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := dir; ; {
		p, err := Find(d)
		if err == nil || !errors.Is(err, fs.ErrNotExist) {
			return p, err
		}
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			break // the top of a git work tree
		}
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		d = parent
	}
	return "", &Error{
		File:    dir,
		Message: "no configuration file found here or in any parent folder (looked for " + strings.Join(findNames, ", ") + ")",
		Hint:    "run the command inside your notes, run \"scribe init\" in their top folder to write a starter scribe.yaml, or pass one with --config",
		cause:   fs.ErrNotExist,
	}
}

// Errorf returns an error about the field at path (as in Error.Path) placed
// where that field, or its nearest written parent, is in the file. Later
// stages use it to report regex, glob, expression and parameter errors.
func (c *Config) Errorf(path, hint, format string, args ...any) *Error {
	p := c.PositionOf(path)
	return &Error{File: c.File, Line: p.Line, Column: p.Column, Path: path, Message: fmt.Sprintf(format, args...), Hint: hint}
}

// PositionOf returns where the field at path, or its nearest written parent,
// is in the file; Position{} for a configuration not read from a file.
func (c *Config) PositionOf(path string) Position {
	if len(c.Positions) == 0 {
		return Position{}
	}
	return nearestPos(c.Positions, path)
}
