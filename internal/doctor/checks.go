package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/scribe-md/scribe/internal/bus"
	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/daemon"
	"github.com/scribe-md/scribe/internal/journal"
	"github.com/scribe-md/scribe/internal/links"
	"github.com/scribe-md/scribe/internal/markdown"
	"github.com/scribe-md/scribe/internal/scan"
	"github.com/scribe-md/scribe/internal/service"
	"github.com/scribe-md/scribe/internal/state"
	"github.com/scribe-md/scribe/internal/vcs"
	"github.com/scribe-md/scribe/internal/watch"
)

func checkConfig(_ context.Context, env *Env) []Result {
	switch {
	case env.FindErr != nil:
		return []Result{{Status: Fail, Message: env.FindErr.Error(),
			Fix: "run `scribe init` to write a starter scribe.yaml here, or pass -c FILE"}}
	case env.ConfigErr != nil:
		var ce config.Errors
		msg := env.ConfigErr.Error()
		if errors.As(env.ConfigErr, &ce) {
			lines := make([]string, 0, 3)
			for i, e := range ce {
				if i == 3 {
					lines = append(lines, fmt.Sprintf("and %d more", len(ce)-3))
					break
				}
				lines = append(lines, e.Error())
			}
			msg = fmt.Sprintf("%s: %s", plural(len(ce), "error", "errors"), strings.Join(lines, "; "))
		}
		return []Result{{Status: Fail, Message: msg, Fix: "`scribe config validate` lists every error with file:line:column; fix them"}}
	}
	cfg := env.Config
	return []Result{{Status: OK, Message: fmt.Sprintf("%s is valid: %s, %s", env.ConfigFile,
		plural(len(cfg.Roots), "root", "roots"), plural(len(cfg.Rules), "rule", "rules"))}}
}

func checkRoots(ctx context.Context, env *Env) []Result {
	if env.Config == nil {
		return needConfig(env)
	}
	var out []Result
	for _, dir := range rootDirs(env.Config) {
		fi, err := os.Stat(dir)
		switch {
		case err != nil:
			out = append(out, Result{Status: Fail, Message: fmt.Sprintf("root %s: %v", dir, err),
				Fix: fmt.Sprintf("create it, or fix roots: in %s (roots are relative to the configuration's directory)", env.ConfigFile)})
			continue
		case !fi.IsDir():
			out = append(out, Result{Status: Fail, Message: fmt.Sprintf("root %s is not a directory", dir), Fix: "roots: lists directories"})
			continue
		}
		if err := unix.Access(dir, unix.R_OK|unix.W_OK|unix.X_OK); err != nil {
			out = append(out, Result{Status: Fail, Message: fmt.Sprintf("root %s: not readable and writable by this user: %v", dir, err),
				Fix: "run scribe as the files' owner, or fix the directory's permissions"})
			continue
		}
		msg := "root " + dir
		if kinds := rootKinds(dir); len(kinds) > 0 {
			msg += " (" + strings.Join(kinds, "; ") + ")"
		}
		out = append(out, Result{Status: OK, Message: msg})
		out = append(out, docusaurusRoutes(dir, env.Config)...)
		out = append(out, jekyllPublishes(dir, env.ConfigFile)...)
		out = append(out, vitepressSrcDir(dir, env.Config)...)
		out = append(out, nestedSites(dir, env.Config)...)
		out = append(out, nestedConfigs(env, dir, env.walk(ctx).configs[dir])...)
	}
	return append(out, EnclosingConfig(env.Config, env.ConfigFile)...)
}

