package links

import (
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// A Logseq graph as Logseq writes one (shapes from public graphs): a
// namespace's page, a percent-encoded title, page properties, journals.
var logseqGraph = map[string]string{
	"pages/Account.md":                                   "alias:: Accounts\n\n- ---\n- Record of ownership within [[Convex]]\n- Composed of\n\t- [[Environment]]\n",
	"pages/Account___User.md":                            "- A [[Account]] controlled by a user\n",
	"pages/Beyond Blockchain%3A Convergent Consensus.md": "title:: Beyond Blockchain: Convergent Consensus\n\n- paper\n",
	"pages/%3ABOUNDS.md":                                 "- a keyword\n",
	"pages/Convex.md":                                    "- up: [[accounts]], [[Account/User]], [[:BOUNDS]]\n",
	"pages/Environment.md": "- type:: [[Concept]]\n" +
		"- [[Beyond Blockchain: Convergent Consensus]] and [[Jan 15th, 2024]] and [[Jan 14th, 2024]]\n",
	"journals/2024_01_15.md": "- met [[Account/User]] and #[[Convex]]\n- ![diagram](../assets/diagram.png)\n",
}

func logseqGraphOf(t *testing.T, files map[string]string) *Graph {
	t.Helper()
	g := NewGraph(Options{Logseq: LogseqGraph()})
	for p, c := range files {
		g.Update(p, []byte(c))
	}
	g.AddFile("assets/diagram.png")
	return g
}

func TestLogseqResolve(t *testing.T) {
	g := logseqGraphOf(t, logseqGraph)
	var got []string
	for _, p := range slices.Sorted(func(yield func(string) bool) {
		for p := range logseqGraph {
			if !yield(p) {
				return
			}
		}
	}) {
		for _, pr := range g.Check(p, Parse([]byte(logseqGraph[p])), nil) {
			got = append(got, p+": "+pr.Message())
		}
	}
	want := []string{
		`pages/Environment.md: broken link [[Concept]]: no page named "Concept" (no file pages/Concept.md, no journal and no page with that alias:: or title::)`,
		`pages/Environment.md: broken link [[Jan 14th, 2024]]: no page named "Jan 14th, 2024" (no file pages/Jan 14th, 2024.md, no journal and no page with that alias:: or title::)`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for target, want := range map[string]string{
		"accounts":     "pages/Account.md",
		"ACCOUNT/user": "pages/Account___User.md",
		"Beyond Blockchain: Convergent Consensus": "pages/Beyond Blockchain%3A Convergent Consensus.md",
		":BOUNDS":        "pages/%3ABOUNDS.md",
		"Jan 15th, 2024": "journals/2024_01_15.md",
	} {
		if r := g.Resolve("pages/Convex.md", Link{Kind: Wiki, Target: target}); r.Path != want {
			t.Errorf("[[%s]] resolves to %+v, want %s", target, r, want)
		}
	}
}

// TestLogseqIncremental: a journal made, an alias dropped and given back
// re-check the pages that link to them.
func TestLogseqIncremental(t *testing.T) {
	files := map[string]string{}
	for p, c := range logseqGraph {
		files[p] = c
	}
	g := logseqGraphOf(t, files)
	broken := func(p string) int { return len(g.Check(p, Parse([]byte(files[p])), nil)) }
	if n := broken("pages/Environment.md"); n != 2 {
		t.Fatalf("Environment: %d problems, want 2", n)
	}

	files["journals/2024_01_14.md"] = "- a day\n"
	if got := g.Update("journals/2024_01_14.md", []byte(files["journals/2024_01_14.md"])); !slices.Contains(got, "pages/Environment.md") {
		t.Errorf("a journal made affects %q, want pages/Environment.md among them", got)
	}
	if n := broken("pages/Environment.md"); n != 1 {
		t.Errorf("Environment with its journal: %d problems, want 1", n)
	}

	files["pages/Account.md"] = "- no alias now\n"
	got := g.Update("pages/Account.md", []byte(files["pages/Account.md"]))
	if !slices.Contains(got, "pages/Convex.md") {
		t.Errorf("an alias dropped affects %q, want pages/Convex.md among them", got)
	}
	if n := broken("pages/Convex.md"); n != 1 {
		t.Errorf("Convex without the alias: %d problems, want 1 ([[accounts]])", n)
	}
	if l := g.Linkers("pages/Account.md"); !slices.Equal(l, []string{"pages/Account___User.md"}) {
		t.Errorf("Linkers without the alias = %q", l)
	}

	files["pages/Account.md"] = "- title:: Account\n  alias:: [[Accounts]], Acct\n- back\n"
	if got := g.Update("pages/Account.md", []byte(files["pages/Account.md"])); !slices.Contains(got, "pages/Convex.md") {
		t.Errorf("an alias given back affects %q, want pages/Convex.md among them", got)
	}
	if n := broken("pages/Convex.md"); n != 0 {
		t.Errorf("Convex with the alias back: %d problems", n)
	}
	if l := g.Linkers("pages/Account.md"); !slices.Equal(l, []string{"pages/Account___User.md", "pages/Convex.md"}) {
		t.Errorf("Linkers with the alias = %q", l)
	}

	if got := g.Remove("pages/Account.md"); !slices.Contains(got, "pages/Convex.md") || !slices.Contains(got, "pages/Account___User.md") {
		t.Errorf("the page removed affects %q, want its linkers by name and by alias", got)
	}
}

func TestLogseqNames(t *testing.T) {
	lq := LogseqGraph()
	legacy := &Logseq{Pages: "pages", Journals: "journals", LegacyNames: true, JournalFile: "yyyy-MM-dd", JournalTitle: "EEEE, dd.MM.yyyy"}
	for _, c := range []struct {
		lq   *Logseq
		file string
		name string
		ok   bool
	}{
		{lq, "pages/Account___User.md", "Account/User", true},
		{lq, "pages/a___b___c.md", "a/b/c", true},
		{lq, "pages/Object(a)%3A Cause.md", "Object(a): Cause", true},
		{lq, "pages/v1.2 notes.md", "v1.2 notes", true},
		{lq, "pages/100%.md", "100%", true}, // not an escape: kept
		{lq, "journals/2024_01_15.md", "Jan 15th, 2024", true},
		{lq, "journals/2024_02_22.md", "Feb 22nd, 2024", true},
		{lq, "journals/2024_03_11.md", "Mar 11th, 2024", true},
		{lq, "journals/draft.md", "draft", true},
		{lq, "README.md", "", false},
		{lq, "pages/sub/x.md", "", false},
		{lq, "assets/x.png", "", false},
		{legacy, "pages/Account.User.md", "Account/User", true},
		{legacy, "pages/Account%2FUser.md", "Account/User", true},
		{legacy, "journals/2024-01-15.md", "Monday, 15.01.2024", true},
	} {
		name, ok := c.lq.PageName(c.file)
		if name != c.name || ok != c.ok {
			t.Errorf("PageName(%q) = %q, %v; want %q, %v", c.file, name, ok, c.name, c.ok)
		}
	}
	if got := lq.PageFile("Projects/Q1: plan?"); got != "pages/Projects___Q1%3A plan%3F.md" {
		t.Errorf("PageFile = %q", got)
	}
}

func TestLogseqDateFormats(t *testing.T) {
	day := time.Date(2024, 1, 15, 0, 0, 0, 0, time.UTC)
	for layout, want := range map[string]string{
		"MMM do, yyyy":     "Jan 15th, 2024",
		"MMMM do, yyyy":    "January 15th, 2024",
		"do MMM yyyy":      "15th Jan 2024",
		"E, MM/dd/yyyy":    "Mon, 01/15/2024",
		"EEE, dd-MM-yyyy":  "Mon, 15-01-2024",
		"EEEE, yyyy/MM/dd": "Monday, 2024/01/15",
		"yyyy-MM-dd EEEE":  "2024-01-15 Monday",
		"yyyyMMdd":         "20240115",
		"yyyy年MM月dd日":      "2024年01月15日",
		"M/d/yy":           "1/15/24",
	} {
		if got := formatLogseqDate(layout, day); got != want {
			t.Errorf("%q: %q, want %q", layout, got, want)
		}
	}
	for d, want := range map[int]string{1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 11: "11th", 12: "12th", 13: "13th", 21: "21st", 22: "22nd", 23: "23rd", 31: "31st"} {
		if got := ordinal(d); got != want {
			t.Errorf("ordinal(%d) = %q, want %q", d, got, want)
		}
	}
	if _, err := parseLogseqDate("yyyy_MMM_dd", "2024_Jan_15"); err == nil {
		t.Error("a file name format with month names parsed")
	}
}

func TestPageProperties(t *testing.T) {
	for content, want := range map[string][]string{
		"alias:: Accounts\n\n- body [[x]]\n":                   {"Accounts"},
		"alias:: [[A b]], C ,, [[D]]\ntitle:: T\n- body\n":     {"A b", "C", "D", "T"},
		"- title:: X\n  alias:: Y\n- alias:: not the page's\n": {"X", "Y"},
		"---\ntitle: yaml\n---\nalias:: After\n":               {"After"},
		"# Heading\nalias:: late\n":                            nil,
		"public:: true\nalias::\n":                             nil,
		"tags:: a, b\nAlias:: Up\n":                            {"Up"},
	} {
		if got := Parse([]byte(content)).Names; !slices.Equal(got, want) {
			t.Errorf("%q: Names = %q, want %q", content, got, want)
		}
	}
}

func TestParseLogseqConfig(t *testing.T) {
	b, err := os.ReadFile("testdata/logseq/config.edn")
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseLogseqConfig(b)
	if err != nil {
		t.Fatal(err)
	}
	want := Logseq{Pages: "notes", Journals: "journals", JournalFile: "yyyy_MM_dd", JournalTitle: "EEEE, dd.MM.yyyy",
		Hidden: []string{"/archive", "/drafts.md"}}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("config = %+v, want %+v", *got, want)
	}
	// A graph older than :file/name-format: legacy names.
	if got, err := ParseLogseqConfig([]byte("{:meta/version 1 :hidden []}")); err != nil || !reflect.DeepEqual(*got, Logseq{Pages: "pages", Journals: "journals",
		LegacyNames: true, JournalFile: "yyyy_MM_dd", JournalTitle: "MMM do, yyyy", Hidden: []string{}}) {
		t.Errorf("empty config = %+v, %v", got, err)
	}
	if _, err := ParseLogseqConfig([]byte("{:meta/version 1 :hidden [")); err == nil || !strings.Contains(err.Error(), "logseq/config.edn") {
		t.Errorf("a broken config: %v", err)
	}
}

// TestLogseqBlockRefs: ((uuid)) references and embeds resolve to the page
// whose block has that id:: property, wherever it is, and are re-checked
// when the block goes or comes.
func TestLogseqBlockRefs(t *testing.T) {
	const id, gone = "64f1a2b3-0c4d-4e5f-8a9b-0c1d2e3f4a5b", "65000000-0000-4000-8000-000000000000"
	files := map[string]string{
		"pages/Source.md": "- a claim\n  id:: " + strings.ToUpper(id) + "\n  collapsed:: true\n\t- child\n",
		"journals/2024_01_15.md": "- as ((" + id + ")) says\n- {{embed ((" + id + "))}}\n- ((" + gone + ")) and `((" + gone + "))` in code\n" +
			"- ((not-a-uuid)) and (( " + id + " ))\n",
	}
	g := NewGraph(Options{Logseq: LogseqGraph()})
	for p, c := range files {
		g.Update(p, []byte(c))
	}
	check := func() string {
		var out []string
		for _, pr := range g.Check("journals/2024_01_15.md", Parse([]byte(files["journals/2024_01_15.md"])), nil) {
			out = append(out, fmt.Sprintf("%d:%d %s", pr.Link.Line, pr.Link.Column, pr.Message()))
		}
		return strings.Join(out, "\n")
	}
	want := "3:3 broken block reference ((" + gone + ")): no page of the graph has a block with id:: " + gone
	if got := check(); got != want {
		t.Errorf("problems:\n%s\nwant:\n%s", got, want)
	}
	if r := g.Resolve("journals/2024_01_15.md", Link{Kind: BlockRef, Target: id}); r.Path != "pages/Source.md" {
		t.Errorf("((%s)) resolves to %+v", id, r)
	}
	if l := g.Linkers("pages/Source.md"); !slices.Equal(l, []string{"journals/2024_01_15.md"}) {
		t.Errorf("Linkers = %q", l)
	}

	files["pages/Source.md"] = "- a claim, its id gone\n"
	if got := g.Update("pages/Source.md", []byte(files["pages/Source.md"])); !slices.Contains(got, "journals/2024_01_15.md") {
		t.Errorf("the block's id removed affects %q", got)
	}
	if got := check(); strings.Count(got, "broken block reference") != 3 {
		t.Errorf("without the block, problems:\n%s", got)
	}
	files["pages/Other.md"] = "- moved here\n  id:: " + id + "\n"
	if got := g.Update("pages/Other.md", []byte(files["pages/Other.md"])); !slices.Contains(got, "journals/2024_01_15.md") {
		t.Errorf("the block's id given elsewhere affects %q", got)
	}
	if got := check(); got != want {
		t.Errorf("with the block moved, problems:\n%s", got)
	}
	if got := g.Remove("pages/Other.md"); !slices.Contains(got, "journals/2024_01_15.md") {
		t.Errorf("the block's page removed affects %q", got)
	}

	// Outside a Logseq graph, ((...)) is text.
	plain := NewGraph(Options{})
	plain.Update("a.md", []byte("- (("+gone+"))\n"))
	if got := plain.Check("a.md", Parse([]byte("- (("+gone+"))\n")), nil); len(got) != 0 {
		t.Errorf("outside a Logseq graph: %v", got)
	}
}

// TestAliasHint: outside a Logseq graph a note's aliases (front matter
// aliases:, as Obsidian keeps them) resolve nothing, as in Obsidian, but a
// bare [[alias]] is told the link Obsidian writes for it.
func TestAliasHint(t *testing.T) {
	plan := "---\ntitle: Plan\naliases:\n  - plan\n  - PP\n---\n# Goals\n"
	src := "[[plan]] ![[pp]] [[plan|x]] [[plan#Goals]]\n"
	g := NewGraph(Options{})
	g.Update("notes/Project Plan.md", []byte(plan))
	g.Update("a.md", []byte(src))
	var got []string
	for _, p := range g.Check("a.md", Parse([]byte(src)), nil) {
		got = append(got, p.Link.Raw+" -> "+p.Suggestion)
	}
	want := []string{"[[plan]] -> [[Project Plan|plan]]", "![[pp]] -> ![[Project Plan|pp]]", "[[plan|x]] -> ", "[[plan#Goals]] -> "}
	if !slices.Equal(got, want) {
		t.Errorf("problems and suggestions:\n%q\nwant\n%q", got, want)
	}
	g.Update("notes/Project Plan.md", []byte("# Goals\n"))
	if ps := g.Check("a.md", Parse([]byte(src)), nil); len(ps) == 0 || strings.Contains(ps[0].Suggestion, "|plan") {
		t.Errorf("with the alias gone: %+v", ps)
	}
	// In a Logseq graph, an alias in YAML front matter names the page, as
	// Logseq reads it.
	lg := NewGraph(Options{Logseq: LogseqGraph()})
	lg.Update("pages/Project Plan.md", []byte(plan))
	if r := lg.Resolve("pages/a.md", Link{Kind: Wiki, Target: "PP"}); r.Path != "pages/Project Plan.md" {
		t.Errorf("[[PP]] in a Logseq graph resolves to %+v", r)
	}
}

func TestFrontMatterAliases(t *testing.T) {
	for content, want := range map[string][]string{
		"---\naliases:\n  - a\n  - b c\nalias: d\n---\nbody\n": {"a", "b c", "d"},
		"---\r\naliases: [x]\r\n---\r\n":                       {"x"},
		"---\ntitle: no names\n---\n":                          nil,
		"---\naliases: [unclosed\n---\n":                       nil,
		"---\naliases: 3\n---\n":                               nil,
		"aliases: not front matter\n":                          nil,
	} {
		if got := Parse([]byte(content)).Names; !slices.Equal(got, want) {
			t.Errorf("%q: Names = %q, want %q", content, got, want)
		}
	}
}
