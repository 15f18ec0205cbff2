package cli

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/scribe-md/scribe/internal/daemon"
	"github.com/scribe-md/scribe/internal/escape"
	"github.com/scribe-md/scribe/internal/findings"
)

// findingsQuery holds the flags of `scribe status --findings`.
type findingsQuery struct {
	on                   bool
	rule, severity, path string
	limit                int
}

// defaultFindingsPerRule is how many findings of each rule `status
// --findings` lists unless --limit says otherwise: enough to start fixing,
// few enough for a terminal when a vault has thousands.
const defaultFindingsPerRule = 20

func addFindingsFlags(cmd *cobra.Command, q *findingsQuery) {
	f := cmd.Flags()
	f.BoolVar(&q.on, "findings", false, "list the current findings, grouped by rule")
	f.StringVar(&q.rule, "rule", "", "with --findings: only this rule's")
	f.StringVar(&q.severity, "severity", "", "with --findings: only error, warning or info")
	f.StringVar(&q.path, "path", "", "with --findings: only this file's, or a directory's (ending in /)")
	f.IntVar(&q.limit, "limit", defaultFindingsPerRule, "with --findings: at most this many per rule (0: all)")
}

func (q findingsQuery) values(rule string, limit, offset int) url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"rule": rule, "severity": q.severity, "path": q.path} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if limit > 0 {
		v.Set("limit", strconv.Itoa(limit))
	}
	if offset > 0 {
		v.Set("offset", strconv.Itoa(offset))
	}
	return v
}

// showFindings prints the findings q selects: in JSON, one page of the
// API; in text, grouped by rule, at most q.limit each.
func showFindings(cmd *cobra.Command, g *globals, c *client, q findingsQuery) error {
	if q.limit < 0 {
		return fail(ExitUsage, fmt.Errorf("--limit must be 0 or more, not %d", q.limit))
	}
	if q.path != "" && !filepath.IsAbs(q.path) {
		// A path that exists from here is made absolute (the daemon finds
		// its root); anything else is taken as relative to a root.
		if _, err := os.Lstat(q.path); err == nil {
			if abs, err := filepath.Abs(q.path); err == nil {
				if strings.HasSuffix(q.path, "/") {
					abs += "/"
				}
				q.path = abs
			}
		}
	}
	ctx := cmd.Context()
	get := func(rule string, limit, offset int) (findings.Page, error) {
		var p findings.Page
		err := c.do(ctx, "GET", "/api/v1/findings?"+q.values(rule, limit, offset).Encode(), &p)
		return p, err
	}
	if g.format == "json" {
		var raw json.RawMessage
		limit := q.limit
		if limit == 0 {
			limit = findings.MaxLimit
		}
		if err := c.do(ctx, "GET", "/api/v1/findings?"+q.values(q.rule, limit, 0).Encode(), &raw); err != nil {
			return unreachable(err)
		}
		_, err := g.stdout.Write(raw)
		return err
	}
	all, err := get(q.rule, 1, 0)
	if err != nil {
		return unreachable(err)
	}
	if all.Total == 0 {
		fmt.Fprintln(g.stdout, "no findings")
		return nil
	}
	fmt.Fprintf(g.stdout, "%s in %s\n", count(all.Total, "finding"), count(all.Files, "file"))
	// One section per rule, most findings first.
	var rules []string
	perRule := map[string]int{}
	for _, c := range all.Counts {
		if _, ok := perRule[c.Rule]; !ok {
			rules = append(rules, c.Rule)
		}
		perRule[c.Rule] += c.N
	}
	for _, rule := range rules {
		name := rule
		if name == "" {
			name = "(no rule: files skipped)"
		}
		fmt.Fprintf(g.stdout, "\nrule %s: %s\n", name, count(perRule[rule], "finding"))
		listed, offset := 0, 0
		for {
			want := q.limit - listed
			if q.limit == 0 {
				want = findings.MaxLimit
			}
			p, err := get(rule, want, offset)
			if err != nil {
				return unreachable(err)
			}
			if rule == "" {
				// The API reads an empty rule as "any rule".
				p.Findings = dropRuled(p.Findings)
			}
			for _, f := range p.Findings {
				fmt.Fprintf(g.stdout, "  %s  %s  %s\n", escape.Name(place(f)), f.Severity, escape.Text(f.Message))
			}
			listed += len(p.Findings)
			if p.Next == 0 || q.limit > 0 && listed >= q.limit {
				break
			}
			offset = p.Next
		}
		if more := perRule[rule] - listed; more > 0 && rule != "" {
			fmt.Fprintf(g.stdout, "  … %d more (scribe status --findings --rule %s --limit 0)\n", more, rule)
		}
	}
	if all.Capped {
		fmt.Fprintln(g.stdout, "\nthe daemon keeps a bounded number of findings; some are counted, not listed")
	}
	return nil
}

