package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/daemon"
	"github.com/scribe-md/scribe/internal/service"
	"github.com/scribe-md/scribe/internal/state"
)

// serviceFlags are the flags the service subcommands share.
type serviceFlags struct {
	name      string
	binary    string
	launchd   bool
	print     bool
	noStart   bool
	noSandbox bool
	force     bool
	readWrite []string
}

func newServiceCmd(g *globals) *cobra.Command {
	f := &serviceFlags{launchd: runtime.GOOS == "darwin"}
	cmd := &cobra.Command{
		Use:   "service",
		Short: "Run `scribe watch` as a systemd user service (install, uninstall, status)",
		Long: "Run `scribe watch -c CONFIG` as a service of your own systemd user manager:\n" +
			"started at login (or at boot with `loginctl enable-linger`), restarted when it\n" +
			"fails or stops answering its watchdog, and sandboxed so that it can write only\n" +
			"the roots and the state directory. On macOS a launchd agent is written instead\n" +
			"(untested by the project). See doc/SERVICE.md.",
		Args: cobra.NoArgs,
	}
	name := func(c *cobra.Command) {
		c.Flags().StringVar(&f.name, "name", "", "service name (default: scribe- and the configuration's directory name)")
		c.Flags().BoolVar(&f.launchd, "launchd", f.launchd, "a launchd agent plist (macOS) instead of a systemd unit")
	}
	install := &cobra.Command{
		Use:   "install",
		Short: "Write the service unit for this configuration, enable and start it",
		Long: "Write ~/.config/systemd/user/NAME.service for the configuration (it must be valid),\n" +
			"then `systemctl --user daemon-reload`, `enable` and `restart`, and wait until the\n" +
			"daemon says it is ready. Without a reachable user manager the unit is written and\n" +
			"the commands to start it are printed (exit 1; 0 with --no-start).\n\n" +
			"The daemon may write only the roots and the state directory; add paths with\n" +
			"--read-write (a command an exec action runs may need its cache, for one).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return serviceInstall(cmd.Context(), g, f) },
	}
	name(install)
	fl := install.Flags()
	fl.StringVar(&f.binary, "binary", "", "the scribe executable the service runs (default: this one)")
	fl.BoolVar(&f.print, "print", false, "print the unit (or plist) and write nothing")
	fl.BoolVar(&f.noStart, "no-start", false, "write the unit only; print the commands that start it")
	fl.BoolVar(&f.noSandbox, "no-sandbox", false, "leave out the options that need a mount namespace (if the service fails with status 226/NAMESPACE)")
	fl.BoolVar(&f.force, "force", false, "replace a unit of the same name written for another configuration")
	fl.StringArrayVar(&f.readWrite, "read-write", nil, "another path the daemon may write (repeatable)")
	uninstall := &cobra.Command{
		Use:   "uninstall",
		Short: "Stop and disable the service and remove its unit",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return serviceUninstall(cmd.Context(), g, f) },
	}
	name(uninstall)
	uninstall.Flags().BoolVar(&f.force, "force", false, "remove a unit of that name even if it runs another configuration")
	status := &cobra.Command{
		Use:   "status",
		Short: "Show the service manager's view of the service and the daemon's own status",
		Long:  "Show `systemctl --user status NAME` and the daemon's status (as `scribe status`).\nExit 0 when the service is active and the daemon answers, 1 otherwise.",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return serviceStatus(cmd.Context(), g, f) },
	}
	name(status)
	cmd.AddCommand(install, uninstall, status)
	return cmd
}

// serviceSpec builds the service of the configuration: it must load and be
// valid, so that a broken configuration is never installed.
func serviceSpec(g *globals, f *serviceFlags) (service.Spec, *config.Config, error) {
	l, err := loadConfig(g, nil, nil)
	if err != nil {
		return service.Spec{}, nil, err
	}
	l.Close(context.Background())
	cfg := l.Config
	cfgFile, err := filepath.Abs(cfg.File)
	if err != nil {
		return service.Spec{}, nil, fail(ExitUsage, err)
	}
	dir := filepath.Dir(cfgFile)
	bin := f.binary
	if bin == "" {
		if bin, err = os.Executable(); err != nil {
			return service.Spec{}, nil, fail(ExitFailure, fmt.Errorf("find this executable: %w; pass --binary", err))
		}
		if strings.Contains(bin, string(filepath.Separator)+"go-build") {
			return service.Spec{}, nil, fail(ExitUsage, fmt.Errorf("this scribe is a temporary build (go run): the service would lose it; `go install ./cmd/scribe` first, then run the installed scribe, or pass --binary"))
		}
	}
	if bin, err = filepath.Abs(bin); err == nil {
		bin, err = filepath.EvalSymlinks(bin)
	}
	if err != nil {
		return service.Spec{}, nil, fail(ExitUsage, fmt.Errorf("binary: %w", err))
	}
	var rw []string
	for _, r := range cfg.Roots {
		rw = append(rw, absIn(dir, r))
	}
	rw = append(rw, absIn(dir, cfg.Engine.StateDir))
	for _, p := range f.readWrite {
		a, err := filepath.Abs(p)
		if err != nil {
			return service.Spec{}, nil, fail(ExitUsage, err)
		}
		rw = append(rw, a)
	}
	name := f.name
	if name == "" {
		name = service.NameFor(dir)
	}
	s := service.Spec{Name: name, Binary: bin, Config: cfgFile, WorkDir: dir, ReadWrite: outermost(rw), NoSandbox: f.noSandbox}
	if err := s.Validate(); err != nil {
		return service.Spec{}, nil, fail(ExitUsage, err)
	}
	return s, cfg, nil
}