// rootKinds says what the tool that keeps a root makes it, where Scribe
// reads it so without being told (see links.check and the front matter
// docs): what a user should know of the defaults it gets.
func rootKinds(dir string) []string {
	stat, _ := FolderFS(dir)
	var kinds []string
	hugo := links.IsHugoSite(stat)
	if hugo {
		kinds = append(kinds, "a Hugo site: links.check reads Markdown links as the URLs it serves")
	} else if links.IsDocusaurusSite(stat) {
		kinds = append(kinds, "a Docusaurus site: links.check reads Markdown links as its build does, files and the URLs of its pages")
	} else if links.IsJekyllSite(stat) {
		kinds = append(kinds, "a Jekyll site: links.check reads Markdown links as GitHub Pages serves it, files and the URLs of its pages")
	} else if links.IsVitePressSite(stat) {
		kinds = append(kinds, "a VitePress site: links.check reads Markdown links as its build does, its pages with .md optional, and gives headings VitePress's anchors")
	}
	if links.IsMkDocsSite(stat) {
		kinds = append(kinds, "an MkDocs site: links.check gives headings the anchors MkDocs makes, and reports a page's links out of its docs folder")
	}
	if markdown.DialectOf(stat) == markdown.Logseq {
		kinds = append(kinds, "a Logseq graph: a page's key:: value lines are its front matter, and wiki links name pages")
	}
	if links.IsObsidianVault(stat) {
		if hugo {
			kinds = append(kinds, "an Obsidian vault: links.check looks in its attachment folder")
		} else {
			kinds = append(kinds, "an Obsidian vault: links.check reads Markdown links as Obsidian writes them, and looks in its attachment folder")
		}
	}
	return kinds
}

// FolderFS returns a stat and a read that answer for names (slash paths)
// in the folder dir: how doctor and init ask the links package what a
// folder is.
func FolderFS(dir string) (stat func(string) (fs.FileInfo, error), read func(string) ([]byte, error)) {
	at := func(name string) string { return filepath.Join(dir, filepath.FromSlash(name)) }
	return func(name string) (fs.FileInfo, error) { return os.Stat(at(name)) },
		func(name string) ([]byte, error) { return os.ReadFile(at(name)) }
}

// nestedSites notes the static sites in the folders of the root dir (a
// repository's website/ holding docusaurus.config.js, say). links.check
// reads one Hugo, Docusaurus, Jekyll or VitePress site there as the site
// builds it, when the root is no such site or Obsidian vault itself
// (ReadsNested); of several it reads none so, and an MkDocs site's anchors
// are its own only where its folder is a root.
func nestedSites(dir string, cfg *config.Config) []Result {
	var out []Result
	sites := NestedSites(dir)
	read := ReadsNested(dir, sites)
	if len(read) == 1 {
		s := read[0]
		out = append(out, Result{Status: OK,
			Message: fmt.Sprintf("%s is %s: links.check reads its links as the site builds them, and those of the files beside it as relative paths", s.Dir, s.Kind)})
		out = append(out, docusaurusRoutes(s.Dir, cfg)...)
		out = append(out, vitepressSrcDir(s.Dir, cfg)...)
	}
	if len(read) > 1 {
		var dirs []string
		for _, s := range read {
			dirs = append(dirs, s.Dir)
		}
		out = append(out, Result{Status: Warn,
			Message: fmt.Sprintf("root %s holds several sites (%s): links.check reads the links of none as its site builds them", dir, strings.Join(dirs, ", ")),
			Fix:     fmt.Sprintf("add each to roots (and exclude it from %s), or give each a configuration of its own", dir)})
	}
	for _, s := range sites {
		if slices.Contains(read, s) {
			continue
		}
		out = append(out, Result{Status: Warn,
			Message: fmt.Sprintf("%s is %s inside root %s: links.check reads its links as the site builds them only when its folder is a root", s.Dir, s.Kind, dir),
			Fix:     fmt.Sprintf("add %s to roots (and exclude it from %s), or give it a configuration of its own", s.Dir, dir)})
	}
	return out
}

// mkdocsKind is links.SiteKind's word for an MkDocs site, whose links are
// relative paths wherever it is.
const mkdocsKind = "an MkDocs site"

