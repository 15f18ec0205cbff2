package config

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestExposed(t *testing.T) {
	for addr, want := range map[string]bool{
		":9469": true, "0.0.0.0:9469": true, "[::]:9469": true, "192.0.2.1:80": true, "[2001:db8::1]:80": true,
		"127.0.0.1:9469": false, "127.1.2.3:0": false, "[::1]:9469": false, "localhost:9469": false,
		// Names are judged by the daemon on the address it binds.
		"example.org:9469": false,
	} {
		if got := Exposed(addr); got != want {
			t.Errorf("Exposed(%q) = %v, want %v", addr, got, want)
		}
	}
}

// An address other machines can reach is allowed once the configuration
// names a token file or a certificate; the derived paths are absolute.
func TestHTTPSection(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "scribe.yaml")
	for _, tc := range []struct {
		yaml, err     string
		token, socket string
	}{
		{yaml: "http: {listen: \"127.0.0.1:9469\"}", token: filepath.Join(dir, ".scribe", "api-token")},
		{yaml: "http: {listen: \"unix:run/api.sock\"}", token: filepath.Join(dir, ".scribe", "api-token"), socket: filepath.Join(dir, "run", "api.sock")},
		{yaml: "http: {listen: \"unix:/run/scribe.sock\", token_file: /etc/scribe/token}", token: "/etc/scribe/token", socket: "/run/scribe.sock"},
		{yaml: "http: {listen: \":9469\", token_file: secret/token}", token: filepath.Join(dir, "secret", "token")},
		{yaml: "http: {listen: \"0.0.0.0:9469\", tls: {cert: c.pem, key: k.pem}}", token: filepath.Join(dir, ".scribe", "api-token")},
		{yaml: "engine: {state_dir: /var/lib/scribe}\nhttp: {listen: \"[::]:9469\"}", err: "scribe.yaml:2:16: http.listen: http.listen [::]:9469 can be reached from other machines"},
		{yaml: "http: {listen: \"unix:" + strings.Repeat("x", 120) + "\"}", err: "Linux allows at most 107"},
	} {
		c, err := LoadBytes(name, []byte(tc.yaml))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want one containing %q", tc.yaml, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.yaml, err)
			continue
		}
		if c.TokenPath() != tc.token || c.SocketPath() != tc.socket {
			t.Errorf("%s: token %s, socket %q; want %s, %q", tc.yaml, c.TokenPath(), c.SocketPath(), tc.token, tc.socket)
		}
	}
}
