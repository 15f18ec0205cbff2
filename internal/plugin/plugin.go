package plugin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/plugin/process"
	"github.com/scribe-md/scribe/internal/plugin/wasm"
	"github.com/scribe-md/scribe/internal/sandbox"
	wire "github.com/scribe-md/scribe/plugin"
)

// runtime runs a plugin's instances: process.Runtime or wasm.Runtime.
type runtime interface {
	// Start starts an instance and checks the handshake, so that a plugin
	// that cannot load is known before any file needs it.
	Start(ctx context.Context) error
	// Call sends one run request and returns the plugin's result.
	Call(ctx context.Context, p wire.RunParams) (wire.RunResult, error)
	// Close shuts every instance down; it succeeds even when ctx is done.
	Close(ctx context.Context) error
	// State is "idle", "running", "backoff", "refused" or "closed", with the
	// last error, if any.
	State() (string, error)
	// Running counts the instances running; Restarts the instances that
	// ended without being asked to (crash, hang, protocol violation).
	Running() int
	Restarts() int64
}

// Plugin is one loaded plugin: its manifest and its runtime. Its actions
// are made by the specs of Set.Specs. A Plugin is safe for concurrent use.
type Plugin struct {
	m           *Manifest
	fingerprint string
	// program is the file the plugin runs: a process plugin's pinned
	// program (see prepare), a wasm plugin's module; "" when missing.
	program string
	rt      runtime // nil when missing
	missing error   // why the plugin cannot run (its program or module is absent)

	calls, failures atomic.Int64
	hist            histogram
}

// Manifest returns the plugin's manifest.
func (p *Plugin) Manifest() *Manifest { return p.m }

func (p *Plugin) call(ctx context.Context, req wire.RunParams) (wire.RunResult, error) {
	if p.missing != nil {
		return wire.RunResult{}, p.missing
	}
	return p.rt.Call(ctx, req)
}

func (p *Plugin) refused() bool {
	if p.rt == nil {
		return false
	}
	st, _ := p.rt.State()
	return st == "refused"
}

func (p *Plugin) observe(d time.Duration, err error) {
	p.calls.Add(1)
	if err != nil {
		p.failures.Add(1)
	}
	p.hist.observe(d)
}

// Set is the plugins of one configuration.
type Set struct {
	plugins []*Plugin
	log     *slog.Logger
}

// Plugins returns the plugins in configuration order.
func (s *Set) Plugins() []*Plugin {
	if s == nil {
		return nil
	}
	return s.plugins
}

// Specs returns the action kinds of every plugin, by full name
// ("wordcount.stamp"), for action.Build.Plugins.
func (s *Set) Specs() map[string]action.Spec {
	out := map[string]action.Spec{}
	for _, p := range s.Plugins() {
		for _, def := range p.m.Actions {
			spec, err := action.NewSpec(action.Spec{
				Name:    p.m.Name + "." + def.Name,
				Summary: summary(p, def),
				Schema:  string(def.Params),
				New: func(params any, _ action.Build) (action.Action, error) {
					b, err := json.Marshal(params)
					if err != nil {
						return nil, err
					}
					return &pluginAction{p: p, def: def, params: b}, nil
				},
			})
			if err == nil { // LoadManifest already compiled the schema
				out[spec.Name] = spec
			}
		}
	}
	return out
}

func summary(p *Plugin, def ActionDef) string {
	s := def.Description
	if s == "" {
		s = "plugin action"
	}
	perms := "findings only"
	if len(def.Permissions) > 0 {
		perms = strings.Join(def.Permissions, ", ")
	}
	return fmt.Sprintf("%s (plugin %s %s, %s; %s)", s, p.m.Name, p.m.Version, p.m.Runtime, perms)
}