// ReadsNested returns the sites of sites, those in the folders right
// under dir, whose links links.check reads as the site builds them from
// dir, the root: its Hugo, Docusaurus, Jekyll and VitePress sites, when
// dir is no such site or Obsidian vault itself (one is read: see
// doc/actions/links.check.md).
func ReadsNested(dir string, sites []Site) []Site {
	stat, _ := FolderFS(dir)
	if k := links.SiteKind(stat); k != "" && k != mkdocsKind || links.IsObsidianVault(stat) {
		return nil
	}
	var out []Site
	for _, s := range sites {
		if s.Kind != mkdocsKind {
			out = append(out, s)
		}
	}
	return out
}

// Site is a static site in a folder of another (see NestedSites).
type Site struct {
	// Dir is the site's folder; Kind says whose site it is (links.SiteKind).
	Dir, Kind string
}

// NestedSites returns the static sites (see links.SiteKind) in the folders
// right under dir: a repository's docs/ or website/.
func NestedSites(dir string) []Site {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []Site
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") || e.Name() == "node_modules" {
			continue
		}
		sub := filepath.Join(dir, e.Name())
		stat, _ := FolderFS(sub)
		if kind := links.SiteKind(stat); kind != "" {
			out = append(out, Site{sub, kind})
		}
	}
	return out
}

// jekyllPublishes warns when the Jekyll site dir would copy the
// configuration file into the site it builds, where anyone can read it:
// Jekyll copies every file it does not exclude and whose name does not
// start with '_' or '.'.
func jekyllPublishes(dir, file string) []Result {
	j := links.ReadJekyllSite(FolderFS(dir))
	if j == nil {
		return nil
	}
	rel, err := filepath.Rel(dir, file)
	if err != nil || !filepath.IsLocal(rel) || !j.Publishes(filepath.ToSlash(rel)) {
		return nil
	}
	return []Result{{Status: Warn,
		Message: fmt.Sprintf("the Jekyll site %s copies %s into the site it builds, which serves it at %s", dir, file, "/"+filepath.ToSlash(rel)),
		Fix:     fmt.Sprintf("add %s to the exclude list of %s", filepath.ToSlash(rel), filepath.Join(dir, links.JekyllConfig))}}
}

// srcDirSetting is a VitePress configuration's srcDir, which moves the
// site's pages into a folder.
var srcDirSetting = regexp.MustCompile(`srcDir\s*:\s*['"\x60]([^'"\x60]+)['"\x60]`)

// vitepressSrcDir warns when the VitePress site dir seems to keep its
// pages in a folder (srcDir) that links.check does not know of: every
// link from the root would be reported. The configuration is a program,
// not read: its text is searched, and the message says "if".
func vitepressSrcDir(dir string, cfg *config.Config) []Result {
	stat, _ := FolderFS(dir)
	name := links.VitePressConfig(stat)
	if name == "" {
		return nil
	}
	file := filepath.Join(dir, filepath.FromSlash(name))
	b, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	m := srcDirSetting.FindSubmatch(b)
	if m == nil || strings.Trim(string(m[1]), "./") == "" {
		return nil
	}
	rule := defaultLayout(cfg, "vitepress")
	if rule == "" {
		return nil
	}
	return []Result{{Status: Warn,
		Message: fmt.Sprintf("%s sets srcDir: %q: if the site's pages are there, links.check of rule %s looks for them in the site's folder", file, m[1], rule),
		Fix:     fmt.Sprintf("give that links.check vitepress: {src_dir: %s} (see doc/actions/links.check.md)", strings.Trim(string(m[1]), "./"))}}
}

