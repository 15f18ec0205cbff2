package template

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/scribe-md/scribe/internal/action"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var fixed = time.Date(2024, 3, 9, 14, 5, 7, 0, time.UTC)

func sample() Data {
	d := PathData("notes/2024/Trip Plan.md")
	d.Match = MatchData(&action.Match{
		Groups: []string{"2024-03 done", "2024", "03", "done"},
		Named:  map[string]string{"year": "2024", "month": "03"},
	})
	d.FM = map[string]any{
		"title":   "  Café Crème!  ",
		"status":  "draft",
		"created": time.Date(2023, 12, 1, 0, 0, 0, 0, time.UTC),
		"stamp":   "2023-12-01T08:30:00+02:00",
		"day":     "2023-12-01",
		"due":     "2023-12-01T08:30", // Obsidian's "Date & time"
		"tags":    []any{"a", "b"},
		"empty":   "",
		"none":    []any{},
		"draft":   false,
		"count":   0,
		"author":  map[string]any{"name": "Ada", "links": map[string]any{"web": "ada.dev"}},
	}
	d.Now = fixed
	return d
}

func TestExecute(t *testing.T) {
	tests := []struct{ text, want string }{
		{`plain text`, `plain text`},
		{`{{ .Path }}|{{ .Dir }}|{{ .Name }}|{{ .Ext }}`, `notes/2024/Trip Plan.md|notes/2024|Trip Plan|.md`},
		{`{{ index .Match "0" }}|{{ index .Match "1" }}|{{ .Match.year }}-{{ .Match.month }}`, `2024-03 done|2024|2024-03`},
		{`{{ .FM.status }}`, `draft`},
		{`{{ now | date "2006-01-02T15:04:05Z07:00" }}`, `2024-03-09T14:05:07Z`},
		{`{{ date "2006-01-02" now }}`, `2024-03-09`},
		{`{{ .FM.created | date "02 Jan 2006" }}`, `01 Dec 2023`},
		{`{{ .FM.stamp | date "15:04 -0700" }}`, `08:30 +0200`},
		{`{{ .FM.day | date "Jan 2" }}`, `Dec 1`},
		{`{{ .FM.due | date "Jan 2 15:04" }}`, `Dec 1 08:30`},
		{`{{ .FM.missing | date "2006" }}`, ``},
		{`{{ .FM.created }}`, `2023-12-01`},
		{`{{ now }}`, `2024-03-09T14:05:07Z`},
		{`{{ .FM.title | trim | lower }}`, `café crème!`},
		{`{{ upper .FM.status }}`, `DRAFT`},
		{`{{ replace "a" "o" .FM.status }}`, `droft`},
		{`{{ .FM.title | slug }}`, `cafe-creme`},
		{`{{ .Name | slug }}`, `trip-plan`},
		{`{{ .FM.missing | default "none" }}`, `none`},
		{`{{ .FM.empty | default "none" }}`, `none`},
		{`{{ .FM.none | default "none" }}`, `none`},
		{`{{ .FM.status | default "none" }}`, `draft`},
		{`{{ .FM.draft | default true }}`, `false`},
		{`{{ .FM.count | default 7 }}`, `0`},
		{`{{ .FM.author.name }}`, `Ada`},
		{`{{ .FM.author.links.web }}`, `ada.dev`},
		{`{{ range .FM.tags }}{{ $.FM.author.name }}{{ end }}`, `AdaAda`},
		{`{{ .FM.created.Year }}`, `2023`},
		{`{{ range .FM.tags }}[{{ . }}]{{ end }}`, `[a][b]`},
		{`{{ if eq .FM.status "draft" }}D{{ else }}X{{ end }}`, `D`},
		{`{{ with .FM.author }}{{ .name }}{{ end }}`, `Ada`},
		{`{{ $s := .FM.status }}{{ $s }}`, `draft`},
		{`{{ define "t" }}<{{ .FM.status }}{{ .FM.nope }}>{{ end }}{{ template "t" . }}`, `<draft>`},
		{`{{- /* a comment */ -}} x`, `x`},
		{`{{ .Now.Year }}`, `2024`},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			tp, err := Parse("test", tt.text)
			if err != nil {
				t.Fatal(err)
			}
			got, err := tp.Execute(sample())
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// A missing value is "" wherever it appears: never "<no value>", never an error.
func TestMissingRendersEmpty(t *testing.T) {
	for _, text := range []string{
		`{{ .FM.missing }}`,
		`{{ .FM.missing.deeper.still }}`,
		`{{ .FM.author.missing.x }}`,
		`{{ range .FM.tags }}{{ $.FM.missing.x }}{{ end }}`,
		`{{ index .FM "missing" }}`,
		`{{ .Match.nope }}`,
		`{{ index .Match "9" }}`,
		`{{ .FM.missing | upper | trim | lower | slug }}`,
		`{{ (.FM.missing.x) }}`,
		`{{ if .FM.missing.x }}yes{{ end }}`,
		`{{ with .FM.missing }}{{ .x.y }}{{ end }}`,
		`{{ range .FM.missing }}x{{ end }}`,
	} {
		tp, err := Parse("test", text)
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		for _, d := range []Data{sample(), {}} {
			got, err := tp.Execute(d)
			if err != nil {
				t.Errorf("%s: %v", text, err)
			} else if got != "" {
				t.Errorf("%s: got %q, want empty", text, got)
			}
		}
	}
}

func TestStatic(t *testing.T) {
	tests := []struct {
		text   string
		static bool
		out    string
	}{
		{"", true, ""},
		{"hello", true, "hello"},
		{"{{/* note */}}x", true, "x"},
		{"a {{- /* trimmed */ -}} b", true, "ab"},
		{"{{ .Path }}", false, "notes/2024/Trip Plan.md"},
		{`{{ define "x" }}y{{ end }}z`, false, "z"},
		{"$1 and ${name}", true, "$1 and ${name}"},
	}
	for _, tt := range tests {
		tp, err := Parse("test", tt.text)
		if err != nil {
			t.Fatalf("%q: %v", tt.text, err)
		}
		if tp.Static() != tt.static {
			t.Errorf("%q: Static() = %v, want %v", tt.text, tp.Static(), tt.static)
		}
		if got, err := tp.Execute(sample()); err != nil || got != tt.out {
			t.Errorf("%q: Execute = %q, %v; want %q", tt.text, got, err, tt.out)
		}
		if tp.Text() != tt.text {
			t.Errorf("Text() = %q, want the source %q", tp.Text(), tt.text)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		text string
		line int
		want string
	}{
		{"{{ nowx }}", 1, `function "nowx" not defined; did you mean "now"?`},
		{"x\n{{ now | dat \"2006\" }}", 2, `function "dat" not defined; did you mean "date"?`},
		{"{{ .Name | uppre }}", 1, `function "uppre" not defined; did you mean "upper"?`},
		{"{{ frobnicate }}", 1, `function "frobnicate" not defined`},
		{"first\nsecond {{ .Path", 2, "unclosed action"},
		{"{{ if .FM.x }}", 1, "unexpected EOF"},
		{"{{ end }}", 1, "unexpected {{end}}"},
		{"a\nb\n{{ date }}{{ \"open }}", 3, "unterminated quoted string"},
	}
	for _, tt := range tests {
		_, err := Parse("frontmatter.set updated", tt.text)
		var te *Error
		if !errors.As(err, &te) {
			t.Fatalf("%q: error %v is not an *Error", tt.text, err)
		}
		if strings.Contains(tt.text, "frobnicate") && strings.Contains(te.Message, "did you mean") {
			t.Errorf("%q: %q suggests a function nothing like the one written", tt.text, te.Message)
		}
		if te.Template != "frontmatter.set updated" || te.Line != tt.line || !strings.Contains(te.Message, tt.want) {
			t.Errorf("%q: got %+v, want line %d and %q", tt.text, te, tt.line, tt.want)
		}
		if msg := err.Error(); !strings.HasPrefix(msg, `template "frontmatter.set updated" line `) {
			t.Errorf("%q: message %q does not name the template and line", tt.text, msg)
		}
	}
}

// A field the data does not have fails every file, so it is refused when
// the template is parsed, with the field likely meant; where dot is not the
// data (range, with, a defined template) any field goes.
func TestUnknownFieldsRefused(t *testing.T) {
	for _, tt := range []struct{ text, want string }{
		{`{{ .fm.title }}`, `.fm is not a field of a file's data (.Path, .Dir, .Name, .Ext, .Match, .FM, .Now, .Origin); did you mean .FM?`},
		{"x\n{{ .title | upper }}", `.title is not a field of a file's data (.Path, .Dir, .Name, .Ext, .Match, .FM, .Now, .Origin); front matter fields are under .FM: did you mean .FM.title?`},
		{`{{ range .FM.tags }}{{ $.path }}{{ end }}`, `.path is not a field of a file's data`},
		{`{{ if .Fm }}x{{ end }}`, `did you mean .FM?`},
		{`{{ range .FM.tags }}{{ else }}{{ .nope }}{{ end }}`, `.nope is not a field`},
		{`{{ printf "%s" (.name) }}`, `did you mean .Name?`},
	} {
		_, err := Parse("t", tt.text)
		line := fmt.Sprintf(`template "t" line %d column `, 1+strings.Count(tt.text, "\n"))
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), line) {
			t.Errorf("%q: err = %v, want %q at %q", tt.text, err, tt.want, line)
		}
	}
	for _, ok := range []string{
		`{{ .FM.title }} {{ .Path }} {{ .Match.x }} {{ $.FM.x }} {{ .Now }}`,
		`{{ range .FM.tags }}{{ .x }}{{ end }}`,
		`{{ with .FM }}{{ .title }}{{ end }}`,
		`{{ define "row" }}{{ .anything }}{{ end }}{{ template "row" .FM }}`,
		`{{ $x := .FM }}{{ $x.title }}`,
	} {
		if _, err := Parse("t", ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
}

func TestExecuteErrors(t *testing.T) {
	tests := []struct{ text, want string }{
		{`{{ .FM.status | date "2006" }}`, `at <date "2006">: error calling date: cannot read "draft" as a time`},
		{`{{ .FM.tags | date "2006" }}`, `cannot read a []interface {} as a time`},
		{"x\n  {{ .FM.status.x.y }}", `at <.FM.status.x.y>: .FM.status is a string, it has no field "x"`},
		{`{{ $.FM.status.x.y }}`, `at <$.FM.status.x.y>: .FM.status is a string, it has no field "x"`},
	}
	for _, tt := range tests {
		tp, err := Parse("log message", tt.text)
		if err != nil {
			t.Fatalf("%q: %v", tt.text, err)
		}
		_, err = tp.Execute(sample())
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: got %v, want it to contain %q", tt.text, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "_scribe") {
			t.Errorf("%q: error shows the internal rewrite: %v", tt.text, err)
		}
	}
	tp := MustParse("x", "x\n  {{ .FM.status.x.y }}")
	_, err := tp.Execute(sample())
	var te *Error
	if !errors.As(err, &te) || te.Line != 2 || te.Column < 5 {
		t.Errorf("position: got %+v, want line 2 and a column", te)
	}
}

func TestOutputCap(t *testing.T) {
	chunk := strings.Repeat("x", 1024)
	tp := MustParse("big", `{{ range 20000 }}`+chunk+`{{ end }}`)
	_, err := tp.Execute(sample())
	if err == nil || !strings.Contains(err.Error(), "output exceeds") {
		t.Fatalf("got %v, want the output cap error", err)
	}
}

// Concurrent executions each see their own `now`, although they share the
// template.
func TestConcurrentNow(t *testing.T) {
	tp := MustParse("now", `{{ now | date "2006-01-02T15:04:05.000000000Z07:00" }} {{ .Path }}`)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				d := PathData(fmt.Sprintf("f%d-%d.md", g, i))
				d.Now = fixed.Add(time.Duration(g*1000+i) * time.Nanosecond)
				got, err := tp.Execute(d)
				want := d.Now.Format("2006-01-02T15:04:05.000000000Z07:00") + " " + d.Path
				if err != nil || got != want {
					errs <- fmt.Errorf("got %q, %v; want %q", got, err, want)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestDataFor(t *testing.T) {
	in := action.Input{
		Path:   "a.md",
		Match:  &action.Match{Groups: []string{"x", ""}, Named: map[string]string{"g": ""}},
		Host:   action.Host{Clock: func() time.Time { return fixed }},
		Origin: action.OriginVCS,
	}
	d := DataFor(in)
	if d.Path != "a.md" || d.Dir != "." || d.Name != "a" || d.Ext != ".md" {
		t.Errorf("path fields: %+v", d)
	}
	if d.Origin != "vcs" {
		t.Errorf("Origin = %q, want vcs", d.Origin)
	}
	if !d.Now.Equal(fixed) {
		t.Errorf("Now = %v, want the host clock's %v", d.Now, fixed)
	}
	if d.FM == nil || len(d.FM) != 0 {
		t.Errorf("FM = %#v, want an empty map", d.FM)
	}
	if d.Match["0"] != "x" || d.Match["1"] != "" || len(d.Match) != 3 {
		t.Errorf("Match = %#v", d.Match)
	}
	if m := MatchData(nil); m == nil || len(m) != 0 {
		t.Errorf("MatchData(nil) = %#v, want an empty map", m)
	}
	if d := DataFor(action.Input{Path: "x/.hidden"}); d.Name != "" || d.Ext != ".hidden" || d.Now.IsZero() {
		t.Errorf("dot file: %+v", d)
	}
}

func TestSlug(t *testing.T) {
	tests := map[string]string{
		"Hello World":           "hello-world",
		"  --Already-Kebab--  ": "already-kebab",
		"Café Crème":            "cafe-creme",
		"Ünïcödé & Friends":     "unicode-friends",
		"snake_case_name":       "snake-case-name",
		"2024 Q1: Review":       "2024-q1-review",
		"日本語 ノート":               "日本語-ノート",
		"ﬁle":                   "file",
		"":                      "",
		"!!!":                   "",
	}
	for in, want := range tests {
		if got := Slug(in); got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
	}
}

func BenchmarkExecute(b *testing.B) {
	tp := MustParse("bench", `{{ now | date "2006-01-02" }} {{ .FM.title | slug }} {{ .Match.year }}`)
	d := sample()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tp.Execute(d); err != nil {
			b.Fatal(err)
		}
	}
}

// Runaway loops and geometric growth fail fast instead of hanging a worker.
func TestRunawayGuards(t *testing.T) {
	defer func(n int) { iterations = n }(iterations)
	iterations = 10_000 // the mechanism, at a size -race runs quickly
	tests := []struct{ text, want string }{
		{`{{ range 1000000000 }}{{ end }}`, "range makes more than"},
		{`{{ range 200 }}{{ range 200 }}{{ end }}{{ end }}`, "range makes more than"},
		{`{{ range $i, $v := 50000 }}{{ end }}`, "range makes more than"},
		{`{{ range .FM.tags }}{{ range 9999 }}{{ end }}{{ end }}`, "range makes more than"},
		{`{{ define "x" }}{{ template "x" . }}{{ end }}{{ template "x" . }}`, "calls: check for a template that calls itself"},
		{`{{ define "x" }}{{ template "x" }}{{ end }}{{ template "x" }}`, "calls: check for a template that calls itself"},
		{"{{ " + strings.Repeat(`replace "" "xxxxxxxx" (`, 8) + `"abc"` + strings.Repeat(")", 8) + " }}", "result exceeds"},
	}
	for _, tt := range tests {
		start := time.Now()
		_, err := MustParse("loop", tt.text).Execute(sample())
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want %q", tt.text, err, tt.want)
		}
		if strings.Contains(fmt.Sprint(err), "_scribe") {
			t.Errorf("error shows the internal rewrite: %v", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s: took %v", tt.text, d)
		}
	}
	// The budget is per execution: a second run starts afresh.
	tp := MustParse("ok", `{{ range 6000 }}{{ end }}{{ range $i, $t := .FM.tags }}{{ $i }}{{ $t }}{{ end }}`)
	for range 3 {
		if got, err := tp.Execute(sample()); err != nil || got != "0a1b" {
			t.Fatalf("got %q, %v", got, err)
		}
	}
}
