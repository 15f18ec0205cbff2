package text

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/action/actiontest"
	"github.com/scribe-md/scribe/internal/regex"
)

func TestReplace(t *testing.T) {
	const doc = "---\ntitle: Trip\nprice: $5\n---\nOn 2024-03-01 and 2023-12-24.\n"
	tests := []struct {
		name, params, match, in, want string
	}{
		{"numbered", `{pattern: '(\d{4})-(\d\d)-(\d\d)', with: '$3/$2/$1'}`, "", doc,
			"---\ntitle: Trip\nprice: $5\n---\nOn 01/03/2024 and 24/12/2023.\n"},
		{"named", `{pattern: '(?P<y>\d{4})-(?P<m>\d\d)-\d\d', with: '${m}.${y}'}`, "", doc,
			"---\ntitle: Trip\nprice: $5\n---\nOn 03.2024 and 12.2023.\n"},
		{"dollar", `{pattern: 'and', with: '$$and$$'}`, "", doc,
			"---\ntitle: Trip\nprice: $5\n---\nOn 2024-03-01 $and$ 2023-12-24.\n"},
		{"rule match by default", `{with: '[$0]'}`, `\d{4}`, doc,
			"---\ntitle: Trip\nprice: $5\n---\nOn [2024]-03-01 and [2023]-12-24.\n"},
		{"template per match", `{pattern: '(?P<y>\d{4})-\d\d-\d\d', with: '{{ .Match.y }}:{{ index .Match "0" | replace "-" "" }}'}`, "", doc,
			"---\ntitle: Trip\nprice: $5\n---\nOn 2024:20240301 and 2023:20231224.\n"},
		{"template and refs", `{pattern: '(?P<y>\d{4})-\d\d-\d\d', with: '${y}/{{ .FM.title | lower }}'}`, "", doc,
			"---\ntitle: Trip\nprice: $5\n---\nOn 2024/trip and 2023/trip.\n"},
		{"template data is not expanded", `{pattern: '(?m)Trip$', with: '{{ .FM.price }}'}`, "", "---\ntitle: Trip\nprice: $5\n---\n", "---\ntitle: $5\nprice: $5\n---\n"},
		{"template with path and clock", `{pattern: 'NOW', with: '{{ .Name }}@{{ now | date "2006" }}'}`, "", "x NOW y", "x Trip@2024 y"},
		{"comment-only template", `{pattern: 'Trip', with: 'Voyage{{/* why */}}'}`, "", doc,
			"---\ntitle: Voyage\nprice: $5\n---\nOn 2024-03-01 and 2023-12-24.\n"},
		{"no match", `{pattern: 'nothing', with: 'x'}`, "", doc, doc},
		{"same text", `{pattern: 'Trip', with: 'Trip'}`, "", doc, doc},
		{"delete", `{pattern: ' and [\d-]+', with: ''}`, "", doc,
			"---\ntitle: Trip\nprice: $5\n---\nOn 2024-03-01.\n"},
		{"crlf kept", `{pattern: 'b', with: 'B'}`, "", "---\r\na: b\r\n---\r\nb\r\n", "---\r\na: B\r\n---\r\nB\r\n"},
		{"bom is not content", `{pattern: '\Ax', with: X}`, "", "\ufeffx", "\ufeffX"},
		{"bom kept", `{pattern: '(?m)^# (.*)$', with: '# {{ index .Match "1" | upper }}'}`, "", "\ufeff# title\n", "\ufeff# TITLE\n"},
		{"bom, same text", `{pattern: 'x', with: 'x'}`, "", "\ufeffx", "\ufeffx"},
		{"bom, same text by template", `{pattern: 'x', with: '{{ index .Match "0" }}'}`, "", "\ufeffx", "\ufeffx"},
		{"longer", `{pattern: 'a', with: 'aaaa'}`, "", "\ufeffaa" + strings.Repeat("-", 100), "\ufeffaaaaaaaa" + strings.Repeat("-", 100)},
		{"empty matches", `{pattern: 'x*', with: '-'}`, "", "ab", "-a-b-"},
		{"unmatched group is empty", `{pattern: '(a)|(b)', with: '[$1|$2]'}`, "", "ab", "[a|][|b]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := action.Build{}
			if tt.match != "" {
				b.Match = regex.MustCompile(tt.match)
			}
			a := actiontest.Must(t, "replace", tt.params, b)
			got, out := actiontest.Run(t, a, actiontest.Input(t, "notes/Trip.md", tt.in, nil))
			if got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
			if (tt.in == tt.want) != (out.Content == nil) {
				t.Errorf("Content nil = %v for an unchanged = %v file", out.Content == nil, tt.in == tt.want)
			}
		})
	}
}

