package daemon

import (
	"context"

	"net"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/engine"
	"github.com/scribe-md/scribe/internal/findings"
)

// What the daemon tells its user: a line at start, when ready, reloaded,
// paused and resumed; each new finding once (per file version) with its
// place; and spans of each change when tracing is on.

// findingsFile, in the state dir, keeps the findings across restarts.
const findingsFile = "findings.gob"

// logFindingsPerFile bounds the finding lines logged for one file version;
// the rest are summed up in one line.
const logFindingsPerFile = 20

// logStart says what the daemon is about to watch and where to look.
func (d *Daemon) logStart() {
	roots := make([]string, 0, len(d.cfg.Roots))
	for _, r := range d.cfg.Roots {
		if !filepath.IsAbs(r) {
			r = filepath.Join(d.cfg.Dir, r)
		}
		roots = append(roots, r)
	}
	attrs := []any{"roots", strings.Join(roots, ", "), "rules", len(d.currentRules().Rules), "dashboard", orOff(d.dashURL)}
	if d.cfg.File != "" {
		attrs = append(attrs, "config", d.cfg.File)
	}
	if t := d.opts.Tracing; t != nil && t.Enabled && t.Endpoint != "" {
		attrs = append(attrs, "traces", t.Protocol+" "+t.Endpoint)
	}
	d.log.Info("starting", attrs...)
}

// dashboardURL is where a browser finds the daemon's pages: the address it
// listens on, with 127.0.0.1 (or ::1) for a wildcard host and the
// configured host name kept (the API refuses other Host headers).
func dashboardURL(cfg *config.Config, bound string) string {
	if sock := cfg.SocketPath(); sock != "" {
		return "unix:" + sock
	}
	host, _, _ := net.SplitHostPort(cfg.HTTP.Listen)
	bhost, port, err := net.SplitHostPort(bound)
	if err != nil {
		return ""
	}
	switch {
	case host == "" || host == "0.0.0.0":
		host = "127.0.0.1"
	case host == "::":
		host = "::1"
	case net.ParseIP(host) != nil:
		host = bhost
	}
	scheme := "http"
	if cfg.HTTP.TLS.Cert != "" {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, port) + "/"
}

func orOff(s string) string {
	if s == "" {
		return "off (http.listen is empty)"
	}
	return s
}

// logStopped logs a change of what stops the workers (a pause, a git
// operation) once, at info level, with the reason.
func (d *Daemon) logStopped() {
	now := ""
	if p, why := d.paused(); p {
		now = "paused by " + strings.Join(why, ", ")
	} else if busy, why := d.gitBusy(); busy {
		now = "writes held: " + why
	}
	prev := d.lastStop.Swap(now).(string)
	switch {
	case prev == now:
	case strings.HasPrefix(now, "paused"):
		d.log.Info("paused: changes are queued until resumed", "by", now[len("paused by "):], "resume", "scribe resume, or remove the .scribe-pause file")
	case strings.HasPrefix(prev, "paused"):
		d.log.Info("resumed: processing the queued changes")
	case now != "":
		// Git operations come and go with every commit: not news.
		d.log.Debug("writes held until the git operation ends", "why", now[len("writes held: "):])
	default:
		d.log.Debug("git operation over: writes go on")
	}
}

// recordFindings makes res's findings the current ones of its file, logs
// those that are new (once per file version: a reprocess that finds the
// same ones logs nothing) and says when some are gone.
func (d *Daemon) recordFindings(ctx context.Context, rs *rootState, res *engine.Result) {
	added, gone := d.findings.Set(rs.root.Dir, res.Path, res.Findings)
	for i, f := range added {
		if i == logFindingsPerFile {
			d.log.InfoContext(ctx, "more findings", "path", res.Path, "more", len(res.Findings)-i, "list", "scribe status --findings --path "+res.Path)
			break
		}
		at := f.Path
		if f.Line > 0 {
			at += ":" + strconv.Itoa(f.Line)
			if f.Column > 0 {
				at += ":" + strconv.Itoa(f.Column)
			}
		}
		attrs := []any{"at", at, "rule", f.Rule, "action", f.Action, "severity", string(f.Severity), "message", f.Message, "path", res.Path}
		if f.Suggestion != "" {
			attrs = append(attrs, "suggestion", f.Suggestion)
		}
		d.log.InfoContext(ctx, "finding", attrs...)
	}
	if gone > 0 {
		d.log.InfoContext(ctx, "findings resolved", "path", res.Path, "resolved", gone, "remaining", len(res.Findings))
	}
}

// forgetFindings drops the findings of a file that is gone.
func (d *Daemon) forgetFindings(rs *rootState, rel string) {
	if n := d.findings.Remove(rs.root.Dir, rel); n > 0 {
		d.log.Info("findings resolved: the file is gone", "path", rel, "resolved", n)
	}
}

func (d *Daemon) saveFindings() {
	if err := d.findings.Save(filepath.Join(d.stateDir(), findingsFile)); err != nil {
		d.log.Warn("save findings", "err", err)
	}
}

// findingsQuery is the findings API's query.
func (d *Daemon) findingsPage(q findings.Query) findings.Page {
	if q.Root == "" && q.Path != "" && filepath.IsAbs(q.Path) {
		dir := strings.HasSuffix(q.Path, "/")
		q.Root, q.Path = d.locate(q.Path)
		if dir && q.Path != "" && !strings.HasSuffix(q.Path, "/") {
			q.Path += "/"
		}
	}
	return d.findings.Query(q)
}

// fileSpan starts a span about one file when tracing is on: kind, the
// start time (zero: now), the file, why it is looked at and the delivery
// (0 before the bus). Off, it returns ctx and a no-op span, allocating
// nothing: the attributes are made only when traced.
func (d *Daemon) fileSpan(ctx context.Context, name string, kind trace.SpanKind, start time.Time, root, path, reason string, delivery int) (context.Context, trace.Span) {
	if d.tracer == nil {
		return ctx, noSpan
	}
	attrs := []attribute.KeyValue{attribute.String("scribe.root", root), attribute.String("scribe.path", path), attribute.String("scribe.reason", reason)}
	if delivery > 0 {
		attrs = append(attrs, attribute.Int("scribe.delivery", delivery))
	}
	return d.tracer.Start(ctx, name, trace.WithSpanKind(kind), trace.WithTimestamp(start), trace.WithAttributes(attrs...))
}

// noSpan is the span of a context with none: it records nothing.
var noSpan = trace.SpanFromContext(context.Background())

// endSpan ends span, marking it failed when err is not nil.
func endSpan(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}