// defaultLayout returns the id of the first rule of cfg whose links.check
// reads a site of the kind (its markdown_links value, also the name of the
// parameter that lays such a site out) with the default layout: it gives
// neither another markdown_links nor that parameter. "" when none does.
func defaultLayout(cfg *config.Config, kind string) string {
	for _, r := range cfg.Rules {
		for _, a := range r.Actions {
			if a.Name != "links.check" {
				continue
			}
			p, _ := a.Params.(map[string]any)
			if ml, _ := p["markdown_links"].(string); p[kind] == nil && (ml == "" || ml == kind) {
				return r.ID
			}
		}
	}
	return ""
}

// rootRoutes is a Docusaurus configuration's setting of a plugin's routes
// at the site's root, which a docs-only site gives its docs.
var rootRoutes = regexp.MustCompile(`routeBasePath\s*:\s*['"\x60]/['"\x60]`)

// docusaurusRoutes warns when the Docusaurus site dir seems to serve its
// docs at the site's root (routeBasePath: '/', a docs-only site) while
// links.check reads it with the classic preset's layout, the docs under
// /docs/: every link to a doc would be reported. The configuration is a
// program, not read: its text is searched, and the message says "if".
func docusaurusRoutes(dir string, cfg *config.Config) []Result {
	stat, _ := FolderFS(dir)
	name := links.DocusaurusConfig(stat)
	if name == "" {
		return nil
	}
	file := filepath.Join(dir, name)
	if b, err := os.ReadFile(file); err != nil || !rootRoutes.Match(b) {
		return nil
	}
	rule := defaultLayout(cfg, "docusaurus")
	if rule == "" {
		return nil
	}
	return []Result{{Status: Warn,
		Message: fmt.Sprintf("%s sets a routeBasePath of '/': if that is the docs' (a docs-only site), links.check of rule %s looks for the docs' routes under /docs/, where the site does not serve them", file, rule),
		Fix:     "give that links.check docusaurus: {docs_url: /} (see doc/actions/links.check.md)"}}
}

// EnclosingConfig warns when a root of cfg (loaded from file) lies in a
// root of the configuration nearest above it (as FindUp finds it from the
// parent folder), unless that configuration excludes it: a daemon of each
// would process it. `scribe watch` logs these at its start too.
func EnclosingConfig(cfg *config.Config, file string) []Result {
	own, err := filepath.Abs(file)
	if err != nil {
		return nil
	}
	p, err := config.FindUp(filepath.Dir(filepath.Dir(own)))
	if err != nil {
		return nil
	}
	outer, err := config.Load(p)
	if err != nil {
		return nil // not ours to validate
	}
	var out []Result
	for _, dir := range rootDirs(cfg) {
		mine := config.RootDir("", dir)
		for _, r := range outer.Roots {
			od := config.RootDir(outer.Dir, r)
			if o := config.OverlapOf(mine, od); o != config.Same && o != config.Inside {
				continue
			}
			rel, err := filepath.Rel(od, mine)
			if err != nil {
				continue
			}
			rel = filepath.ToSlash(rel)
			if f, err := scan.NewFilter(od, []string{"**"}, outer.Exclude, relInside(od, stateDir(outer))); err == nil && f.ExcludedDir(rel) {
				continue
			}
			sub := rel + "/**"
			if rel == "." {
				sub = "**"
			}
			out = append(out, Result{Check: "roots", Status: Warn,
				Message: fmt.Sprintf("root %s lies in root %s of another configuration, %s; a scribe watch of each would process it both, each taking the other's writes for edits", dir, od, p),
				Fix:     fmt.Sprintf("add %q to exclude: in %s, or keep one configuration", sub, p)})
			break
		}
	}
	return out
}

// nestedConfigs warns of each configuration file found under the root dir
// (found, by the walk): a `scribe watch` of it and one of env's would both
// process the files under its folder, each taking the other's writes for
// edits. A folder the root's excludes or ignore files leave out is no
// overlap, and is not looked into.
func nestedConfigs(env *Env, dir string, found []string) []Result {
	var out []Result
	for _, rel := range found {
		sub := path.Dir(rel)
		out = append(out, Result{Status: Warn,
			Message: fmt.Sprintf("%s: another configuration in root %s; a scribe watch of each would process %s/ both, each taking the other's writes for edits", rel, dir, sub),
			Fix:     fmt.Sprintf("add %q to exclude: in %s, or keep one configuration", sub+"/**", env.ConfigFile)})
	}
	return out
}

