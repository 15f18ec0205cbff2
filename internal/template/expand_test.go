package template

import (
	"regexp"
	"testing"

	"github.com/scribe-md/scribe/internal/action"
)

// matchOf returns the action.Match of re's first match in s, as the engine
// builds it.
func matchOf(re *regexp.Regexp, s string) (*action.Match, []int) {
	idx := re.FindStringSubmatchIndex(s)
	if idx == nil {
		return nil, nil
	}
	m := &action.Match{Named: map[string]string{}, Start: idx[0], End: idx[1]}
	for i := 0; i < len(idx); i += 2 {
		g := ""
		if idx[i] >= 0 {
			g = s[idx[i]:idx[i+1]]
		}
		m.Groups = append(m.Groups, g)
		if n := re.SubexpNames()[i/2]; n != "" {
			m.Named[n] = g
		}
	}
	return m, idx
}

func TestExpandMatchesRegexp(t *testing.T) {
	re := regexp.MustCompile(`(?P<year>\d{4})-(?P<month>\d\d)(x)?(?P<_u1>u)?`)
	src := "on 2024-03u!"
	m, idx := matchOf(re, src)
	for _, tmpl := range []string{
		"", "plain", "$1", "${1}", "$year/$month", "${year}x", "$yearx", "$$1", "$", "$ ", "${", "${year",
		"$3", "$9", "$0", "$00", "$01", "${_u1}", "$_u1$_u1", "a$$$1b", "$1x", "${}", "$é", "$10",
	} {
		want := string(re.ExpandString(nil, tmpl, src, idx))
		if got := Expand(tmpl, MatchData(m)); got != want {
			t.Errorf("Expand(%q) = %q, regexp gives %q", tmpl, got, want)
		}
	}
}

func TestParseExpand(t *testing.T) {
	re := regexp.MustCompile(`(?P<key>\w+)=(?P<val>\w+)`)
	m, _ := matchOf(re, "a=b")
	d := sample()
	d.Match = MatchData(m)
	d.FM["price"] = "$1 (literal)"
	tests := []struct{ text, want string }{
		{"$val=$key", "b=a"},
		{"no refs", "no refs"},
		{"${key}: {{ .FM.price }}", "a: $1 (literal)"},
		{"{{ upper .Match.val }}$$", "B$"},
		{"{{ if .Match.key }}[$1]{{ else }}none{{ end }}", "[a]"},
		{"{{ range .FM.tags }}$2{{ . }}{{ end }}", "babb"},
		{`{{ define "x" }}$1{{ end }}{{ template "x" 5 }}|{{ template "x" . }}`, "|a"},
	}
	for _, tt := range tests {
		tp, err := ParseExpand("replace with", tt.text)
		if err != nil {
			t.Fatalf("%q: %v", tt.text, err)
		}
		got, err := tp.Execute(d)
		if err != nil || got != tt.want {
			t.Errorf("%q: got %q, %v; want %q", tt.text, got, err, tt.want)
		}
	}
}

// FuzzExpand checks Expand against regexp.Expand on arbitrary templates and
// inputs.
func FuzzExpand(f *testing.F) {
	f.Add("$1-${name}$$x$", "ab-cd")
	f.Add("${2}$name$10$0", "zz-yy")
	re := regexp.MustCompile(`(?P<name>\w*)-(\w*)(q)?`)
	f.Fuzz(func(t *testing.T, tmpl, src string) {
		m, idx := matchOf(re, src)
		if m == nil {
			return
		}
		want := string(re.ExpandString(nil, tmpl, src, idx))
		if got := Expand(tmpl, MatchData(m)); got != want {
			t.Fatalf("Expand(%q) on %q = %q, regexp gives %q", tmpl, src, got, want)
		}
	})
}
