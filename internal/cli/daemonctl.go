package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/daemon"
	"github.com/scribe-md/scribe/internal/escape"
	"github.com/scribe-md/scribe/internal/httpapi"
)

// errUnreachable means no daemon answered on http.listen.
var errUnreachable = errors.New("daemon unreachable")

// client talks to a running daemon's HTTP API, over TCP (HTTPS with
// http.tls) or the unix socket of http.listen, with the API token.
type client struct {
	base      string // http://host:port, https://..., or http://localhost for a socket
	where     string // http.listen, for messages
	http      *http.Client
	token     []byte
	tokenPath string
	tokenErr  error // why the token could not be read
	// cfg is the configuration; the first request checks that the daemon
	// answering watches its roots (checked), and not another
	// configuration's on the same address.
	cfg     *config.Config
	checked bool
}

func newClient(g *globals) (*client, *config.Config, error) {
	path, err := configPath(g, nil)
	if err != nil {
		return nil, nil, fail(ExitUsage, err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		return nil, nil, err
	}
	c, err := clientFor(cfg)
	return c, cfg, err
}

// clientFor returns a client for the daemon of a loaded configuration.
func clientFor(cfg *config.Config) (*client, error) {
	if cfg.HTTP.Listen == "" {
		return nil, fmt.Errorf("%w: http.listen is empty in %s, so the daemon serves no API", errUnreachable, cfg.File)
	}
	// One request per command: no idle connection outlives it.
	tr := &http.Transport{DisableKeepAlives: true}
	c := &client{where: cfg.HTTP.Listen, http: &http.Client{Transport: tr, Timeout: 10 * time.Second}, tokenPath: cfg.TokenPath(), cfg: cfg}
	if sock := cfg.SocketPath(); sock != "" {
		c.base = "http://localhost"
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		}
	} else {
		host, port, _ := net.SplitHostPort(cfg.HTTP.Listen)
		switch host {
		case "", "0.0.0.0":
			host = "127.0.0.1"
		case "::":
			host = "::1"
		}
		scheme := "http"
		if cfg.HTTP.TLS.Cert != "" {
			scheme = "https"
			// The system's roots, and the daemon's own certificate for a
			// self-signed one.
			pool, err := x509.SystemCertPool()
			if err != nil {
				pool = x509.NewCertPool()
			}
			if pem, err := os.ReadFile(cfg.Abs(cfg.HTTP.TLS.Cert)); err == nil {
				pool.AppendCertsFromPEM(pem)
			}
			tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		}
		c.base = scheme + "://" + net.JoinHostPort(host, port)
	}
	c.token, c.tokenErr = httpapi.ReadToken(c.tokenPath)
	return c, nil
}

// do makes one request of the daemon and decodes its JSON answer into out.
// The client's first request is preceded by a look at the daemon's status:
// one that watches none of the configuration's roots is another
// configuration's daemon, reported as errUnreachable (this one's is not
// running), so that nothing is paused, undone or listed on its behalf.
func (c *client) do(ctx context.Context, method, path string, out any) error {
	if !c.checked {
		c.checked = true
		var st daemon.Status
		if err := c.request(ctx, "GET", "/api/v1/status", &st); err != nil {
			return err
		}
		if !st.Serves(c.cfg) {
			var mine []string
			for _, r := range c.cfg.Roots {
				mine = append(mine, config.RootDir(c.cfg.Dir, r))
			}
			return fmt.Errorf("%w: the daemon at %s watches %s, none of this configuration's roots (%s): it is another configuration's; give each its own http.listen (e.g. 127.0.0.1:9470)",
				errUnreachable, c.where, strings.Join(st.RootDirs(), ", "), strings.Join(mine, ", "))
		}
	}
	return c.request(ctx, method, path, out)
}

func (c *client) request(ctx context.Context, method, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, nil)
	if err != nil {
		return err
	}
	if c.token != nil {
		req.Header.Set("Authorization", "Bearer "+string(c.token))
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%w at %s (is `scribe watch` running?): %v", errUnreachable, c.where, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if resp.StatusCode == http.StatusUnauthorized {
		return c.unauthorized()
	}
	if resp.StatusCode >= 300 {
		var e struct{ Error string }
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			return errors.New(e.Error)
		}
		return fmt.Errorf("%s %s: %s", method, path, resp.Status)
	}
	if out == nil {
		return nil
	}
	if raw, ok := out.(*json.RawMessage); ok {
		*raw = append((*raw)[:0], body...)
		return nil
	}
	return json.Unmarshal(body, out)
}

