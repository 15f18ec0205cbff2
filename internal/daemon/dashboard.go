package daemon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/scribe-md/scribe/internal/dashboard"
	"github.com/scribe-md/scribe/internal/engine"
	"github.com/scribe-md/scribe/internal/httpapi"
	"github.com/scribe-md/scribe/internal/journal"
)

// recordActivity is the hub's tap: it feeds the dashboard's activity chart
// and rule counts, which must not miss events the way a slow subscriber may.
func (d *Daemon) recordActivity(ev Event) {
	switch ev.Type {
	case "processed":
		d.activity.Processed(ev.Result, ev.Rules, ev.FailedRules)
	case "pause", "resume", "dead-letter", "ready":
		d.activity.Changed()
	}
}

// outcome is what processing did to the file as a whole, for the event
// stream: failed, skipped, written or unchanged.
func outcome(res *engine.Result) string {
	switch {
	case res.Failed():
		return "failed"
	case res.Skipped != "":
		return "skipped"
	case res.Written:
		return "written"
	}
	return "unchanged"
}

// failedRules lists the rules that failed on a file; all that applied when
// the whole file failed.
func failedRules(res *engine.Result) []string {
	if res.Error != "" {
		return res.Rules
	}
	var out []string
	for _, f := range res.Failures {
		out = append(out, f.Rule)
	}
	return out
}

// loginURL returns a one-time login link: the dashboard's address with a
// new code, or "" when the dashboard offers no logins (a unix socket).
func (d *Daemon) loginURL(g *httpapi.Guard) string {
	if g.Login == nil || !strings.HasPrefix(d.dashURL, "http") {
		return ""
	}
	return strings.TrimSuffix(d.dashURL, "/") + httpapi.LoginPath(g.Login.Code())
}

// cookieName names the session cookie after the port: browsers send a
// cookie to every port of a host, so two daemons must not share a name.
func cookieName(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	return "scribe-" + strings.Trim(port, "[]")
}

// writes gives the dashboard the content of journaled writes.
type writes struct{ d *Daemon }

// Write returns write id with the content it replaced and the content it
// left: the content a later write of the file replaced, if one recorded that
// hash, else the file itself while it still has it.
func (w writes) Write(_ context.Context, id uint64) (dashboard.Write, error) {
	j := w.d.journal
	e, before, err := j.Get(id)
	if errors.Is(err, journal.ErrNotFound) {
		return dashboard.Write{}, fmt.Errorf("%w: no write %d in the journal", httpapi.ErrNotFound, id)
	}
	if err != nil {
		return dashboard.Write{}, err
	}
	out := dashboard.Write{Entry: e, Before: before}
	if e.AfterHash == "" {
		out.After, out.AfterKnown = []byte{}, true // the write removed the file
		return out, nil
	}
	later, err := j.List(e.Root, e.Path, 0) // newest first
	if err != nil {
		return dashboard.Write{}, err
	}
	for i := len(later) - 1; i >= 0; i-- {
		if l := later[i]; l.ID > id && l.BeforeHash == e.AfterHash {
			if _, after, err := j.Get(l.ID); err == nil {
				out.After, out.AfterKnown = after, true
				return out, nil
			}
		}
	}
	for _, rs := range w.d.roots {
		if rs.root.Dir != e.Root {
			continue
		}
		if cur, err := rs.root.FS.ReadFile(e.Path); err == nil && journal.Hash(cur) == e.AfterHash {
			out.After, out.AfterKnown = cur, true
		}
	}
	return out, nil
}
