package doctor

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/plugin"
	"github.com/scribe-md/scribe/internal/rule"
)

// Status is the outcome of one check.
type Status string

// The outcomes, worst last. Only Fail makes `scribe doctor` exit 1.
const (
	OK   Status = "ok"
	Skip Status = "skip" // the check could not run: it needs what an earlier one found missing
	Warn Status = "warn"
	Fail Status = "FAIL"
)

// Result is one line of the report.
type Result struct {
	// Check names the check ("config", "inotify", ...).
	Check string `json:"check"`
	// Status is ok, skip, warn or FAIL.
	Status Status `json:"status"`
	// Message says what was found.
	Message string `json:"message"`
	// Fix says what to do about it ("" when nothing).
	Fix string `json:"fix,omitempty"`
}

// Env is what the checks look at. The command line fills it: it finds and
// loads the configuration (and compiles its rules) the way every command
// does.
type Env struct {
	// ConfigFile is the configuration file found ("" when none).
	ConfigFile string
	// Config is the loaded configuration; nil when it did not load.
	Config *config.Config
	// ConfigErr is why the configuration, or one of its rules, is invalid
	// (Config may still be set when only the rules are).
	ConfigErr error
	// FindErr is why no configuration file was found.
	FindErr error
	// Executable is this scribe's path, to set its own running daemons
	// aside when counting inotify watches ("" for none).
	Executable string
	// Plugins are the configuration's plugins, loaded (manifests checked,
	// pins verified) but not started; the plugins check starts and closes
	// them. Nil without a configuration.
	Plugins *plugin.Set
	// Rules are the configuration's rules, compiled (their actions closed:
	// the rules check reads their globs only). Nil without a configuration
	// whose rules compile.
	Rules *rule.Set

	// daemon is set by the daemon check: a daemon answers on http.listen,
	// or holds the journal.
	daemon bool
	// tree is what walk found, once it walked the roots.
	tree *tree
}

// Check is one check: a name and a function returning its findings (one or
// more results, one per root for example).
type Check struct {
	Name string
	Run  func(ctx context.Context, env *Env) []Result
}

// Checks returns the checks `scribe doctor` runs, in order (later checks use
// what earlier ones found: the daemon check runs before the bus check).
//
// To add a check (a plugin's manifests and executables, for one), write a
// function of the Check.Run shape in this package and list it here.
func Checks() []Check {
	return []Check{
		{"config", checkConfig},
		{"roots", checkRoots},
		{"rules", checkRules},
		{"inotify", checkInotify},
		{"state", checkState},
		{"daemon", checkDaemon},
		{"bus", checkBus},
		{"git", checkGit},
		{"plugins", checkPlugins},
		{"service", checkService},
	}
}

// Run runs checks in order and returns every result. A check that does not
// finish before its own deadline (checkTimeout) is reported as failed.
func Run(ctx context.Context, env *Env, checks []Check) []Result {
	var out []Result
	for _, c := range checks {
		cctx, cancel := context.WithTimeout(ctx, checkTimeout)
		rs := c.Run(cctx, env)
		if cctx.Err() != nil && ctx.Err() == nil {
			rs = append(rs, Result{Check: c.Name, Status: Fail, Message: fmt.Sprintf("did not finish within %s", checkTimeout)})
		}
		cancel()
		for i := range rs {
			if rs[i].Check == "" {
				rs[i].Check = c.Name
			}
		}
		out = append(out, rs...)
	}
	return out
}

// checkTimeout bounds one check.
const checkTimeout = 30 * time.Second

// Failed reports whether any result is a failure.
func Failed(rs []Result) bool {
	for _, r := range rs {
		if r.Status == Fail {
			return true
		}
	}
	return false
}

func needConfig(env *Env) []Result {
	return []Result{{Status: Skip, Message: "needs a configuration that loads (see the config check)"}}
}

// rootDirs returns the configuration's roots as absolute paths.
func rootDirs(cfg *config.Config) []string {
	var out []string
	for _, r := range cfg.Roots {
		out = append(out, absIn(cfg.Dir, r))
	}
	return out
}

func absIn(dir, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	abs, err := filepath.Abs(filepath.Join(dir, p))
	if err != nil {
		return filepath.Join(dir, p)
	}
	return abs
}

func stateDir(cfg *config.Config) string { return absIn(cfg.Dir, cfg.Engine.StateDir) }

// httpClient returns a client for the daemon at listen (host:port, or
// unix:PATH) and the base URL to use with it.
func httpClient(listen string) (*http.Client, string) {
	tr := &http.Transport{DisableKeepAlives: true}
	base := "http://" + listen
	if p, ok := strings.CutPrefix(listen, "unix:"); ok {
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", p)
		}
		base = "http://scribe"
	}
	return &http.Client{Transport: tr, Timeout: 3 * time.Second}, base
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
