package daemon

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/scribe-md/scribe/internal/httpapi"
)

// listen opens http.listen (a TCP address or a unix socket) and returns the
// listener with the guard its requests must pass (doc/SECURITY.md). It
// writes the API token on first use.
func (d *Daemon) listen() (net.Listener, *httpapi.Guard, error) {
	cfg := d.cfg
	tokenPath := cfg.TokenPath()
	tok, created, err := httpapi.LoadOrCreateToken(tokenPath)
	if err != nil {
		return nil, nil, fmt.Errorf("http: %w", err)
	}
	if created {
		d.log.Info("wrote a new API token; scribe commands read it from there", "file", tokenPath)
	}
	g := &httpapi.Guard{
		// The place for more credentials: a dashboard's session cookie
		// would be a second Authenticator here.
		Auth:      []httpapi.Authenticator{httpapi.BearerToken(tok)},
		TokenHint: "scribe commands send the one in http.token_file, or in api-token in the state directory",
	}

	if sock := cfg.SocketPath(); sock != "" {
		ln, err := listenUnix(sock)
		if err != nil {
			return nil, nil, fmt.Errorf("http.listen %s: %w", cfg.HTTP.Listen, err)
		}
		return ln, g, nil
	}

	ln, err := net.Listen("tcp", cfg.HTTP.Listen)
	if err != nil {
		return nil, nil, fmt.Errorf("http.listen %s: %w (another scribe running? change http.listen or set it to \"\" to disable HTTP)", cfg.HTTP.Listen, err)
	}
	bound := ln.Addr().(*net.TCPAddr)
	if host, _, _ := net.SplitHostPort(cfg.HTTP.Listen); host != "" {
		g.Hosts = []string{host}
	}
	if !bound.IP.IsLoopback() {
		// Judged on the bound address, so a host name that resolves to an
		// outside address is caught too.
		if msg, hint := cfg.ExposedProblem(cfg.HTTP.Listen); msg != "" {
			ln.Close()
			return nil, nil, cfg.Errorf("http.listen", hint, "%s (it is bound to %s)", msg, bound.IP)
		}
		g.PrivateReads = true
		g.AnyIP = bound.IP.IsUnspecified()
		warn := "every request but /healthz and /readyz needs the API token"
		if cfg.HTTP.TLS.Cert == "" {
			warn += "; without http.tls the token crosses the network in clear text"
		}
		d.log.Warn("the HTTP API can be reached from other machines", "listen", cfg.HTTP.Listen, "bound", bound.String(), "tls", cfg.HTTP.TLS.Cert != "", "note", warn)
	}
	if cfg.HTTP.TLS.Cert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.Abs(cfg.HTTP.TLS.Cert), cfg.Abs(cfg.HTTP.TLS.Key))
		if err != nil {
			ln.Close()
			return nil, nil, cfg.Errorf("http.tls", "both files must be PEM: the certificate chain and its private key", "load the TLS certificate: %v", err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	}
	return ln, g, nil
}

// listenUnix listens on a unix socket that only this user may connect to. A
// socket file left by a daemon that died is replaced; one a live daemon
// answers on, or a file that is not a socket, is an error.
func listenUnix(path string) (net.Listener, error) {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&fs.ModeSocket == 0 {
			return nil, fmt.Errorf("%s exists and is not a socket; remove it or choose another path", path)
		}
		c, err := net.DialTimeout("unix", path, time.Second)
		if err == nil {
			c.Close()
			return nil, fmt.Errorf("another process (another scribe?) serves on %s", path)
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			return nil, fmt.Errorf("probe the socket left at %s: %w", path, err)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("remove the socket left by a previous run: %w", err)
		}
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	// Between bind and chmod the socket has the umask's mode; a client that
	// connects then still needs the token to change anything.
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("make the socket private: %w", err)
	}
	return ln, nil
}
