package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// check runs the rules the schema cannot express, on the decoded c. Paths in
// bad already have an error and are not checked again.
func (t *tree) check(c *Config, bad map[string]bool) {
	at := func(path, hint, format string, args ...any) {
		t.errorAt(t.nearest(path), path, hint, format, args...)
	}

	if !bad["engine.settle"] && !bad["engine.max_wait"] && c.Engine.MaxWait < c.Engine.Settle {
		path, hint := "engine.max_wait", "max_wait bounds how long a path that never settles waits; make it at least settle"
		if _, set := t.pos[path]; !set {
			path, hint = "engine.settle", "max_wait defaults to "+Default().Engine.MaxWait.String()+"; set engine.max_wait to at least settle"
		}
		at(path, hint, "max_wait (%s) is shorter than settle (%s)", c.Engine.MaxWait, c.Engine.Settle)
	}
	if c.Engine.ActionTimeout <= 0 && !bad["engine.action_timeout"] {
		at("engine.action_timeout", `actions need a deadline; the default is "10s"`, "action_timeout must be greater than zero")
	}
	if c.Engine.Workers < 1 && !c.Engine.Remote && !bad["engine.workers"] {
		at("engine.workers", "0 is for an owner that leaves every job to remote workers (engine.remote: true)", "workers must be at least 1, got %d", c.Engine.Workers)
	}
	if c.Engine.Remote && c.Bus.URL == "" && !bad["engine.remote"] {
		at("engine.remote", "set bus.url to the NATS cluster the workers share (doc/SCALE-OUT.md)", "remote needs bus.url: remote workers reach the owner through a NATS cluster")
	}
	if c.Engine.RemoteAckWait <= 0 && !bad["engine.remote_ack_wait"] {
		at("engine.remote_ack_wait", `the default is "30s"`, "remote_ack_wait must be greater than zero")
	}
	if c.Engine.RemoteWait <= 0 && !bad["engine.remote_wait"] {
		at("engine.remote_wait", `the default is "30s"`, "remote_wait must be greater than zero")
	}
	if c.HTTP.Listen != "" && !bad["http.listen"] {
		t.checkHTTP(c, bad)
	}
	if c.Bus.URL != "" && !bad["bus.url"] {
		if msg := checkBusURL(c.Bus.URL); msg != "" {
			at("bus.url", `write nats://host:port, comma separated for a cluster, or "" for the embedded server`, "%s", msg)
		}
	}

	if !bad["roots"] {
		t.checkRoots(c, bad)
	}

	names := map[string]int{}
	for i := range c.Security.Commands {
		cmd := &c.Security.Commands[i]
		base := indexPath("security.commands", i)
		if cmd.Name != "" && !bad[base+".name"] {
			if j, dup := names[cmd.Name]; dup {
				at(base+".name", "give each command its own name",
					"duplicate command name %q; security.commands[%d] (line %d) already uses it",
					cmd.Name, j, t.nearest(indexPath("security.commands", j)).Line)
			} else {
				names[cmd.Name] = i
			}
		}
		if cmd.Path == "" || bad[base+".path"] {
			continue
		}
		resolved, msg, hint := checkCommand(cmd.Name, cmd.Path)
		if msg != "" {
			at(base+".path", hint, "%s", msg)
			continue
		}
		cmd.Path = resolved
	}

	ids := map[string]int{}
	for i, r := range c.Rules {
		base := indexPath("rules", i)
		if r.ID != "" && !bad[base+".id"] {
			if j, dup := ids[r.ID]; dup {
				at(base+".id", "rule ids must be unique; rename one of them",
					"duplicate rule id %q; rules[%d] (line %d) already uses it",
					r.ID, j, t.nearest(indexPath("rules", j)).Line)
			} else {
				ids[r.ID] = i
			}
		}
		for j, a := range r.Actions {
			p := indexPath(base+".actions", j) + ".timeout"
			if _, set := t.pos[p]; set && a.Timeout <= 0 && !bad[p] {
				at(p, "leave timeout out to use engine.action_timeout", "an action's timeout must be greater than zero")
			}
		}
		if r.OnError.Breaker.Failures > 0 && r.OnError.Breaker.Reset <= 0 && !bad[base+".on_error.breaker.reset"] {
			at(base+".on_error.breaker.reset", `e.g. "60s"`, "the breaker's reset must be greater than zero")
		}
	}
}