func checkInotify(ctx context.Context, env *Env) []Result {
	if runtime.GOOS != "linux" {
		return []Result{{Status: Skip, Message: "inotify limits exist on Linux only"}}
	}
	if env.Config == nil {
		return needConfig(env)
	}
	cfg := env.Config
	need := 0
	for _, dir := range rootDirs(cfg) {
		root, err := os.OpenRoot(dir)
		if err != nil {
			continue // the roots check says why
		}
		f, err := scan.NewFilter(dir, cfg.Include, cfg.Exclude, relInside(dir, stateDir(cfg)))
		if err == nil {
			var n int
			n, err = watch.CountDirs(ctx, root, f)
			need += n
		}
		root.Close()
		if err != nil {
			return []Result{{Status: Warn, Message: fmt.Sprintf("could not count the directories of %s: %v", dir, err)}}
		}
	}
	lim := watch.KernelLimits()
	if lim.MaxWatches <= 0 {
		return []Result{{Status: Warn, Message: "cannot read /proc/sys/fs/inotify/max_user_watches"}}
	}
	u := watch.CurrentUsage(func(exe string) bool { return env.Executable != "" && exe == env.Executable })
	out := []Result{watchVerdict(lim.MaxWatches, u.Watches, u.Skipped, need)}
	if lim.MaxInstances > 0 && u.Instances+len(cfg.Roots)+1 > lim.MaxInstances {
		// One instance per root, and one for the git directory.
		out = append(out, Result{Status: Fail,
			Message: fmt.Sprintf("%d of %d inotify instances in use; scribe needs %d more", u.Instances, lim.MaxInstances, len(cfg.Roots)+1),
			Fix:     fmt.Sprintf("sudo sysctl fs.inotify.max_user_instances=%d (and add it to /etc/sysctl.d/ to keep it)", max(256, 2*lim.MaxInstances))})
	}
	return out
}

// watchVerdict judges the watch limit: need directories to watch, used
// watches held by the user's other programs (skipped more by a running
// scribe, not counted), limit max_user_watches.
func watchVerdict(limit, used, skipped, need int) Result {
	others := ""
	if skipped > 0 {
		others = fmt.Sprintf(", not counting the %d of a running scribe", skipped)
	}
	msg := fmt.Sprintf("%s to watch; %d of %d watches in use by your other programs%s", plural(need, "directory", "directories"), used, limit, others)
	fix := watch.WatchesSysctl(watch.SuggestWatches(limit, used, need))
	switch {
	case used+need > limit:
		return Result{Status: Fail, Message: msg + ": not enough, directories past the limit are polled and changes there are seen late", Fix: fix}
	case used+2*need > limit:
		return Result{Status: Warn, Message: msg + ": no room for the tree to double", Fix: fix}
	}
	return Result{Status: OK, Message: msg}
}

// relInside returns target relative to dir when it lies inside it, else "".
func relInside(dir, target string) string {
	rel, err := filepath.Rel(dir, target)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return ""
	}
	return filepath.ToSlash(rel)
}

// minFree is the free space below which the state check warns: the
// embedded bus may use up to 1 GiB, and the journal keeps replaced content.
const minFree = 512 << 20

