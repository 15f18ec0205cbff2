package service

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"text/template"
	"time"
	"unicode"
)

// Spec describes one installed daemon: which binary runs which configuration,
// and what it may write.
type Spec struct {
	// Name is the service's name without suffix (e.g. "scribe-notes"): the
	// systemd unit is Name+".service", the launchd label "md.scribe."+Name.
	Name string
	// Binary is the absolute path of the scribe executable.
	Binary string
	// Config is the absolute path of the configuration file.
	Config string
	// WorkDir is the directory the daemon runs in (the configuration's).
	WorkDir string
	// ReadWrite are the absolute paths the daemon may write: the roots and
	// the state directory, plus whatever the user adds. Everything else is
	// read-only to it (ProtectSystem=strict).
	ReadWrite []string
	// Watchdog is how long systemd waits for a watchdog ping before it
	// restarts the daemon (default DefaultWatchdog).
	Watchdog time.Duration
	// StopTimeout bounds a stop before systemd kills the daemon (default
	// DefaultStopTimeout, which exceeds `scribe watch`'s default grace).
	StopTimeout time.Duration
	// NoSandbox leaves out the options that need a mount namespace
	// (ProtectSystem, ReadWritePaths, PrivateTmp, PrivateDevices,
	// ProtectKernel*, ProtectControlGroups, ProtectHostname), for machines where a user manager cannot make
	// one (unprivileged user namespaces disabled). The seccomp-based
	// hardening stays.
	NoSandbox bool
}

// Defaults of Spec.
const (
	DefaultWatchdog    = 30 * time.Second
	DefaultStopTimeout = 30 * time.Second
)

// nameRE is what a service name may be: it becomes a unit name and a launchd
// label, and appears in commands users type.
var nameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$`)

// NameFor derives a service name from the configuration's directory: "scribe-"
// and the directory's base name, lowercased, with anything but letters,
// digits and '-' replaced by '-'.
func NameFor(configDir string) string {
	base := strings.ToLower(filepath.Base(configDir))
	var b strings.Builder
	dash := false
	for _, r := range base {
		ok := r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r))
		switch {
		case ok:
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.TrimRight(b.String(), "-")
	if len(s) > 40 {
		s = strings.TrimRight(s[:40], "-")
	}
	if s == "" {
		s = "default"
	}
	return "scribe-" + s
}

// Validate reports what is wrong with s, if anything.
func (s Spec) Validate() error {
	var errs []error
	if !nameRE.MatchString(s.Name) {
		errs = append(errs, fmt.Errorf("service name %q: use letters, digits, '.', '_' and '-' (at most 64), starting with a letter or digit", s.Name))
	}
	check := func(what, p string) {
		switch {
		case !filepath.IsAbs(p):
			errs = append(errs, fmt.Errorf("%s %q is not an absolute path", what, p))
		case strings.ContainsFunc(p, unicode.IsControl):
			errs = append(errs, fmt.Errorf("%s %q contains a control character (a newline, a tab...), which a unit file cannot hold; rename it", what, p))
		}
	}
	check("binary", s.Binary)
	if strings.ContainsAny(s.Binary, `"'\`) {
		// systemd refuses such an executable path ("contains special characters").
		errs = append(errs, fmt.Errorf("binary %q: systemd refuses an executable path with a quote or a backslash; install scribe elsewhere (go install puts it in $(go env GOPATH)/bin)", s.Binary))
	}
	check("configuration", s.Config)
	check("working directory", s.WorkDir)
	for _, p := range s.ReadWrite {
		check("read-write path", p)
	}
	return errors.Join(errs...)
}

func (s Spec) withDefaults() Spec {
	if s.Watchdog <= 0 {
		s.Watchdog = DefaultWatchdog
	}
	if s.StopTimeout <= 0 {
		s.StopTimeout = DefaultStopTimeout
	}
	return s
}

