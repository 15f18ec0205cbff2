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
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/daemon"
	"github.com/scribe-md/scribe/internal/httpapi"
	"github.com/scribe-md/scribe/internal/journal"
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
	if cfg.HTTP.Listen == "" {
		return nil, cfg, fmt.Errorf("%w: http.listen is empty in %s, so the daemon serves no API", errUnreachable, cfg.File)
	}
	// One request per command: no idle connection outlives it.
	tr := &http.Transport{DisableKeepAlives: true}
	c := &client{where: cfg.HTTP.Listen, http: &http.Client{Transport: tr, Timeout: 10 * time.Second}, tokenPath: cfg.TokenPath()}
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
	return c, cfg, nil
}

func (c *client) do(ctx context.Context, method, path string, out any) error {
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
	status := &cobra.Command{
		Use:   "status",
		Short: "Show a running daemon's state: roots, rules, queue, breakers, dead letters, pause",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(g); err != nil {
				return err
			}
			c, _, err := newClient(g)
			if err != nil {
				return unreachable(err)
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
	var retry uint64
	dl := &cobra.Command{
		Use: "retry-dead-letter ID", Short: "Put a dead letter (see `scribe status`) back on the queue", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil {
				return fail(ExitUsage, fmt.Errorf("ID must be a number, not %q", args[0]))
			}
			retry = id
			return postSimple(cmd, g, "/api/v1/deadletters/"+strconv.FormatUint(retry, 10)+"/retry", "requeued dead letter "+args[0])
		},
	}
	return []*cobra.Command{status, pause, resume, dl, newHistoryCmd(g), newUndoCmd(g)}
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
		line := fmt.Sprintf("%d documents, %d watches, %d rescans, %d overflows", r.Documents, r.Watches, r.Rescans, r.Overflows)
		if r.Degraded != "" {
			line += "; DEGRADED: " + r.Degraded
		}
		fmt.Fprintf(w, "root %s:\t%s\n", r.Dir, line)
	}
	for _, r := range st.Rules {
		br := ""
		if r.Breaker != "" {
			br = "breaker " + r.Breaker
		}
		fmt.Fprintf(w, "rule %s:\t%s\n", r.ID, br)
	}
	w.Flush()
	if len(st.DeadLetters) > 0 {
		fmt.Fprintf(g.stdout, "dead letters (retry with `scribe retry-dead-letter ID`):\n")
		for _, d := range st.DeadLetters {
			fmt.Fprintf(g.stdout, "  %d  %s  %s  after %d deliveries: %s\n", d.ID, d.Time.Format(time.RFC3339), d.Event.Path, d.Deliveries, d.Error)
		}
	}
	for _, q := range st.Quarantined {
		fmt.Fprintf(g.stdout, "quarantined (a rule kept rewriting its own output; edit the file to release it): %s\n", q)
	}
	for k, v := range st.Errors {
		fmt.Fprintf(g.stdout, "error (%s): %s\n", k, v)
	}
}

func journalPath(cfg *config.Config) string { return filepath.Join(cfg.StatePath(), "journal.db") }

func newHistoryCmd(g *globals) *cobra.Command {
	var limit int
	cmd := &cobra.Command{
		Use:   "history [FILE]",
		Short: "List the engine's own writes (rule, time, before/after hash), newest first",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(g); err != nil {
				return err
			}
			file := ""
			if len(args) == 1 {
				abs, err := filepath.Abs(args[0])
				if err != nil {
					return fail(ExitUsage, err)
				}
				file = abs
			}
			var entries []journal.Entry
			c, cfg, err := newClient(g)
			if cfg == nil {
				return err
			}
			if err == nil {
				q := url.Values{"limit": {strconv.Itoa(limit)}, "path": {file}}
				err = c.do(cmd.Context(), "GET", "/api/v1/history?"+q.Encode(), &entries)
			}
			if errors.Is(err, errUnreachable) {
				// No daemon: read the journal directly.
				entries, err = localHistory(cfg, file, limit)
			}
			if err != nil {
				return fail(ExitFailure, err)
			}
			if g.format == "json" {
				if entries == nil {
					entries = []journal.Entry{} // [] rather than null
				}
				enc := json.NewEncoder(g.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(entries)
			}
			d := newDisplay()
			w := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tTIME\tRULE\tFILE\tBEFORE\tAFTER")
			for _, e := range entries {
				fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.Time.Local().Format("2006-01-02 15:04:05"), e.Rule, d.path(e.Root, e.Path), short(e.BeforeHash), short(e.AfterHash))
			}
			return w.Flush()
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 50, "how many writes to list")
	addFormatFlag(cmd, g)
	return cmd
}

func short(h string) string {
	if h == "" {
		return "(new)"
	}
	return h[:min(12, len(h))]
}

func localHistory(cfg *config.Config, file string, limit int) ([]journal.Entry, error) {
	j, err := journal.OpenReadOnly(journalPath(cfg))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	defer j.Close()
	root, rel := "", ""
	if file != "" {
		root, rel = locateInRoots(cfg, file)
	}
	return j.List(root, rel, limit)
}

// locateInRoots maps an absolute file path to a configured root and a path
// relative to it.
func locateInRoots(cfg *config.Config, file string) (string, string) {
	for _, r := range cfg.Roots {
		dir := r
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(cfg.Dir, dir)
		}
		if rel, err := filepath.Rel(dir, file); err == nil && !strings.HasPrefix(rel, "..") {
			return dir, filepath.ToSlash(rel)
		}
	}
	return "", file
}

func newUndoCmd(g *globals) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "undo ID",
		Short: "Restore the content a write replaced (a safe compare-and-swap write)",
		Long:  "Restore the content that write ID (see `scribe history`) replaced. The undo is\nrefused if the file changed since that write, unless --force. With a daemon\nrunning the undo goes through it, so its rules do not immediately redo the write.",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil {
				return fail(ExitUsage, fmt.Errorf("ID must be a number from `scribe history`, not %q", args[0]))
			}
			c, cfg, err := newClient(g)
			if cfg == nil {
				return err
			}
			var e journal.Entry
			if err == nil {
				q := ""
				if force {
					q = "?force=1"
				}
				err = c.do(cmd.Context(), "POST", "/api/v1/undo/"+args[0]+q, &e)
			}
			if errors.Is(err, errUnreachable) {
				e, err = localUndo(cfg, id, force)
			}
			if err != nil {
				return fail(ExitFailure, err)
			}
			fmt.Fprintf(g.stdout, "restored %s as it was before write %d (recorded as write %d)\n", newDisplay().path(e.Root, e.Path), id, e.ID)
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "restore even if the file changed since the write")
	return cmd
}

func localUndo(cfg *config.Config, id uint64, force bool) (journal.Entry, error) {
	j, err := journal.Open(journalPath(cfg), journal.Retention{})
	if err != nil {
		return journal.Entry{}, err
	}
	defer j.Close()
	e, _, err := j.Get(id)
	if err != nil {
		return journal.Entry{}, err
	}
	root, err := os.OpenRoot(e.Root)
	if err != nil {
		return journal.Entry{}, err
	}
	defer root.Close()
	return j.Undo(root, id, force)
}