// checkRoots reports a root that is another one, or holds it or lies inside
// it. Its files would be processed twice, and in the daemon each root's
// watcher would take the other's writes for a user's edits, so a rule that
// stamps the time would rewrite a file without end.
func (t *tree) checkRoots(c *Config, bad map[string]bool) {
	dirs := make([]string, len(c.Roots))
	for i, r := range c.Roots {
		if !bad[indexPath("roots", i)] {
			dirs[i] = RootDir(c.Dir, r)
		}
	}
	for j := range dirs {
		i, o := OverlapWithEarlier(dirs, j)
		if i < 0 {
			continue
		}
		path := indexPath("roots", j)
		t.errorAt(t.nearest(path), path,
			"list a folder once: a root holds every folder under it, and a rule's files: globs choose among them",
			"root %q (%s) %s roots[%d] %q (line %d): the files they share would be processed twice, and each root's writes would trigger the other's rules",
			c.Roots[j], dirs[j], o, i, c.Roots[i], t.nearest(indexPath("roots", i)).Line)
	}
}

// OverlapWithEarlier returns the first of dirs[:j] that dirs[j] overlaps,
// and how, or -1 when none does. Folders are absolute and clean, as RootDir
// returns them; an empty one (a root with an error already) overlaps none.
func OverlapWithEarlier(dirs []string, j int) (int, Overlap) {
	if dirs[j] == "" {
		return -1, Apart
	}
	for i := range j {
		if dirs[i] == "" {
			continue
		}
		if o := OverlapOf(dirs[j], dirs[i]); o != Apart {
			return i, o
		}
	}
	return -1, Apart
}

// RootDir returns root, a root as configured, as an absolute folder: joined
// to dir (the configuration file's folder) when relative, with its symbolic
// links resolved when it exists.
func RootDir(dir, root string) string {
	if !filepath.IsAbs(root) {
		root = filepath.Join(dir, root)
	}
	if r, err := filepath.EvalSymlinks(root); err == nil {
		return r
	}
	return filepath.Clean(root)
}

// Overlap is how one folder stands to another.
type Overlap int

const (
	Apart  Overlap = iota // neither holds the other
	Same                  // the same folder
	Inside                // the first lies inside the second
	Holds                 // the first holds the second
)

// OverlapOf says how folder a stands to folder b, both absolute and clean
// (as RootDir returns them).
func OverlapOf(a, b string) Overlap {
	switch {
	case a == b:
		return Same
	case inside(b, a):
		return Inside
	case inside(a, b):
		return Holds
	}
	return Apart
}

// String is the relation's words in an error message: "ROOT is the same
// folder as OTHER".
func (o Overlap) String() string {
	switch o {
	case Same:
		return "is the same folder as"
	case Inside:
		return "lies inside"
	case Holds:
		return "holds"
	}
	return "is apart from"
}

// inside reports whether path lies under folder, both absolute and clean.
func inside(folder, path string) bool {
	if folder == string(filepath.Separator) {
		return path != folder
	}
	return strings.HasPrefix(path, folder+string(filepath.Separator))
}