func absIn(dir, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(dir, p)
}

// outermost drops duplicates and paths inside another one of paths.
func outermost(paths []string) []string {
	slices.Sort(paths)
	paths = slices.Compact(paths)
	var out []string
	for _, p := range paths {
		if len(out) > 0 {
			last := out[len(out)-1]
			if rel, err := filepath.Rel(last, p); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				continue
			}
		}
		out = append(out, p)
	}
	return out
}

func serviceInstall(ctx context.Context, g *globals, f *serviceFlags) error {
	s, cfg, err := serviceSpec(g, f)
	if err != nil {
		return err
	}
	if f.launchd {
		return launchdInstall(g, f, s)
	}
	unit, err := service.Unit(s)
	if err != nil {
		return fail(ExitUsage, err)
	}
	if f.print {
		_, err := g.stdout.Write(unit)
		return err
	}
	// ReadWritePaths must exist when the service starts.
	if err := state.PrepareDir(absIn(filepath.Dir(s.Config), cfg.Engine.StateDir)); err != nil {
		return fail(ExitFailure, err)
	}
	dir, err := service.UnitDir()
	if err != nil {
		return fail(ExitFailure, err)
	}
	path := filepath.Join(dir, s.UnitName())
	changed, err := service.WriteUnit(path, unit, s.Config, f.force)
	if errors.Is(err, service.ErrOtherConfig) {
		return fail(ExitUsage, err)
	}
	if err != nil {
		return fail(ExitFailure, fmt.Errorf("write the unit: %w", err))
	}
	if changed {
		fmt.Fprintf(g.stdout, "wrote %s\n", path)
	} else {
		fmt.Fprintf(g.stdout, "%s is up to date\n", path)
	}
	start := fmt.Sprintf("  systemctl --user daemon-reload\n  systemctl --user enable %s\n  systemctl --user restart %s\n", s.UnitName(), s.UnitName())
	if f.noStart {
		fmt.Fprintf(g.stdout, "start it with:\n%s", start)
		return nil
	}
	sc := service.Systemctl{}
	if err := sc.Reachable(ctx); err != nil {
		fmt.Fprintf(g.stdout, "not started: %v\nstart it from a session with a user manager with:\n%s", err, start)
		return silent(ExitProblems)
	}
	for _, args := range [][]string{{"daemon-reload"}, {"enable", s.UnitName()}, {"restart", s.UnitName()}} {
		if _, err := sc.Run(ctx, args...); err != nil {
			out, _ := sc.Run(ctx, "status", "--no-pager", "--lines=20", s.UnitName())
			fmt.Fprintln(g.stdout, out)
			return fail(ExitProblems, fmt.Errorf("%w; the unit's log: journalctl --user -u %s", err, s.UnitName()))
		}
	}
	fmt.Fprintf(g.stdout, "started %s (ready); `scribe service status` shows it, `journalctl --user -u %s` its log\n", s.UnitName(), s.UnitName())
	if u, err := user.Current(); err == nil && !service.Lingering(u.Username) {
		fmt.Fprintf(g.stdout, "it runs while you are logged in; to keep it running after you log out: loginctl enable-linger %s\n", u.Username)
	}
	return nil
}

func launchdInstall(g *globals, f *serviceFlags, s service.Spec) error {
	dir, err := service.LaunchAgentDir()
	if err != nil {
		return fail(ExitFailure, err)
	}
	logFile := filepath.Join(filepath.Dir(filepath.Dir(dir)), "Library", "Logs", s.Name+".log")
	plist, err := service.Plist(s, logFile)
	if err != nil {
		return fail(ExitUsage, err)
	}
	if f.print {
		_, err := g.stdout.Write(plist)
		return err
	}
	path := filepath.Join(dir, s.Label()+".plist")
	var escaped strings.Builder
	xml.EscapeText(&escaped, []byte(s.Config))
	if old, err := os.ReadFile(path); err == nil && !f.force && !bytes.Contains(old, []byte("<string>"+escaped.String()+"</string>")) {
		return fail(ExitUsage, fmt.Errorf("%s exists for another configuration; choose another --name, or pass --force to replace it", path))
	}
	if _, err := service.WriteUnit(path, plist, s.Config, true); err != nil {
		return fail(ExitFailure, err)
	}
	fmt.Fprintf(g.stdout, "wrote %s (launchd support is untested)\nload it with:\n  launchctl bootstrap gui/$(id -u) %q\nlog: %s\n", path, path, logFile)
	return nil
}