func dropRuled(fs []findings.Item) []findings.Item {
	out := fs[:0]
	for _, f := range fs {
		if f.Rule == "" {
			out = append(out, f)
		}
	}
	return out
}

// place is PATH:LINE:COL, as much of it as is known.
func place(f findings.Item) string {
	s := f.Path
	if f.Line > 0 {
		s += ":" + strconv.Itoa(f.Line)
		if f.Column > 0 {
			s += ":" + strconv.Itoa(f.Column)
		}
	}
	return s
}

// count is "1 thing" or "N things".
func count(n int, what string) string {
	return strconv.Itoa(n) + " " + plural(n, what, what+"s")
}

// printFindingsSummary is the findings line of `scribe status`.
func printFindingsSummary(g *globals, s daemon.FindingsSummary) {
	if s.Total == 0 {
		fmt.Fprintln(g.stdout, "findings: none")
		return
	}
	var parts []string
	for i, c := range s.Counts {
		if i == 5 {
			parts = append(parts, "…")
			break
		}
		rule := c.Rule
		if rule == "" {
			rule = "(skipped files)"
		}
		parts = append(parts, fmt.Sprintf("%s %d %s", rule, c.N, c.Severity))
	}
	fmt.Fprintf(g.stdout, "findings: %d in %s (%s); `scribe status --findings` lists them\n", s.Total, count(s.Files, "file"), strings.Join(parts, ", "))
}

// listDeadLettersUpTo is how many dead letters `scribe status` lists one by
// one; past it, it prints their groups.
const listDeadLettersUpTo = 10

// printDeadLetters prints the dead letters of a status: one by one when
// there are few, by rule and error when there are many (a first start once
// made 6,283).
func printDeadLetters(g *globals, st daemon.Status) {
	n := max(st.DeadLetterCount, len(st.DeadLetters))
	if n == 0 {
		return
	}
	if n <= listDeadLettersUpTo {
		fmt.Fprintf(g.stdout, "dead letters (retry with `scribe retry-dead-letter ID`, or --all):\n")
		for _, d := range st.DeadLetters {
			rule := ""
			if d.Rule != "" {
				rule = "rule " + d.Rule + ", "
			}
			fmt.Fprintf(g.stdout, "  %d  %s  %s  %safter %d deliveries: %s\n", d.ID, d.Time.Format(time.RFC3339), escape.Name(d.Event.Path), rule, d.Deliveries, escape.Name(d.Error))
		}
		return
	}
	fmt.Fprintf(g.stdout, "dead letters: %s, by rule and error (retry with `scribe retry-dead-letter --rule ID`, or --all):\n", count(n, "file"))
	for _, gr := range st.DeadLetterGroups {
		rule := gr.Rule
		if rule == "" {
			rule = "(no rule)"
		}
		paths := make([]string, len(gr.Paths))
		for i, p := range gr.Paths {
			paths[i] = escape.Name(p)
		}
		eg := strings.Join(paths, ", ")
		if gr.Count > len(gr.Paths) {
			eg += ", …"
		}
		fmt.Fprintf(g.stdout, "  %6d  %s: %s\n          e.g. %s\n", gr.Count, rule, escape.Name(gr.Error), eg)
	}
}

// retryDeadLetters asks the daemon to requeue all dead letters or a rule's.
func retryDeadLetters(cmd *cobra.Command, g *globals, all bool, rule string) error {
	c, _, err := newClient(g)
	if err != nil {
		return unreachable(err)
	}
	v := url.Values{}
	if all {
		v.Set("all", "1")
	} else {
		v.Set("rule", rule)
	}
	var out struct {
		Retried int `json:"retried"`
	}
	if err := c.do(cmd.Context(), "POST", "/api/v1/deadletters/retry?"+v.Encode(), &out); err != nil {
		return unreachable(err)
	}
	fmt.Fprintf(g.stdout, "requeued %s\n", count(out.Retried, "dead letter"))
	return nil
}