func checkState(_ context.Context, env *Env) []Result {
	if env.Config == nil {
		return needConfig(env)
	}
	sd := stateDir(env.Config)
	fi, err := os.Stat(sd)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		parent := filepath.Dir(sd)
		if err := unix.Access(parent, unix.W_OK|unix.X_OK); err != nil {
			return []Result{{Status: Fail, Message: fmt.Sprintf("state dir %s does not exist, and %s is not writable: %v", sd, parent, err),
				Fix: "set engine.state_dir to a writable directory"}}
		}
		return []Result{{Status: OK, Message: fmt.Sprintf("state dir %s will be created at the first run", sd)}}
	case err != nil:
		return []Result{{Status: Fail, Message: fmt.Sprintf("state dir %s: %v", sd, err)}}
	case !fi.IsDir():
		return []Result{{Status: Fail, Message: fmt.Sprintf("state dir %s is not a directory", sd), Fix: "move it aside, or set engine.state_dir elsewhere"}}
	}
	// A real write: a read-only or full file system shows here, not at
	// the daemon's first journal entry.
	f, err := os.CreateTemp(sd, ".scribe-doctor-*")
	if err == nil {
		_, err = f.WriteString("scribe doctor\n")
		if serr := f.Sync(); err == nil {
			err = serr
		}
		f.Close()
		os.Remove(f.Name())
	}
	if err != nil {
		return []Result{{Status: Fail, Message: fmt.Sprintf("state dir %s is not writable: %v", sd, err), Fix: "free space, or fix its permissions"}}
	}
	var out []Result
	var st unix.Statfs_t
	if unix.Statfs(sd, &st) == nil {
		if free := int64(st.Bavail) * int64(st.Bsize); free < minFree {
			out = append(out, Result{Status: Warn, Message: fmt.Sprintf("only %d MiB free for the state dir %s", free>>20, sd),
				Fix: "free space: the journal and the embedded bus need room to write"})
		}
	}
	jp := filepath.Join(sd, "journal.db")
	j, err := journal.OpenReadOnly(jp)
	jmsg := ""
	switch {
	case err == nil:
		j.Close()
		jmsg = "journal readable"
	case errors.Is(err, fs.ErrNotExist):
		jmsg = "no journal yet"
	case errors.Is(err, journal.ErrLocked):
		env.daemon = true
		jmsg = "journal held by a running scribe"
	default:
		return append(out, Result{Status: Fail, Message: err.Error(),
			Fix: fmt.Sprintf("stop scribe and move the journal aside (mv %s %s.damaged); history starts afresh", jp, jp)})
	}
	for _, dir := range rootDirs(env.Config) {
		p := state.PathFor(sd, dir)
		if _, err := state.Load(p); err != nil {
			out = append(out, Result{Status: Warn, Message: err.Error(),
				Fix: "nothing to do: the next start checks every file and writes a new index"})
		}
	}
	return append(out, Result{Status: OK, Message: fmt.Sprintf("state dir %s writable; %s", sd, jmsg)})
}

func checkDaemon(ctx context.Context, env *Env) []Result {
	if env.Config == nil {
		return needConfig(env)
	}
	listen := env.Config.HTTP.Listen
	if listen == "" {
		return []Result{{Status: Skip, Message: "http.listen is empty: a daemon serves no API, so this cannot tell whether one runs"}}
	}
	c, base := httpClient(listen)
	get := func(path string) (int, string, error) {
		req, err := http.NewRequestWithContext(ctx, "GET", base+path, nil)
		if err != nil {
			return 0, "", err
		}
		resp, err := c.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return resp.StatusCode, strings.TrimSpace(string(b)), nil
	}
	code, body, err := get("/healthz")
	switch {
	case err != nil:
		if env.daemon {
			return []Result{{Status: Warn, Message: fmt.Sprintf("a scribe holds the journal but nothing answers at %s: %v", listen, err),
				Fix: "a `scribe run` may be running; if not, the daemon may have another http.listen"}}
		}
		return []Result{{Status: Warn, Message: "no daemon runs (nothing answers at " + listen + ")",
			Fix: "`scribe watch` runs it in this terminal; `scribe service install` runs it as a service"}}
	case code == http.StatusServiceUnavailable:
		env.daemon = true
		return []Result{{Status: Fail, Message: fmt.Sprintf("the daemon at %s is not live: %s", listen, body),
			Fix: "restart it (`systemctl --user restart` for a service); its log says why"}}
	case code != http.StatusOK || body != "ok":
		return []Result{{Status: Fail, Message: fmt.Sprintf("something that is not scribe answers at %s (/healthz: %d)", listen, code),
			Fix: "set http.listen to a free address"}}
	}
	if other := otherDaemon(ctx, c, base, env.Config); other != "" {
		return []Result{{Status: Fail, Message: fmt.Sprintf("the daemon at %s is another configuration's: it watches %s, none of this one's roots", listen, other),
			Fix: "give each configuration its own http.listen (e.g. 127.0.0.1:9470), so that scribe commands reach their own daemon"}}
	}
	env.daemon = true
	ready := "ready"
	if code, _, err := get("/readyz"); err != nil || code != http.StatusOK {
		ready = "starting or catching up"
	}
	return []Result{{Status: OK, Message: fmt.Sprintf("a daemon answers at %s: live, %s", listen, ready)}}
}

