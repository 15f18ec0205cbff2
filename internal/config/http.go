package config

import (
	"fmt"
	"net"
	"path/filepath"
	"strings"
)

// What a configuration implies for the HTTP API, in one place for the daemon
// that serves it and the CLI that talks to it.

// Abs returns p made absolute against Dir ("" stays "").
func (c *Config) Abs(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.Dir, p)
}

// StatePath returns the state directory, absolute.
func (c *Config) StatePath() string { return c.Abs(c.Engine.StateDir) }

// DefaultTokenFile is the name of the API token file in the state directory.
const DefaultTokenFile = "api-token"

// TokenPath returns the file holding the API token, absolute.
func (c *Config) TokenPath() string {
	if c.HTTP.TokenFile != "" {
		return c.Abs(c.HTTP.TokenFile)
	}
	return filepath.Join(c.StatePath(), DefaultTokenFile)
}

// SocketPath returns the absolute path of the unix socket http.listen names
// ("unix:PATH"), or "" for a TCP address.
func (c *Config) SocketPath() string {
	p, ok := strings.CutPrefix(c.HTTP.Listen, "unix:")
	if !ok {
		return ""
	}
	return c.Abs(p)
}

// Exposed reports whether a TCP listen address, as written, can be reached
// from other machines: a wildcard host ("", 0.0.0.0, ::) or an IP address
// that is not loopback. A host name is not judged here (it may resolve to
// anything); the daemon judges the address it binds.
func Exposed(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && !ip.IsLoopback()
}

// ExposedProblem returns, for an HTTP address other machines can reach, the
// message and hint refusing it, or "" when the configuration allows it: it
// does once it names a token file or a TLS certificate, the user's sign that
// remote clients are intended and will carry the token.
func (c *Config) ExposedProblem(addr string) (msg, hint string) {
	if c.HTTP.TokenFile != "" || c.HTTP.TLS.Cert != "" {
		return "", ""
	}
	return fmt.Sprintf("http.listen %s can be reached from other machines, which could then read the status and history of this vault", addr),
		`listen on 127.0.0.1 (the default) or a unix socket ("unix:PATH"); to serve other machines on purpose, set http.token_file (their requests need that token) and http.tls`
}