// checkCommand resolves an allow-listed program's path and checks that it is
// safe to run: absolute, existing, a regular executable file that neither it
// nor its directory can be changed by other users. It returns the resolved
// path, or a message and a hint.
func checkCommand(name, path string) (resolved, msg, hint string) {
	lookup := fmt.Sprintf("\"command -v %s\" prints where it is", name)
	if !strings.Contains(path, "/") {
		// A bare name is looked up in PATH now, once, as a shell would; what
		// is found is checked below and pinned like an absolute path.
		// Relative PATH entries ("." or empty) are refused by LookPath.
		found, err := exec.LookPath(path)
		if err != nil {
			return "", fmt.Sprintf("command %q is not in PATH: %v", path, unwrapPathError(errors.Unwrap(err))),
				"install it, or write its full path"
		}
		path = found
	}
	if !filepath.IsAbs(path) {
		return "", fmt.Sprintf("command path %q is not absolute", path),
			"write the full path, or a bare program name to look up in PATH; " + lookup
	}
	resolved, err := filepath.EvalSymlinks(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Sprintf("command %s does not exist", path),
			"install it, or correct the path; " + lookup
	}
	if err != nil {
		return "", fmt.Sprintf("cannot resolve command %s: %v", path, unwrapPathError(err)), "check the path and its permissions"
	}
	fi, err := os.Stat(resolved)
	if err != nil {
		return "", fmt.Sprintf("cannot inspect command %s: %v", resolved, unwrapPathError(err)), "check the path and its permissions"
	}
	shown := path
	if resolved != path {
		shown = fmt.Sprintf("%s (resolved to %s)", path, resolved)
	}
	switch mode := fi.Mode(); {
	case !mode.IsRegular():
		return "", fmt.Sprintf("command %s is not a regular file", shown), "point it at the program itself; " + lookup
	case mode.Perm()&0o111 == 0:
		return "", fmt.Sprintf("command %s is not executable (mode %04o)", shown, mode.Perm()),
			"chmod +x " + resolved
	case mode.Perm()&0o022 != 0:
		return "", fmt.Sprintf("command %s is writable by group or others (mode %04o), so anyone could change what Scribe runs", shown, mode.Perm()),
			"chmod go-w " + resolved
	}
	dir := filepath.Dir(resolved)
	if di, err := os.Stat(dir); err == nil {
		// A sticky directory (/tmp) stops others from replacing the file.
		if di.Mode().Perm()&0o022 != 0 && di.Mode()&fs.ModeSticky == 0 {
			return "", fmt.Sprintf("command %s is in %s, a directory writable by group or others (mode %04o), so anyone could replace it", shown, dir, di.Mode().Perm()),
				"chmod go-w " + dir + ", or install the program elsewhere"
		}
	}
	return resolved, "", ""
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// checkHTTP checks http.listen and what goes with it.
func (t *tree) checkHTTP(c *Config, bad map[string]bool) {
	at := func(path, hint, format string, args ...any) {
		t.errorAt(t.nearest(path), path, hint, format, args...)
	}
	if p, ok := strings.CutPrefix(c.HTTP.Listen, "unix:"); ok {
		switch {
		case p == "":
			at("http.listen", `write "unix:" and the socket's path, e.g. "unix:.scribe/api.sock"`, "the unix socket path is empty")
		case len(c.Abs(p)) >= maxSocketPath:
			at("http.listen", "use a shorter path, e.g. in the state directory or /run/user", "the unix socket path %s is %d bytes long; Linux allows at most %d", c.Abs(p), len(c.Abs(p)), maxSocketPath-1)
		}
		if c.HTTP.TLS.Cert != "" && !bad["http.tls"] {
			at("http.tls", "remove tls: the socket never leaves this machine", "tls applies to a TCP listen address, not to a unix socket")
		}
		return
	}
	if msg := checkListen(c.HTTP.Listen); msg != "" {
		at("http.listen", `write host:port, e.g. "127.0.0.1:9469", "unix:PATH" for a unix socket, or "" to disable HTTP`, "%s", msg)
		return
	}
	if Exposed(c.HTTP.Listen) {
		if msg, hint := c.ExposedProblem(c.HTTP.Listen); msg != "" {
			at("http.listen", hint, "%s", msg)
		}
	}
}

// maxSocketPath is the size of sun_path on Linux, the terminating NUL
// included.
const maxSocketPath = 108

// checkListen returns a message when addr is not host:port with a valid port.
func checkListen(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Sprintf("listen address %q is not host:port", addr)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Sprintf("listen address %q has an invalid port %q", addr, port)
	}
	return ""
}

// checkBusURL returns a message when s is not a comma-separated list of NATS
// URLs.
func checkBusURL(s string) string {
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		u, err := url.Parse(part)
		if err != nil || u.Host == "" {
			return fmt.Sprintf("bus URL %q is not a URL like nats://host:4222", part)
		}
		switch u.Scheme {
		case "nats", "tls", "ws", "wss":
		default:
			return fmt.Sprintf("bus URL %q has scheme %q; expected nats, tls, ws or wss", part, u.Scheme)
		}
	}
	return ""
}
