package links

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite golden files")

// dump renders a Document in a stable, reviewable text form.
func dump(content []byte, d *Document) string {
	var b strings.Builder
	for _, l := range d.Links {
		fmt.Fprintf(&b, "link %d:%d %s target=%q", l.Line, l.Column, l.Kind, l.Target)
		if l.HasFragment {
			fmt.Fprintf(&b, " fragment=%q", l.Fragment)
		}
		if l.Alias != "" {
			fmt.Fprintf(&b, " alias=%q", l.Alias)
		}
		if l.Image {
			b.WriteString(" image")
		}
		if l.Angle {
			b.WriteString(" angle")
		}
		fmt.Fprintf(&b, " written=%q raw=%q\n", content[l.TargetStart:l.TargetEnd], l.Raw)
	}
	for _, h := range d.Headings {
		fmt.Fprintf(&b, "heading %d h%d text=%q slug=%q", h.Line, h.Level, h.Text, h.Slug)
		if h.Explicit {
			b.WriteString(" explicit")
		}
		b.WriteByte('\n')
	}
	for _, bl := range d.Blocks {
		fmt.Fprintf(&b, "block %d ^%s\n", bl.Line, bl.ID)
	}
	return b.String()
}

func TestParseGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/parse/*.md")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			content, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			got := dump(content, Parse(content))
			golden := strings.TrimSuffix(f, ".md") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("Parse(%s) differs from %s:\n--- got\n%s\n--- want\n%s", f, golden, got, want)
			}
			checkInvariants(t, content, Parse(content))
		})
	}
}

// checkInvariants verifies what every Parse result must satisfy.
func checkInvariants(t *testing.T, content []byte, d *Document) {
	t.Helper()
	lines := strings.Split(string(content), "\n")
	runes := make([]int, len(lines))
	for i, l := range lines {
		runes[i] = utf8.RuneCountInString(l)
	}
	for _, l := range d.Links {
		if l.Start < 0 || l.End > len(content) || l.Start >= l.End {
			t.Fatalf("link %q: bad span [%d,%d) in %d bytes", l.Raw, l.Start, l.End, len(content))
		}
		if string(content[l.Start:l.End]) != l.Raw {
			t.Fatalf("link Raw %q != content span %q", l.Raw, content[l.Start:l.End])
		}
		if l.TargetStart < l.Start || l.TargetEnd > l.End || l.TargetStart > l.TargetEnd {
			t.Fatalf("link %q: target span [%d,%d) outside [%d,%d)", l.Raw, l.TargetStart, l.TargetEnd, l.Start, l.End)
		}
		if l.FragmentStart < l.Start || l.FragmentEnd > l.End || l.FragmentStart > l.FragmentEnd {
			t.Fatalf("link %q: fragment span [%d,%d) outside [%d,%d)", l.Raw, l.FragmentStart, l.FragmentEnd, l.Start, l.End)
		}
		if l.Line < 1 || l.Line > len(lines) {
			t.Fatalf("link %q: line %d of %d", l.Raw, l.Line, len(lines))
		}
		if n := runes[l.Line-1]; l.Column < 1 || l.Column > n+1 {
			t.Fatalf("link %q: column %d outside line %d of %d runes", l.Raw, l.Column, l.Line, n)
		}
	}
	for _, h := range d.Headings {
		if h.Line < 1 || h.Line > len(lines) || h.Level < 1 || h.Level > 6 {
			t.Fatalf("heading %+v out of range", h)
		}
	}
	seen := map[string]bool{}
	for _, h := range d.Headings {
		if h.Explicit {
			continue // "{#a}" twice is two anchors "a", as Hugo makes them
		}
		if seen[h.Slug] {
			t.Fatalf("duplicate slug %q", h.Slug)
		}
		seen[h.Slug] = true
	}
}

func TestSlug(t *testing.T) {
	// Expected values are what github-slugger produces.
	for _, tc := range []struct{ in, want string }{
		{"Hello World", "hello-world"},
		{"Hello  World", "hello--world"},
		{"foo_bar-baz", "foo_bar-baz"},
		{"C++ & C#", "c--c"},
		{"Q: why? (and how)", "q-why-and-how"},
		{"2. Numbered — with dash", "2-numbered--with-dash"},
		{"Émojis 🎉 rock", "émojis--rock"},
		{"日本語のタイトル", "日本語のタイトル"},
		{"Ελληνικά", "ελληνικά"},
		{"  ", "--"},
		{"", ""},
	} {
		if got := Slug(tc.in); got != tc.want {
			t.Errorf("Slug(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSlugUnique(t *testing.T) {
	var s slugger
	var got []string
	for _, in := range []string{"a", "a", "a-1", "a", ""} {
		got = append(got, s.unique(in))
	}
	// github-slugger: a, a-1, a-1-1 (a-1 taken), a-2, "".
	want := []string{"a", "a-1", "a-1-1", "a-2", ""}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("unique = %q, want %q", got, want)
	}
}

func TestHeadingAttributes(t *testing.T) {
	// What Hugo 0.111 (goldmark) makes of each heading; the site fixture of
	// TestSiteAgreesWithHugo holds the same shapes against Hugo itself.
	for _, tc := range []struct{ raw, text, id string }{
		{"Set up {#setup}", "Set up", "setup"},
		{"Set up {#setup .wide title=\"a b\" data-x=1}", "Set up", "setup"},
		{"Set up { #setup }", "Set up", "setup"},
		{"Tight{#tight}", "Tight", "tight"},
		{"Two {#a #b}", "Two", "b"},
		{"Pair {#a} {#b}", "Pair {#a}", "b"},
		{"Unicode {#café}", "Unicode", "café"},
		{"Classes {.a.b}", "Classes", ""},
		{"Empty {}", "Empty", ""},
		{"Closing ## {#closing}", "Closing", "closing"},
		{"C# {#csharp}", "C#", "csharp"},
		{"Braces {x}", "Braces {x}", ""},
		{"Template {{.Name}}", "Template {{.Name}}", ""},
		{"Extra {#x}}", "Extra {#x}}", ""},
		{"Colon {: #colon }", "Colon {: #colon }", ""},
		{"Hash {#}", "Hash {#}", ""},
		{"Slash {#a/b}", "Slash {#a/b}", ""},
		{"Quote {#q title='a b'}", "Quote {#q title='a b'}", ""},
		{"Open quote {#q title=\"a}", "Open quote {#q title=\"a}", ""},
		{"Bare name {#a data}", "Bare name {#a data}", ""},
		{`Escaped \{#lit\}`, `Escaped \{#lit\}`, ""},
		{"No block", "No block", ""},
		{"{#only}", "", "only"},
		// Docusaurus's comment forms.
		{"MDX comment {/* #mdx-id */}", "MDX comment", "mdx-id"},
		{"HTML comment <!-- #html-id -->", "HTML comment", "html-id"},
		{"Two words {/* #first second */}", "Two words", "first"},
		{"Plain comment {/* note */}", "Plain comment {/* note */}", ""},
		{"Plain HTML <!-- note -->", "Plain HTML <!-- note -->", ""},
		{"Odd {/*/}", "Odd {/*/}", ""},
	} {
		text, id := headingAttributes(tc.raw)
		if text != tc.text || id != tc.id {
			t.Errorf("headingAttributes(%q) = %q, %q; want %q, %q", tc.raw, text, id, tc.text, tc.id)
		}
	}
}

func TestHeadingKey(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		{"Q: why?", "Q why"},
		{"Goals & Risks", "goals risks"},
		{"Spaced   words", "spaced words"},
		{"`code` heading", "code heading"},
	} {
		if HeadingKey(tc.a) != HeadingKey(tc.b) {
			t.Errorf("HeadingKey(%q)=%q != HeadingKey(%q)=%q", tc.a, HeadingKey(tc.a), tc.b, HeadingKey(tc.b))
		}
	}
	if HeadingKey("Goals") == HeadingKey("Goal") {
		t.Error("different headings share a key")
	}
}

func TestParseNeverLosesPositions(t *testing.T) {
	// A long single line of hostile brackets must stay linear and correct.
	for _, in := range []string{
		strings.Repeat("[", 200000),
		strings.Repeat("[[", 100000),
		strings.Repeat("[a](", 50000),
		strings.Repeat("`", 3) + strings.Repeat("` ``", 30000),
		strings.Repeat("<!--", 50000),
		strings.Repeat("# [[x]] ", 20000),
		strings.Repeat("[![a](b)](c) ", 20000),
	} {
		d := Parse([]byte(in))
		checkInvariants(t, []byte(in), d)
	}
}
