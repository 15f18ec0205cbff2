package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// UnitDir is where systemd looks for a user's own units:
// $XDG_CONFIG_HOME/systemd/user, by default ~/.config/systemd/user.
func UnitDir() (string, error) {
	if x := os.Getenv("XDG_CONFIG_HOME"); filepath.IsAbs(x) {
		return filepath.Join(x, "systemd", "user"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the systemd user unit directory: %w (set HOME or XDG_CONFIG_HOME)", err)
	}
	return filepath.Join(home, ".config", "systemd", "user"), nil
}

// LaunchAgentDir is where launchd looks for a user's agents.
func LaunchAgentDir() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find ~/Library/LaunchAgents: %w", err)
	}
	return filepath.Join(home, "Library", "LaunchAgents"), nil
}

// ErrOtherConfig means a service of that name exists for another
// configuration.
var ErrOtherConfig = errors.New("the service exists for another configuration")

// WriteUnit writes content to path atomically (temp file, fsync, rename),
// creating the directory. It reports whether the file changed. A unit
// written for another configuration (see UnitConfig) is replaced only with
// force, so that two vaults never share a service name by accident.
func WriteUnit(path string, content []byte, config string, force bool) (changed bool, err error) {
	old, err := os.ReadFile(path)
	switch {
	case err == nil:
		if bytes.Equal(old, content) {
			return false, nil
		}
		if other := UnitConfig(old); !force && other != config {
			if other == "" {
				other = "a configuration this scribe cannot tell"
			}
			return false, fmt.Errorf("%s: %w (%s); choose another --name, or pass --force to replace it", path, ErrOtherConfig, other)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return false, err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".scribe-tmp-*")
	if err != nil {
		return false, err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if _, err := f.Write(content); err != nil {
		f.Close()
		return false, err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return false, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return false, err
	}
	if err := f.Close(); err != nil {
		return false, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return false, err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return true, nil
}

// Systemctl runs `systemctl --user`.
type Systemctl struct {
	// Path is the systemctl executable ("": looked up on PATH).
	Path string
	// Timeout bounds one call (default 90s, systemd's own start timeout,
	// since `start` waits for the daemon's READY=1).
	Timeout time.Duration
}

// ErrNoManager means no systemd user manager answers: systemctl is missing,
// or there is no user session bus (a container, an ssh session without
// lingering, a machine without systemd).
var ErrNoManager = errors.New("no systemd user manager is reachable")

// Run runs systemctl --user with args and returns its combined output.
func (s Systemctl) Run(ctx context.Context, args ...string) (string, error) {
	p := s.Path
	if p == "" {
		var err error
		if p, err = exec.LookPath("systemctl"); err != nil {
			return "", fmt.Errorf("%w: systemctl not found", ErrNoManager)
		}
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 90 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, p, append([]string{"--user"}, args...)...)
	cmd.WaitDelay = time.Second
	out, err := cmd.CombinedOutput()
	text := strings.TrimSpace(string(out))
	if err != nil {
		if text == "" {
			text = err.Error()
		}
		return text, fmt.Errorf("systemctl --user %s: %s", strings.Join(args, " "), text)
	}
	return text, nil
}

// Reachable reports, as ErrNoManager, when no user manager answers.
func (s Systemctl) Reachable(ctx context.Context) error {
	if _, err := s.Run(ctx, "show", "--property=Version"); err != nil {
		if errors.Is(err, ErrNoManager) {
			return err
		}
		return fmt.Errorf("%w: %v", ErrNoManager, err)
	}
	return nil
}

// Lingering reports whether user's services keep running after their last
// session ends (loginctl enable-linger), and false when that cannot be told.
func Lingering(user string) bool {
	_, err := os.Stat(filepath.Join("/var/lib/systemd/linger", user))
	return err == nil
}

// ErrNoAnalyzer means systemd-analyze is not installed.
var ErrNoAnalyzer = errors.New("systemd-analyze not found (it comes with systemd)")

// Verify has systemd check the unit file at path as the user manager would
// load it (systemd-analyze verify --user): syntax, unknown keys, values, and
// that ExecStart names an executable. Any output is a finding, since systemd
// reports some of them (an unknown key) without failing. It needs no
// running manager.
func Verify(ctx context.Context, path string) error {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		return ErrNoAnalyzer
	}
	// --user needs a runtime directory, even with no manager running.
	rt, err := os.MkdirTemp("", "scribe-verify-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(rt)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, analyze, "verify", "--user", "--man=no", "--generators=no", path)
	cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+rt, "SYSTEMD_LOG_COLOR=0")
	cmd.WaitDelay = time.Second
	out, err := cmd.CombinedOutput()
	text := strings.TrimSpace(string(out))
	switch {
	case err != nil && text == "":
		return fmt.Errorf("systemd-analyze verify %s: %w", path, err)
	case text != "":
		return fmt.Errorf("systemd-analyze verify %s: %s", path, text)
	}
	return nil
}