func checkBus(ctx context.Context, env *Env) []Result {
	if env.Config == nil {
		return needConfig(env)
	}
	if url := env.Config.Bus.URL; url != "" {
		n, err := bus.Probe(ctx, url)
		if err != nil {
			return []Result{{Status: Fail, Message: err.Error(),
				Fix: "start the NATS server (with JetStream: nats-server -js), or fix bus.url"}}
		}
		return []Result{{Status: OK, Message: fmt.Sprintf("external NATS answers with JetStream (%s in the account)", plural(n, "stream", "streams"))}}
	}
	store := filepath.Join(stateDir(env.Config), "nats")
	if env.daemon {
		return []Result{{Status: OK, Message: "embedded; in use by the running daemon"}}
	}
	if _, err := os.Stat(store); errors.Is(err, fs.ErrNotExist) {
		return []Result{{Status: OK, Message: "embedded; its store " + store + " is created at the first start"}}
	}
	// No daemon has it: open it as the daemon would, which also recovers
	// and checks the store, then close it.
	b, err := bus.Open(ctx, bus.Options{StoreDir: store, SyncInterval: time.Second})
	if err != nil {
		return []Result{{Status: Fail, Message: fmt.Sprintf("the embedded bus does not open: %v", err),
			Fix: fmt.Sprintf("if the store is damaged, move it aside (mv %s %s.damaged): the queue is rebuilt from disk at the next start", store, store)}}
	}
	n, perr := b.Pending(ctx)
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := b.Close(cctx); err != nil {
		return []Result{{Status: Warn, Message: fmt.Sprintf("the embedded bus opens, but did not close cleanly: %v", err)}}
	}
	if perr != nil {
		return []Result{{Status: Warn, Message: fmt.Sprintf("the embedded bus opens, but its queue does not answer: %v", perr)}}
	}
	return []Result{{Status: OK, Message: fmt.Sprintf("embedded store %s opens; %d events queued for the next start", store, n)}}
}

