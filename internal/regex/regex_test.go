package regex

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// patterns are the shapes of rule patterns: those of SPEC, the README and
// the example vault, and ones that take the shortcuts' edges (a lead that
// also occurs mid-line, a lead at the end, matches that span lines or end
// on a newline, case folding, U+FFFD).
var patterns = []string{
	`(?m)^TODO: (.+)$`,
	`(?m)^status: draft$`,
	`(?m)^status: (?P<state>\w+)`,
	`(?m)^> \[!TASK\].*\| state: (?P<state>[\w-]+)`,
	`(?m)^> \[!TASK\] (?P<title>.*) \| state: done`,
	`(?m)^#+ (.*)$`,
	`(?m)^(#{1,6}) `,
	`(?m)^- \[ \] (.*)`,
	`(?m)^TODO.*\n`,
	`(?m)^a(?s:.*?)^b`,
	`(?m)^ab|cd`,
	`(?m)^(?:ab|ac)`,
	`(?m)^\bTODO`,
	`(?m)^$`,
	`(?m)^`,
	`(?m)^x*`,
	`(?m)^(ab)+`,
	`(?m)^a{2,}b`,
	`(?m)^a{0,2}b`,
	`(?mi)^todo`,
	`(?m)^\x{FFFD}`,
	`(?m)(^a)`,
	`(?m)$^a`,
	`^TODO`,
	`TODO: (.+)`,
	`(?i)todo`,
	`a|b`,
	`(abc)+x`,
	`x[yz]+ab?c`,
	`(?s)q.*rs`,
	`(foo|foobar)baz`,
	`(?P<y>\d{4})-(\d\d)`,
}

func TestShortcuts(t *testing.T) {
	for _, c := range []struct{ pattern, must, lead string }{
		{`(?m)^TODO: (.+)$`, "TODO: ", "TODO: "},
		{`(?m)^status: draft$`, "status: draft", "status: draft"},
		{`(?m)^> \[!TASK\].*\| state: (\w+)`, "> [!TASK]", "> [!TASK]"},
		{`(?m)^#+ (.*)$`, "#", "#"},
		{`(?m)^(ab)+`, "ab", "ab"},
		{`(?m)^a{0,2}b`, "b", ""},
		{`(?m)^\bTODO`, "TODO", ""},
		{`(?mi)^todo`, "", ""},
		{`(?m)^\x{FFFD}`, "", ""},
		{`^TODO`, "TODO", ""},
		{`TODO: (.+)`, "TODO: ", ""},
		{`(?i)todo`, "", ""},
		{`a|b`, "", ""},
		{`(abc)+x`, "abc", ""},
		{`x*`, "", ""},
		{`(?P<y>\d{4})-(\d\d)`, "-", ""},
	} {
		re := MustCompile(c.pattern)
		if string(re.must) != c.must || string(re.lead) != c.lead {
			t.Errorf("%q: must %q, lead %q; want %q, %q", c.pattern, re.must, re.lead, c.must, c.lead)
		}
	}
}

// same fails t unless re and regexp's own compilation of its pattern give
// the same results on text.
func same(t *testing.T, re *Regexp, std *regexp.Regexp, text []byte) {
	t.Helper()
	if got, want := re.Match(text), std.Match(text); got != want {
		t.Fatalf("%q on %q: Match %v, regexp %v", std, text, got, want)
	}
	if got, want := re.FindSubmatchIndex(text), std.FindSubmatchIndex(text); !reflect.DeepEqual(got, want) {
		t.Fatalf("%q on %q: FindSubmatchIndex %v, regexp %v", std, text, got, want)
	}
	for _, n := range []int{-1, 0, 1, 2} {
		if got, want := re.FindAllSubmatchIndex(text, n), std.FindAllSubmatchIndex(text, n); !reflect.DeepEqual(got, want) {
			t.Fatalf("%q on %q: FindAllSubmatchIndex(%d) %v, regexp %v", std, text, n, got, want)
		}
	}
}

// TestSameAsRegexpOnNotes runs every pattern on real notes: the front-matter
// shapes of internal/markdown (CRLF, a byte order mark, tabs, …) and the
// example vault.
func TestSameAsRegexpOnNotes(t *testing.T) {
	var files []string
	for _, g := range []string{"../markdown/testdata/shapes/*.md", "../../examples/vault/*.md", "../../examples/vault/*/*.md"} {
		m, err := filepath.Glob(g)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 20 {
		t.Fatalf("found %d notes, want the shapes and the example vault", len(files))
	}
	extra := "\nTODO: one\nstatus: draft\n# Title\n## Sub\n- [ ] task\n> [!TASK] Fix | state: open\nab\nabab\nb\n"
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range patterns {
			re, std := MustCompile(p), regexp.MustCompile(p)
			same(t, re, std, b)
			same(t, re, std, append(b[:len(b):len(b)], extra...))
			same(t, re, std, []byte(strings.ReplaceAll(string(b)+extra, "\n", "\r\n")))
		}
	}
}

// TestSameAsRegexpRandom runs every pattern on random texts of a small
// alphabet, where leads, line starts and near misses are frequent.
func TestSameAsRegexpRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"a", "b", "c", "x", "y", "TODO", ": ", "TODO: ", "\n", "\r\n", "#", "# ", "- [ ] ", "status: draft", "ab", "\xff", "\u00e9", " "}
	for _, p := range patterns {
		re, std := MustCompile(p), regexp.MustCompile(p)
		for range 1000 {
			var b strings.Builder
			for range r.IntN(12) {
				b.WriteString(pieces[r.IntN(len(pieces))])
			}
			same(t, re, std, []byte(b.String()))
		}
	}
}

// FuzzSameAsRegexp holds every result to regexp's, on any pattern and text.
func FuzzSameAsRegexp(f *testing.F) {
	for _, p := range patterns {
		f.Add(p, []byte("x\nTODO: a\nstatus: draft\n# h\nab\n"))
	}
	f.Fuzz(func(t *testing.T, pattern string, text []byte) {
		std, err := regexp.Compile(pattern)
		if err != nil {
			return
		}
		same(t, MustCompile(pattern), std, text)
	})
}

// note is a note of the benchmark corpus's size with a TODO: line at its
// end, where a save appends one.
func note() []byte {
	var b strings.Builder
	b.WriteString("---\ntitle: Note\nstatus: active\ntags: [a, b]\n---\n\n# Note\n\n")
	for i := 0; b.Len() < 2400; i++ {
		b.WriteString("Some words about the topic, a [[link]] and more text here.\n")
	}
	b.WriteString("TODO: call back\n")
	return []byte(b.String())
}

func BenchmarkFindSubmatchIndex(b *testing.B) {
	text := note()
	b.Run("regexp", func(b *testing.B) {
		std := regexp.MustCompile(`(?m)^TODO: (.+)$`)
		for b.Loop() {
			std.FindSubmatchIndex(text)
		}
	})
	b.Run("regex", func(b *testing.B) {
		re := MustCompile(`(?m)^TODO: (.+)$`)
		for b.Loop() {
			re.FindSubmatchIndex(text)
		}
	})
}