// unauthorized explains a 401: the token could not be read, or is not the
// one the daemon holds.
func (c *client) unauthorized() error {
	if c.tokenErr != nil {
		if errors.Is(c.tokenErr, fs.ErrNotExist) || errors.Is(c.tokenErr, fs.ErrPermission) {
			return fmt.Errorf("the daemon at %s refused the request: it needs the API token, which `scribe watch` keeps in %s, and this command cannot read it (%v); run it as the user that runs `scribe watch`, with the same configuration", c.where, c.tokenPath, c.tokenErr)
		}
		return fmt.Errorf("the daemon at %s refused the request: it needs the API token: %v", c.where, c.tokenErr)
	}
	return fmt.Errorf("the daemon at %s refused the API token in %s; was the file replaced while it ran? Restart `scribe watch`, which reads it at start", c.where, c.tokenPath)
}

// unreachable turns an error talking to the daemon into exit code 3: the
// daemon is unreachable, or it refused the request (an unknown id).
// Configuration errors keep their own code.
func unreachable(err error) error {
	var ce config.Errors
	if errors.As(err, &ce) {
		return err
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return err
	}
	return fail(ExitFailure, err)
}

func daemonCommands(g *globals) []*cobra.Command {
	var fq findingsQuery
	status := &cobra.Command{
		Use:   "status",
		Short: "Show a running daemon's state: roots, rules, queue, breakers, findings, dead letters, pause",
		Long: "Show a running daemon's state: roots, rules, queue, breakers, findings, dead letters, pause.\n\n" +
			"--findings lists the current findings instead, grouped by rule (at most --limit per rule;\n" +
			"--limit 0 lists them all), filtered by --rule, --severity and --path (a file, or a\n" +
			"directory ending in /).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(g); err != nil {
				return err
			}
			c, _, err := newClient(g)
			if err != nil {
				return unreachable(err)
			}
			if fq.on {
				return showFindings(cmd, g, c, fq)
			}
			var raw json.RawMessage
			if err := c.do(cmd.Context(), "GET", "/api/v1/status", &raw); err != nil {
				return unreachable(err)
			}
			if g.format == "json" {
				_, err := g.stdout.Write(raw)
				return err
			}
			var st daemon.Status
			if err := json.Unmarshal(raw, &st); err != nil {
				return err
			}
			printStatus(g, st)
			return nil
		},
	}
	addFormatFlag(status, g)
	addFindingsFlags(status, &fq)
	pause := &cobra.Command{
		Use: "pause", Short: "Pause processing in a running daemon (changes are queued)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return postSimple(cmd, g, "/api/v1/pause", "paused; changes are queued until `scribe resume`")
		},
	}
	resume := &cobra.Command{
		Use: "resume", Short: "Resume processing in a running daemon", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return postSimple(cmd, g, "/api/v1/resume", "resumed") },
	}
	var retryAll bool
	var retryRule string
	dl := &cobra.Command{
		Use:   "retry-dead-letter ID | --all | --rule ID",
		Short: "Put dead letters (see `scribe status`) back on the queue: one, all, or those of a rule",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ways := len(args)
			if retryAll {
				ways++
			}
			if cmd.Flags().Changed("rule") {
				ways++
			}
			if ways != 1 {
				return fail(ExitUsage, errors.New("say which dead letters to retry: an ID, --all, or --rule ID"))
			}
			if len(args) == 1 {
				id, err := strconv.ParseUint(args[0], 10, 64)
				if err != nil {
					return fail(ExitUsage, fmt.Errorf("ID must be a number, not %q", args[0]))
				}
				return postSimple(cmd, g, "/api/v1/deadletters/"+strconv.FormatUint(id, 10)+"/retry", "requeued dead letter "+args[0])
			}
			return retryDeadLetters(cmd, g, retryAll, retryRule)
		},
	}
	dl.Flags().BoolVar(&retryAll, "all", false, "retry every dead letter")
	dl.Flags().StringVar(&retryRule, "rule", "", "retry the dead letters of this rule")
	return []*cobra.Command{status, pause, resume, dl, newHistoryCmd(g), newUndoCmd(g), newDashboardCmd(g)}
}