func serviceUninstall(ctx context.Context, g *globals, f *serviceFlags) error {
	name, cfgFile, err := serviceName(g, f)
	if err != nil {
		return err
	}
	if f.launchd {
		dir, err := service.LaunchAgentDir()
		if err != nil {
			return fail(ExitFailure, err)
		}
		path := filepath.Join(dir, (service.Spec{Name: name}).Label()+".plist")
		fmt.Fprintf(g.stdout, "unload it first if it is loaded:\n  launchctl bootout gui/$(id -u)/%s\n", (service.Spec{Name: name}).Label())
		return removeUnit(g, path)
	}
	unitName := name + ".service"
	dir, err := service.UnitDir()
	if err != nil {
		return fail(ExitFailure, err)
	}
	path := filepath.Join(dir, unitName)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(g.stdout, "%s is not installed (no %s)\n", unitName, path)
		return nil
	}
	if err != nil {
		return fail(ExitFailure, err)
	}
	if other := service.UnitConfig(b); other != cfgFile && !f.force {
		return fail(ExitUsage, fmt.Errorf("%s runs %s, not %s; pass --force to remove it anyway", path, orUnknown(other), cfgFile))
	}
	sc := service.Systemctl{}
	reachable := sc.Reachable(ctx) == nil
	if reachable {
		if _, err := sc.Run(ctx, "disable", "--now", unitName); err != nil {
			return fail(ExitFailure, err)
		}
	}
	if err := removeUnit(g, path); err != nil {
		return err
	}
	if reachable {
		if _, err := sc.Run(ctx, "daemon-reload"); err != nil {
			return fail(ExitFailure, err)
		}
		fmt.Fprintf(g.stdout, "stopped and disabled %s\n", unitName)
	} else {
		fmt.Fprintf(g.stdout, "no systemd user manager is reachable; if %s still runs somewhere, stop it there with `systemctl --user disable --now %s`\n", unitName, unitName)
	}
	return nil
}

func removeUnit(g *globals, path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fail(ExitFailure, err)
	}
	fmt.Fprintf(g.stdout, "removed %s\n", path)
	return nil
}

func orUnknown(s string) string {
	if s == "" {
		return "an unknown configuration"
	}
	return s
}

// serviceName returns the service's name and the absolute configuration file,
// without requiring the configuration to be valid (an uninstall must work
// with a broken one).
func serviceName(g *globals, f *serviceFlags) (string, string, error) {
	path, err := configPath(g, nil)
	if err != nil {
		if f.name == "" {
			return "", "", fail(ExitUsage, fmt.Errorf("%w; or name the service with --name", err))
		}
		return f.name, "", nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", "", fail(ExitUsage, err)
	}
	if f.name != "" {
		return f.name, abs, nil
	}
	return service.NameFor(filepath.Dir(abs)), abs, nil
}

func serviceStatus(ctx context.Context, g *globals, f *serviceFlags) error {
	name, _, err := serviceName(g, f)
	if err != nil {
		return err
	}
	problems := false
	if f.launchd {
		fmt.Fprintf(g.stdout, "launchd: `launchctl print gui/$(id -u)/%s` shows the agent (untested)\n", (service.Spec{Name: name}).Label())
	} else {
		unitName := name + ".service"
		dir, err := service.UnitDir()
		if err != nil {
			return fail(ExitFailure, err)
		}
		path := filepath.Join(dir, unitName)
		b, err := os.ReadFile(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			fmt.Fprintf(g.stdout, "%s: not installed (`scribe service install` installs it)\n", unitName)
			problems = true
		case err != nil:
			return fail(ExitFailure, err)
		default:
			fmt.Fprintf(g.stdout, "%s: %s, runs %s\n", unitName, path, orUnknown(service.UnitConfig(b)))
			sc := service.Systemctl{}
			if err := sc.Reachable(ctx); err != nil {
				fmt.Fprintf(g.stdout, "service manager: %v\n", err)
				problems = true
			} else {
				out, err := sc.Run(ctx, "status", "--no-pager", "--lines=10", unitName)
				fmt.Fprintln(g.stdout, out)
				if err != nil { // systemctl status exits non-zero unless the unit is active
					problems = true
				}
			}
		}
	}
	fmt.Fprintln(g.stdout, "daemon:")
	c, _, err := newClient(g)
	if err == nil {
		var raw json.RawMessage
		if err = c.do(ctx, "GET", "/api/v1/status", &raw); err == nil {
			var st daemon.Status
			if err = json.Unmarshal(raw, &st); err == nil {
				printStatus(g, st)
			}
		}
	}
	if err != nil {
		fmt.Fprintf(g.stdout, "  %v\n", err)
		problems = true
	}
	if problems {
		return silent(ExitProblems)
	}
	return nil
}