func TestReplaceConstructorErrors(t *testing.T) {
	tests := []struct {
		params string
		match  *regex.Regexp
		want   string
	}{
		{`{with: x}`, nil, "no pattern: set `pattern`, or give the rule a `match` regex"},
		{`{pattern: '(', with: x}`, nil, `replace: invalid pattern "(": error parsing regexp: missing closing )`},
		{`{pattern: '(?<=x)a', with: x}`, nil, "invalid pattern"},
		{`{pattern: a, with: '{{ .Match.x'}`, nil, `replace: template "with" line 1: unclosed action`},
		{`{pattern: a, with: '{{ nope }}'}`, nil, `function "nope" not defined`},
	}
	for _, tt := range tests {
		_, err := actiontest.New(t, "replace", tt.params, action.Build{Match: tt.match})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want %q", tt.params, err, tt.want)
		}
	}
}

// A template that fails on one file's data fails that file, with the match
// position in the message.
func TestReplaceTemplateErrorAtRun(t *testing.T) {
	a := actiontest.Must(t, "replace", `{pattern: 'x', with: '{{ .FM.title | date "2006" }}'}`, action.Build{})
	_, err := a.Run(context.Background(), actiontest.Input(t, "a.md", "---\ntitle: nope\n---\nabx", nil))
	if err == nil || !strings.Contains(err.Error(), "match at byte 22") || !strings.Contains(err.Error(), `cannot read "nope" as a time`) {
		t.Fatalf("got %v", err)
	}
}

func TestReplaceHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, params := range []string{`{pattern: a, with: b}`, `{pattern: a, with: '{{ .Path }}'}`} {
		a := actiontest.Must(t, "replace", params, action.Build{})
		if _, err := a.Run(ctx, actiontest.Input(t, "a.md", strings.Repeat("a", 10000), nil)); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: got %v, want context.Canceled", params, err)
		}
	}
}

// The result of a replacement that explodes is capped.
func TestReplaceCapsGrowth(t *testing.T) {
	a := actiontest.Must(t, "replace", `{pattern: 'a', with: '{{ printf "%02000d" 0 }}'}`, action.Build{})
	a.(*replaceAction).slack = 1 << 20 // the mechanism, at a size -race runs quickly
	_, err := a.Run(context.Background(), actiontest.Input(t, "a.md", strings.Repeat("a", 8<<10), nil))
	if err == nil || !strings.Contains(err.Error(), "result exceeds") {
		t.Fatalf("got %v, want the growth cap", err)
	}
}

// So is one whose plain replacement repeats the match.
func TestReplaceCapsExpansion(t *testing.T) {
	a := actiontest.Must(t, "replace", `{pattern: 'a+', with: '`+strings.Repeat("$0", 100)+`'}`, action.Build{})
	a.(*replaceAction).slack = 1 << 20
	_, err := a.Run(context.Background(), actiontest.Input(t, "a.md", strings.Repeat("a", 64<<10), nil))
	if err == nil || !strings.Contains(err.Error(), "result exceeds") {
		t.Fatalf("got %v, want the growth cap", err)
	}
	// Below the cap it is regexp's ReplaceAll.
	a = actiontest.Must(t, "replace", `{pattern: '(\w+)@(\w+)', with: '${2} at $1$$'}`, action.Build{})
	got, _ := actiontest.Run(t, a, actiontest.Input(t, "a.md", "mail bob@example or amy@test.\n", nil))
	if want := "mail example at bob$ or test at amy$.\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func BenchmarkReplaceTemplate(b *testing.B) {
	a := actiontest.Must(b, "replace", `{pattern: '(?P<w>\b\w{6,}\b)', with: '{{ .Match.w | upper }}'}`, action.Build{})
	in := actiontest.Input(b, "a.md", strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit. ", 2000), nil)
	b.SetBytes(int64(len(in.Content)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Run(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
}