func postSimple(cmd *cobra.Command, g *globals, path, msg string) error {
	c, _, err := newClient(g)
	if err != nil {
		return unreachable(err)
	}
	if err := c.do(cmd.Context(), "POST", path, nil); err != nil {
		return unreachable(err)
	}
	fmt.Fprintln(g.stdout, msg)
	return nil
}

func printStatus(g *globals, st daemon.Status) {
	w := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	state := "ready"
	if !st.Ready {
		state = "starting or catching up"
	}
	if st.Paused {
		state += ", paused by " + strings.Join(st.PausedBy, ", ")
	}
	if st.Git != "" {
		state += ", writes held (" + st.Git + ")"
	}
	fmt.Fprintf(w, "state:\t%s (up %s)\n", state, st.Uptime)
	fmt.Fprintf(w, "queue:\t%d pending\n", st.Queue.Pending)
	fmt.Fprintf(w, "processed:\t%d (%d written, %d failed)\n", st.Counters["processed"], st.Counters["written"], st.Counters["failed"])
	mem := fmt.Sprintf("%d MiB held", st.Memory.Held>>20)
	switch {
	case st.Memory.Budget == 0:
		mem += " (the budget is set when the daemon first goes idle)"
	case st.Memory.Over:
		mem += fmt.Sprintf(", OVER the budget of %d MiB (engine.memory_budget; not enforced)", st.Memory.Budget>>20)
	default:
		mem += fmt.Sprintf(" of a %d MiB budget", st.Memory.Budget>>20)
	}
	fmt.Fprintf(w, "memory:\t%s\n", mem)
	for _, r := range st.Roots {
		line := strings.Join([]string{
			count(r.Documents, "document"),
			strconv.Itoa(r.Watches) + " " + plural(r.Watches, "watch", "watches"),
			count(int(r.Rescans), "rescan"),
			count(int(r.Overflows), "overflow"),
		}, ", ")
		if r.Degraded != "" {
			line += "; DEGRADED: " + r.Degraded
		}
		fmt.Fprintf(w, "root %s:\t%s\n", escape.Name(r.Dir), escape.Name(line))
	}
	for _, r := range st.Rules {
		var line []string
		if r.Name != "" {
			line = append(line, r.Name)
		}
		line = append(line, fmt.Sprintf("applied to %s, failed on %d", count(int(r.Applied), "file"), r.Failed))
		if r.Breaker != "" {
			line = append(line, "breaker "+r.Breaker)
		}
		fmt.Fprintf(w, "rule %s:\t%s\n", r.ID, escape.Name(strings.Join(line, "; ")))
	}
	for _, p := range st.Plugins {
		line := fmt.Sprintf("%s, %s %s, %s, %s, %d failed, %s", p.State, p.Runtime, p.Version,
			count(p.Instances, "instance"), count(int(p.Calls), "call"), p.Failures, count(int(p.Restarts), "restart"))
		if p.Error != "" {
			line += "; last error: " + p.Error
		}
		fmt.Fprintf(w, "plugin %s:\t%s\n", p.Name, line)
	}
	if r := st.Remote; r != nil {
		fmt.Fprintf(w, "scale-out:\trevision %s, %d jobs queued or running, %d files out, %d sent (%d taken directly), %d duplicate results dropped, %d taken back for want of a worker\n", r.Revision, r.Jobs, r.Waiting, r.Sent, r.Direct, r.Dropped, r.Untaken)
		if len(r.Workers) == 0 {
			fmt.Fprintf(w, "workers:\tnone connected\n")
		}
		for _, wk := range r.Workers {
			line := fmt.Sprintf("%s pid %d, %d/%d jobs running, %d done (%d taken directly), %d failed", wk.Host, wk.PID, wk.InFlight, wk.Capacity, wk.Done, wk.Direct, wk.Failed)
			if wk.Local {
				line += " (the owner's own)"
			}
			if wk.Refused != "" {
				line += "; REFUSED " + wk.Refused
			}
			fmt.Fprintf(w, "worker %s:\t%s\n", escape.Name(wk.ID), escape.Name(line))
		}
	}
	w.Flush()
	printFindingsSummary(g, st.Findings)
	printDeadLetters(g, st)
	for _, q := range st.Quarantined {
		fmt.Fprintf(g.stdout, "quarantined (a rule kept rewriting its own output; edit the file to release it): %s\n", escape.Name(q))
	}
	for k, v := range st.Errors {
		fmt.Fprintf(g.stdout, "error (%s): %s\n", escape.Name(k), escape.Name(v))
	}
}