func checkGit(ctx context.Context, env *Env) []Result {
	if env.Config == nil {
		return needConfig(env)
	}
	if env.Config.Engine.VCS == "off" {
		return []Result{{Status: OK, Message: "engine.vcs is off: git is not looked at"}}
	}
	var out []Result
	seen := map[string]bool{}
	for _, dir := range rootDirs(env.Config) {
		repo, err := vcs.Open(dir, vcs.Options{})
		if err != nil {
			out = append(out, Result{Status: Fail, Message: fmt.Sprintf("root %s: %v", dir, err), Fix: "repair the work tree, or set engine.vcs: off"})
			continue
		}
		if repo == nil {
			out = append(out, Result{Status: OK, Message: fmt.Sprintf("root %s is not in a git work tree", dir)})
			continue
		}
		top := repo.Top
		busy, why := repo.Busy()
		repo.Close()
		if seen[top] {
			continue
		}
		seen[top] = true
		if _, err := exec.LookPath("git"); err != nil {
			out = append(out, Result{Status: Warn, Message: fmt.Sprintf("%s is a git work tree, but git is not on PATH", top),
				Fix: "install git: without it content that arrived through git is taken for edits, and --changed/--staged/--since fail"})
			continue
		}
		if busy {
			out = append(out, Result{Status: Warn, Message: fmt.Sprintf("%s: %s; scribe holds its writes until it ends", top, why),
				Fix: "finish or abort it (git rebase --continue / --abort, git merge --abort, ...)"})
			continue
		}
		if sd := stateDir(env.Config); relInside(top, sd) != "" {
			if _, err := os.Stat(sd); err == nil {
				cmd := exec.CommandContext(ctx, "git", "-C", top, "check-ignore", "-q", sd)
				cmd.Env = append(os.Environ(), "GIT_OPTIONAL_LOCKS=0")
				if err := cmd.Run(); err != nil {
					var ee *exec.ExitError
					if errors.As(err, &ee) && ee.ExitCode() == 1 {
						out = append(out, Result{Status: Warn, Message: fmt.Sprintf("the state dir %s is not ignored by git: it shows in git status", sd),
							Fix: fmt.Sprintf("add %s/ to .gitignore (scribe writes %s itself when it creates the directory)", relInside(top, sd), filepath.Join(relInside(top, sd), ".gitignore"))})
						continue
					}
				}
			}
		}
		out = append(out, Result{Status: OK, Message: fmt.Sprintf("%s: a git work tree, no operation in progress", top)})
	}
	return out
}

func checkService(ctx context.Context, env *Env) []Result {
	if runtime.GOOS != "linux" {
		return []Result{{Status: Skip, Message: "systemd units are checked on Linux only"}}
	}
	if env.ConfigFile == "" {
		return needConfig(env)
	}
	cfgFile, err := filepath.Abs(env.ConfigFile)
	if err != nil {
		return []Result{{Status: Warn, Message: err.Error()}}
	}
	dir, err := service.UnitDir()
	if err != nil {
		return []Result{{Status: Skip, Message: err.Error()}}
	}
	name := service.NameFor(filepath.Dir(cfgFile)) + ".service"
	path := filepath.Join(dir, name)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return []Result{{Status: OK, Message: "no systemd unit installed (optional: `scribe service install`)"}}
	}
	if err != nil {
		return []Result{{Status: Warn, Message: err.Error()}}
	}
	if other := service.UnitConfig(b); other != cfgFile {
		return []Result{{Status: Warn, Message: fmt.Sprintf("%s runs %s, not this configuration", path, other),
			Fix: "install this one under another name: scribe service install --name NAME"}}
	}
	switch err := service.Verify(ctx, path); {
	case errors.Is(err, service.ErrNoAnalyzer):
		return []Result{{Status: OK, Message: path + " installed (not verified: systemd-analyze is missing)"}}
	case err != nil:
		return []Result{{Status: Fail, Message: err.Error(), Fix: "reinstall it: scribe service install (the binary it names may have moved)"}}
	}
	return []Result{{Status: OK, Message: path + " installed and verified by systemd-analyze"}}
}

// otherDaemon returns the roots of the daemon at base when it watches none
// of cfg's (another configuration's daemon on the same address), or "" when
// it does, or its status cannot be read (reads may need the API token).
func otherDaemon(ctx context.Context, c *http.Client, base string, cfg *config.Config) string {
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/status", nil)
	if err != nil {
		return ""
	}
	resp, err := c.Do(req)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var st daemon.Status
	if resp.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&st) != nil {
		return ""
	}
	if st.Serves(cfg) {
		return ""
	}
	return strings.Join(st.RootDirs(), ", ")
}
