package index

import (
	"bytes"
	"strings"
	"testing"
)

func TestIndexParseRegions(t *testing.T) {
	content := "\ufeff<!-- scribe:index a -->\r\nx\r\n<!-- /scribe:index -->\r\n" +
		"   <!--   scribe:index b.c-d_1   -->  \n\t\n<!--/scribe:index b.c-d_1-->\n" +
		"<!-- scribe:indexes a -->\n<!-- other comment -->\n" +
		"```js\n<!-- scribe:index a -->\n```\n" +
		"<!-- scribe:index a -->\n```\n<!-- /scribe:index -->"
	regions, problems := parseRegions([]byte(content))
	if len(problems) != 0 {
		t.Fatalf("problems: %+v", problems)
	}
	type want struct {
		name      string
		line      int
		eol, body string
	}
	wants := []want{{"a", 1, "\r\n", "x\r\n"}, {"b.c-d_1", 4, "\n", "\t\n"}, {"a", 12, "\n", "```\n"}}
	if len(regions) != len(wants) {
		t.Fatalf("regions = %+v", regions)
	}
	for i, w := range wants {
		r := regions[i]
		if r.Name != w.name || r.Line != w.line || r.EOL != w.eol || content[r.Start:r.End] != w.body {
			t.Errorf("region %d = %+v body %q, want %+v", i, r, content[r.Start:r.End], w)
		}
	}
}

// FuzzIndexRegions checks that the region parser never panics and that
// regenerating regions keeps every byte outside their bodies, keeps the
// regions themselves, and is idempotent.
func FuzzIndexRegions(f *testing.F) {
	for _, s := range []string{
		"<!-- scribe:index a -->\n<!-- /scribe:index -->\n",
		"x\r\n<!-- scribe:index a -->\r\nold\r\n<!-- /scribe:index -->\r\ny",
		"```\n<!-- scribe:index a -->\n```\n<!-- scribe:index a -->\n\n<!-- /scribe:index a -->",
		"~~~~\n~~~\n<!-- scribe:index a -->\n~~~~\n<!-- scribe:index a -->\n",
		"<!-- scribe:index a -->\n<!-- scribe:index b -->\n<!-- /scribe:index -->\n<!-- /scribe:index -->",
		"\ufeff<!-- scribe:index a -->\n<!-- /scribe:index -->",
		"<!---->\n<!-->\n<!-- scribe:index -->\n<!-- /scribe:index x y -->\n",
		"   <!-- scribe:index a -->\n    <!-- /scribe:index -->\n<!-- /scribe:index -->\n",
	} {
		f.Add([]byte(s), "- one\n- two\n")
	}
	f.Add([]byte("<!-- scribe:index a -->\n<!-- /scribe:index -->\n"), "<!-- /scribe:index -->\n")
	f.Add([]byte("<!-- scribe:index a -->\n<!-- /scribe:index -->\n"), "```\n")
	f.Fuzz(func(t *testing.T, content []byte, body string) {
		regions, problems := parseRegions(content)
		for _, r := range regions {
			if r.Start < 0 || r.Start > r.End || r.End > len(content) {
				t.Fatalf("bad bounds %+v for %d bytes", r, len(content))
			}
		}
		for _, p := range problems {
			if p.Line < 1 || p.Msg == "" {
				t.Fatalf("bad problem %+v", p)
			}
		}
		if len(regions) == 0 {
			return
		}
		name := regions[0].Name
		body = strings.ReplaceAll(body, "\r", "") // the renderer emits LF only
		if body != "" && !strings.HasSuffix(body, "\n") {
			body += "\n"
		}
		out, err := replaceRegion(content, regions, name, body)
		if err != nil {
			return // body would break the structure: refused, nothing written
		}
		again, problems2 := parseRegions(out)
		if len(again) != len(regions) || len(problems2) != len(problems) {
			t.Fatalf("structure changed: %d→%d regions, %d→%d problems", len(regions), len(again), len(problems), len(problems2))
		}
		// Bytes outside the regenerated bodies are identical, in order.
		last, lastOut := 0, 0
		for i, r := range regions {
			g := again[i]
			if g.Name != r.Name {
				t.Fatalf("region %d renamed %q→%q", i, r.Name, g.Name)
			}
			if r.Name != name {
				continue
			}
			if !bytes.Equal(content[last:r.Start], out[lastOut:g.Start]) {
				t.Fatalf("bytes before region %d changed:\n%q\n%q", i, content[last:r.Start], out[lastOut:g.Start])
			}
			want := body
			if r.EOL == "\r\n" {
				want = strings.ReplaceAll(body, "\n", "\r\n")
			}
			if string(out[g.Start:g.End]) != want {
				t.Fatalf("region %d body = %q, want %q", i, out[g.Start:g.End], want)
			}
			last, lastOut = r.End, g.End
		}
		if !bytes.Equal(content[last:], out[lastOut:]) {
			t.Fatalf("bytes after the last region changed")
		}
		twice, err := replaceRegion(out, again, name, body)
		if err != nil || !bytes.Equal(twice, out) {
			t.Fatalf("not idempotent: %v", err)
		}
	})
}