// UnitName is the systemd unit's file name.
func (s Spec) UnitName() string { return s.Name + ".service" }

// ConfigKey is the [Unit] key that records which configuration a unit runs,
// so that an install never silently replaces the unit of another vault
// (systemd ignores keys that start with X-).
const ConfigKey = "X-Scribe-Config"

var unitTmpl = template.Must(template.New("unit").Funcs(template.FuncMap{
	"arg":  func(s string) string { return quote(s, true) },
	"path": func(s string) string { return quote(s, false) },
	"raw":  escapeSpecifiers,
	"sec":  func(d time.Duration) string { return fmt.Sprintf("%ds", int((d+time.Second-1)/time.Second)) },
}).Parse(`# Written by ` + "`scribe service install`" + `; ` + "`scribe service uninstall`" + ` removes it.
# To change a setting, prefer ` + "`systemctl --user edit {{.UnitName}}`" + `: a drop-in
# survives a reinstall.
[Unit]
Description=Scribe: rules for the files of {{raw .Config}}
Documentation=man:scribe-watch(1)
{{.ConfigKey}}={{raw .Config}}
# Restarted every RestartSec for as long as it fails, never given up: a
# root that a git checkout took away, or an invalid configuration, stops
# the daemon until it is back or fixed, and then it starts by itself.
StartLimitIntervalSec=0

[Service]
Type=notify
NotifyAccess=main
ExecStart={{path .Binary}} watch -c {{arg .Config}}
ExecReload=/bin/kill -HUP $MAINPID
WorkingDirectory={{raw .WorkDir}}
Restart=on-failure
RestartSec=2s
WatchdogSec={{sec .Watchdog}}
TimeoutStopSec={{sec .StopTimeout}}
# Every process of the service, also an exec action's grandchild that left
# its process group with setsid, is stopped with it.
KillMode=control-group

# Hardening. MemoryDenyWriteExecute is left out: commands run by exec actions
# inherit it, and JIT runtimes (node, wazero's compiler) cannot run under it.
NoNewPrivileges=yes
{{- if not .NoSandbox}}
ProtectSystem=strict
ReadWritePaths={{range $i, $p := .ReadWrite}}{{if $i}} {{end}}{{path $p}}{{end}}
PrivateTmp=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
ProtectKernelLogs=yes
ProtectHostname=yes
PrivateDevices=yes
{{- end}}
RestrictSUIDSGID=yes
RestrictRealtime=yes
RestrictNamespaces=yes
LockPersonality=yes
SystemCallArchitectures=native
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
SystemCallFilter=@system-service
SystemCallErrorNumber=EPERM

[Install]
WantedBy=default.target
`))

// Unit renders the systemd user unit of s.
func Unit(s Spec) ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	s = s.withDefaults()
	var b bytes.Buffer
	err := unitTmpl.Execute(&b, struct {
		Spec
		ConfigKey string
	}{s, ConfigKey})
	return b.Bytes(), err
}

// UnitConfig returns the configuration a unit file written by Unit runs, ""
// when it has none (not one of ours).
func UnitConfig(unit []byte) string {
	for line := range strings.Lines(string(unit)) {
		if v, ok := strings.CutPrefix(strings.TrimRight(line, "\r\n"), ConfigKey+"="); ok {
			return strings.ReplaceAll(v, "%%", "%")
		}
	}
	return ""
}

// quote returns p as one double-quoted word of a unit file: backslashes and
// quotes escaped, and specifiers (%) escaped; for an argument of a command
// line, also environment variable references ($). The executable itself is
// never expanded, so its $ stays as it is.
func quote(p string, command bool) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	p = escapeSpecifiers(r.Replace(p))
	if command {
		p = strings.ReplaceAll(p, "$", "$$")
	}
	return `"` + p + `"`
}

// escapeSpecifiers escapes systemd's specifier character.
func escapeSpecifiers(s string) string { return strings.ReplaceAll(s, "%", "%%") }