// Start starts every plugin that can run and checks its handshake. It
// returns the problems of those that failed (joined); each such plugin's
// calls fail with its own error, and the others run.
func (s *Set) Start(ctx context.Context) error {
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for _, p := range s.Plugins() {
		if p.missing != nil {
			s.log.Warn("plugin cannot run", "plugin", p.m.Name, "err", p.missing)
			continue
		}
		wg.Go(func() {
			if err := p.rt.Start(ctx); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("plugin %s: %w", p.m.Name, err))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return errors.Join(errs...)
}

// Close shuts every plugin down (shutdown, then a kill after 2 s). It
// succeeds even when ctx is done, and returns once every instance is gone.
func (s *Set) Close(ctx context.Context) error {
	return s.retire(ctx, nil)
}

// Retire closes the plugins of s that next does not reuse. Call it once a
// reloaded configuration (loaded with Previous: s) is installed.
func (s *Set) Retire(ctx context.Context, next *Set) error {
	return s.retire(ctx, next)
}

func (s *Set) retire(ctx context.Context, next *Set) error {
	var wg sync.WaitGroup
	errs := make([]error, len(s.Plugins()))
	for i, p := range s.Plugins() {
		if p.rt == nil || slices.Contains(next.Plugins(), p) {
			continue
		}
		wg.Go(func() { errs[i] = p.rt.Close(ctx) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Dirs returns the plugin folders (to watch for changes).
func (s *Set) Dirs() []string {
	var out []string
	for _, p := range s.Plugins() {
		out = append(out, p.m.Dir)
	}
	return out
}

// Status describes one plugin for `scribe status` and `scribe plugins`.
type Status struct {
	Name      string   `json:"name"`
	Version   string   `json:"version,omitempty"`
	Runtime   string   `json:"runtime"`
	Dir       string   `json:"dir"`
	Actions   []string `json:"actions"`
	State     string   `json:"state"` // idle, running, backoff, refused, missing, closed
	Error     string   `json:"error,omitempty"`
	Instances int      `json:"instances"`
	Calls     int64    `json:"calls"`
	Failures  int64    `json:"failures"`
	Restarts  int64    `json:"restarts"`
}

// Status returns the state of every plugin.
func (s *Set) Status() []Status {
	out := []Status{}
	for _, p := range s.Plugins() {
		st := Status{Name: p.m.Name, Version: p.m.Version, Runtime: p.m.Runtime, Dir: p.m.Dir,
			Calls: p.calls.Load(), Failures: p.failures.Load(), Actions: []string{}}
		for _, a := range p.m.Actions {
			st.Actions = append(st.Actions, p.m.Name+"."+a.Name)
		}
		if p.missing != nil {
			st.State, st.Error = "missing", p.missing.Error()
		} else {
			state, err := p.rt.State()
			st.State = state
			if err != nil {
				st.Error = err.Error()
			}
			st.Instances, st.Restarts = p.rt.Running(), p.rt.Restarts()
		}
		out = append(out, st)
	}
	return out
}

// Metrics is one plugin's counters and call-duration histogram.
type Metrics struct {
	Name                      string
	Calls, Failures, Restarts int64
	Instances                 int
	// Buckets are the histogram's upper bounds in seconds; Counts the
	// cumulative count of calls at or below each; Sum the total seconds.
	Buckets []float64
	Counts  []uint64
	Sum     float64
}

// Metrics returns every plugin's metrics.
func (s *Set) Metrics() []Metrics {
	var out []Metrics
	for _, p := range s.Plugins() {
		m := Metrics{Name: p.m.Name, Calls: p.calls.Load(), Failures: p.failures.Load(), Buckets: histBuckets}
		if p.rt != nil {
			m.Restarts, m.Instances = p.rt.Restarts(), p.rt.Running()
		}
		m.Counts, m.Sum = p.hist.snapshot()
		out = append(out, m)
	}
	return out
}

// Options tune Load.
type Options struct {
	// Logger receives the plugins' logs (their standard error included).
	Logger *slog.Logger
	// Previous is the running set of the configuration being replaced: a
	// plugin whose manifest and files did not change is reused as it runs.
	Previous *Set
}

// Load reads the manifests of cfg's plugins, checks them and prepares their
// runtimes without starting anything. Errors (every one, as config.Errors
// with file:line:column and field path) refuse the configuration. A plugin
// whose program or module file is absent loads as "missing": its actions
// exist, and each call fails saying what to build.
func Load(cfg *config.Config, opts Options) (*Set, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Set{log: opts.Logger}
	var errs config.Errors
	names := map[string]int{}
	commands := map[string]string{}
	for _, c := range cfg.Security.Commands {
		commands[c.Name] = c.Path
	}
	stateDir := cfg.Engine.StateDir
	if !filepath.IsAbs(stateDir) {
		stateDir = filepath.Join(cfg.Dir, stateDir)
	}
	maxReply := 2*int(cfg.Engine.MaxFileSize) + 1<<20
	for i, rel := range cfg.Plugins {
		path := fmt.Sprintf("plugins[%d]", i)
		dir := rel
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(cfg.Dir, dir)
		}
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			msg := fmt.Sprintf("plugin folder %s does not exist", dir)
			if err == nil {
				msg = fmt.Sprintf("%s is not a folder", dir)
			}
			errs = append(errs, cfg.Errorf(path, "plugin folders are relative to the configuration file's directory", "%s", msg))
			continue
		}
		shown := filepath.Join(rel, ManifestName)
		if cfg.File != "" && !filepath.IsAbs(rel) {
			shown = filepath.Join(filepath.Dir(cfg.File), rel, ManifestName)
		}
		m, err := LoadManifest(dir, shown)
		if err != nil {
			var ce config.Errors
			if errors.As(err, &ce) {
				errs = append(errs, ce...)
			} else {
				errs = append(errs, cfg.Errorf(path, "", "%v", err))
			}
			continue
		}
		if j, dup := names[m.Name]; dup {
			errs = append(errs, cfg.Errorf(path, "two plugins cannot share a name: their actions would collide",
				"plugin name %q is already used by plugins[%d]", m.Name, j))
			continue
		}
		names[m.Name] = i
		for _, a := range m.Actions {
			if _, builtin := action.Lookup(m.Name + "." + a.Name); builtin {
				errs = append(errs, manifestError(m, "name", "rename the plugin", "plugin action %s.%s would hide the built-in action of that name", m.Name, a.Name))
			}
		}
		p, perrs := prepare(m, commands, cfg.Security.Env, stateDir, maxReply, opts.Logger)
		if len(perrs) > 0 {
			errs = append(errs, perrs...)
			continue
		}
		if prev := opts.Previous.find(p.m.Name); prev != nil && prev.fingerprint == p.fingerprint && !prev.refused() {
			p = prev // unchanged: keep it running (a refused one gets a new try)
		}
		s.plugins = append(s.plugins, p)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return s, nil
}

func (s *Set) find(name string) *Plugin {
	for _, p := range s.Plugins() {
		if p.m.Name == name {
			return p
		}
	}
	return nil
}

// manifestError is an error about field path in m, placed at the field when
// the manifest can be re-read, else at the file.
func manifestError(m *Manifest, path, hint, format string, args ...any) *config.Error {
	t := &tree{file: m.File, pos: map[string]config.Position{}, keyPos: map[string]config.Position{}, budget: 10000}
	t.parse(m.Raw)
	p := t.nearest(path)
	return &config.Error{File: m.File, Line: p.Line, Column: p.Column, Path: path, Message: fmt.Sprintf(format, args...), Hint: hint}
}

// maxModule bounds a WebAssembly module read into memory.
const maxModule = 256 << 20

// prepare resolves m's program or module, checks the sha256 pin and builds
// the runtime (not started).
func prepare(m *Manifest, commands map[string]string, env []string, stateDir string, maxReply int, log *slog.Logger) (*Plugin, config.Errors) {
	p := &Plugin{m: m}
	log = log.With("plugin", m.Name)
	root, err := os.OpenRoot(m.Dir)
	if err != nil {
		return nil, config.Errors{manifestError(m, "", "", "cannot open the plugin folder: %v", err)}
	}
	defer root.Close()
	handshake := func(r wire.InitializeResult) error { return checkHandshake(m, r) }
	switch m.Runtime {
	case "process":
		bin, ok := commands[m.Command[0]]
		if !ok {
			return nil, config.Errors{manifestError(m, "command[0]",
				fmt.Sprintf("add it to security.commands in the configuration: {name: %s, path: /full/path/to/%s}", m.Command[0], m.Command[0]),
				"%q is not in security.commands; a process plugin runs only an allow-listed program", m.Command[0])}
		}
		// The pinned program: the first argument naming a file in the
		// plugin folder (a script, a binary), else the allow-listed program.
		program, inFolder := bin, false
		for _, a := range m.Command[1:] {
			if filepath.IsLocal(a) {
				if fi, err := root.Lstat(a); err == nil && fi.Mode().IsRegular() {
					program, inFolder = a, true
					break
				}
			}
		}
		if m.SHA256 != "" {
			if err := checkPin(m, root, program, inFolder); err != nil {
				return nil, config.Errors{err}
			}
		}
		var before func() error
		if m.SHA256 != "" {
			before = func() error {
				r, err := os.OpenRoot(m.Dir)
				if err != nil {
					return err
				}
				defer r.Close()
				if e := checkPin(m, r, program, inFolder); e != nil {
					return errors.New(e.Message + "; " + e.Hint)
				}
				return nil
			}
		}
		p.rt = process.New(process.Config{
			Name:        m.Name,
			Runner:      sandbox.NewRunner(m.Dir, map[string]string{m.Command[0]: bin}, env, 0),
			Command:     action.Command{Name: m.Command[0], Args: m.Command[1:]},
			Concurrency: m.Concurrency,
			Instances:   m.Instances,
			Handshake:   handshake,
			BeforeStart: before,
			MaxReply:    maxReply,
			Logger:      log,
		})
		p.fingerprint = fingerprint(m, root, bin, env)
		p.program = bin
		if inFolder {
			p.program = filepath.Join(m.Dir, program)
		}
	case "wasm":
		mod, err := readModule(root, m.Module)
		if errors.Is(err, fs.ErrNotExist) {
			p.missing = fmt.Errorf("module %s does not exist in %s; build it (e.g. GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o %s); a running daemon picks it up", m.Module, m.Dir, m.Module)
			p.fingerprint = fingerprint(m, root, "", nil)
			return p, nil
		}
		if err != nil {
			return nil, config.Errors{manifestError(m, "module", "", "cannot read module %s: %v", m.Module, err)}
		}
		if m.SHA256 != "" {
			if sum := sha256.Sum256(mod); hex.EncodeToString(sum[:]) != m.SHA256 {
				return nil, config.Errors{manifestError(m, "sha256", "if the module was rebuilt on purpose, pin the new one: sha256sum "+m.Module,
					"module %s has sha256 %s, but the manifest pins %s; refusing to load it", m.Module, hex.EncodeToString(sum[:]), m.SHA256)}
			}
		}
		p.rt = wasm.New(wasm.Config{
			Name:        m.Name,
			Module:      mod,
			CacheDir:    filepath.Join(stateDir, "wasm-cache"),
			MemoryPages: uint32((m.Memory + 65535) / 65536),
			Instances:   m.Instances,
			Handshake:   handshake,
			MaxReply:    maxReply,
			Logger:      log,
		})
		p.fingerprint = fingerprint(m, root, "", nil)
		p.program = filepath.Join(m.Dir, m.Module)
	}
	return p, nil
}

// Digests returns, per plugin name, the sha256 (hex) of its manifest and
// of the program or module it runs: what the plugin is, wherever it is
// installed. Scale-out compares them between the owner and its workers
// (doc/SCALE-OUT.md); a program that cannot be read hashes as absent.
func (s *Set) Digests() map[string]string {
	out := map[string]string{}
	for _, p := range s.Plugins() {
		h := sha256.New()
		fmt.Fprintf(h, "%s\x00", p.m.Raw)
		if p.program != "" {
			if f, err := os.Open(p.program); err == nil {
				io.Copy(h, f)
				f.Close()
			}
		}
		out[p.m.Name] = hex.EncodeToString(h.Sum(nil))
	}
	return out
}

func readModule(root *os.Root, name string) ([]byte, error) {
	f, err := root.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return nil, err
	} else if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file")
	}
	b, err := io.ReadAll(io.LimitReader(f, maxModule+1))
	if err == nil && len(b) > maxModule {
		err = fmt.Errorf("larger than %d MiB", maxModule>>20)
	}
	return b, err
}

// checkPin compares the program's sha256 with the manifest's pin.
func checkPin(m *Manifest, root *os.Root, program string, inFolder bool) *config.Error {
	var f *os.File
	var err error
	if inFolder {
		f, err = root.Open(program)
	} else {
		f, err = os.Open(program)
	}
	if err != nil {
		return manifestError(m, "sha256", "", "cannot hash %s to check the pin: %v", program, unwrapPathError(err))
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return manifestError(m, "sha256", "", "cannot hash %s to check the pin: %v", program, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != m.SHA256 {
		return manifestError(m, "sha256", "if it was changed on purpose, pin the new version: sha256sum "+program,
			"%s has sha256 %s, but the manifest pins %s; refusing to load it", program, got, m.SHA256)
	}
	return nil
}

// checkHandshake checks an initialize result against the manifest.
func checkHandshake(m *Manifest, r wire.InitializeResult) error {
	if r.Protocol != wire.Protocol {
		return fmt.Errorf("the plugin speaks protocol %d, this Scribe speaks protocol %d; use a version of the plugin made for protocol %d", r.Protocol, wire.Protocol, wire.Protocol)
	}
	var want []string
	for _, a := range m.Actions {
		want = append(want, a.Name)
	}
	got := slices.Clone(r.Actions)
	sort.Strings(want)
	sort.Strings(got)
	if !slices.Equal(got, want) {
		return fmt.Errorf("the plugin serves actions [%s], but its manifest %s lists [%s]; make them match", strings.Join(got, ", "), m.File, strings.Join(want, ", "))
	}
	return nil
}

// fingerprint identifies what a running plugin was started from: the
// manifest, the allow-listed program and environment, and every file at
// the top of the plugin folder (its script, binary, module or sources).
// A reload restarts a plugin whose fingerprint changed.
func fingerprint(m *Manifest, root *os.Root, bin string, env []string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%q\x00", m.Raw, bin, env)
	if bin != "" {
		if fi, err := os.Stat(bin); err == nil {
			writeIdentity(h, bin, fi)
		}
	}
	if f, err := root.Open("."); err == nil {
		names, _ := f.Readdirnames(-1)
		f.Close()
		sort.Strings(names)
		for _, n := range names {
			if strings.HasPrefix(n, ".") {
				continue
			}
			if fi, err := root.Lstat(n); err == nil && fi.Mode().IsRegular() {
				writeIdentity(h, n, fi)
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func writeIdentity(w io.Writer, name string, fi fs.FileInfo) {
	fmt.Fprintf(w, "%s\x00%d\x00%d\x00", name, fi.Size(), fi.ModTime().UnixNano())
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		fmt.Fprintf(w, "%d\x00%d\x00%d\x00", st.Dev, st.Ino, st.Ctim.Nano())
	}
}

// histBuckets are the call-duration histogram's upper bounds, in seconds.
var histBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10}

// histogram counts call durations per bucket without locks.
type histogram struct {
	counts [16]atomic.Uint64 // len(histBuckets)+1: the last is +Inf
	sumNs  atomic.Int64
}

func (h *histogram) observe(d time.Duration) {
	s := d.Seconds()
	i := sort.SearchFloat64s(histBuckets, s)
	h.counts[i].Add(1)
	h.sumNs.Add(int64(d))
}

// snapshot returns cumulative counts per bucket (Prometheus style) and the
// sum in seconds.
func (h *histogram) snapshot() ([]uint64, float64) {
	out := make([]uint64, len(histBuckets))
	var cum uint64
	for i := range histBuckets {
		cum += h.counts[i].Load()
		out[i] = cum
	}
	return out, time.Duration(h.sumNs.Load()).Seconds()
}
