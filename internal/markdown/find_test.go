package markdown

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestFind(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    Block
	}{
		{"empty file", "", Block{Newline: "\n"}},
		{"no front matter", "# Title\n\ntext\n", Block{Newline: "\n"}},
		{"no front matter CRLF", "# Title\r\ntext\r\n", Block{Newline: "\r\n"}},
		{"BOM without front matter", "\uFEFF# Title\n", Block{Start: 3, BodyStart: 3, YAMLStart: 3, YAMLEnd: 3, Newline: "\n"}},
		{"basic", "---\na: 1\n---\nbody\n", Block{Present: true, YAMLStart: 4, YAMLEnd: 9, BodyStart: 13, Newline: "\n"}},
		{"CRLF", "---\r\na: 1\r\n---\r\nbody\r\n", Block{Present: true, YAMLStart: 5, YAMLEnd: 11, BodyStart: 16, Newline: "\r\n"}},
		{"BOM", "\uFEFF---\na: 1\n---\n", Block{Present: true, Start: 3, YAMLStart: 7, YAMLEnd: 12, BodyStart: 16, Newline: "\n"}},
		{"dots close", "---\na: 1\n...\nbody", Block{Present: true, YAMLStart: 4, YAMLEnd: 9, BodyStart: 13, Newline: "\n"}},
		{"empty front matter", "---\n---\nbody\n", Block{Present: true, YAMLStart: 4, YAMLEnd: 4, BodyStart: 8, Newline: "\n"}},
		{"only front matter, no final newline", "---\na: 1\n---", Block{Present: true, YAMLStart: 4, YAMLEnd: 9, BodyStart: 12, Newline: "\n"}},
		{"fences with trailing blanks", "--- \t\na: 1\n---  \nb", Block{Present: true, YAMLStart: 6, YAMLEnd: 11, BodyStart: 17, Newline: "\n"}},
		{"thematic break in the body", "---\na: 1\n---\ntext\n---\nmore\n", Block{Present: true, YAMLStart: 4, YAMLEnd: 9, BodyStart: 13, Newline: "\n"}},
		{"closing fence CRLF, opening LF", "---\na: 1\n---\r\nx", Block{Present: true, YAMLStart: 4, YAMLEnd: 9, BodyStart: 14, Newline: "\n"}},
		{"unclosed is a thematic break", "---\na: 1\ntext\n", Block{Newline: "\n"}},
		{"fence alone", "---", Block{Newline: "\n"}},
		{"fence and newline only", "---\n", Block{Newline: "\n"}},
		{"four dashes is not a fence", "----\na: 1\n---\n", Block{Newline: "\n"}},
		{"text after dashes is not a fence", "--- a\nb: 1\n---\n", Block{Newline: "\n"}},
		{"indented fence is not a fence", " ---\na: 1\n---\n", Block{Newline: "\n"}},
		{"closing must be a whole line", "---\na: 1\n--- x\n----\n---\n", Block{Present: true, YAMLStart: 4, YAMLEnd: 20, BodyStart: 24, Newline: "\n"}},
		{"lone CR is not a newline", "---\ra: 1\n---\n", Block{Newline: "\n"}},
		{"dots cannot open", "...\na: 1\n...\n", Block{Newline: "\n"}},
		{"BOM in the middle is content", "---\n\uFEFFa: 1\n---\n", Block{Present: true, YAMLStart: 4, YAMLEnd: 12, BodyStart: 16, Newline: "\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Find([]byte(tt.content)); got != tt.want {
				t.Errorf("Find(%q)\n got %+v\nwant %+v", tt.content, got, tt.want)
			}
		})
	}
}

func TestBody(t *testing.T) {
	tests := []struct {
		content string
		body    string
		line    int
	}{
		{"", "", 1},
		{"text\n", "text\n", 1},
		{"\uFEFFtext\n", "text\n", 1},
		{"---\na: 1\n---\nbody\n", "body\n", 4},
		{"---\r\na: 1\r\nb: 2\r\n---\r\n\r\nbody", "\r\nbody", 5},
		{"---\na: 1\n---", "", 3},
		{"---\n---\n", "", 3},
		{"---\na: 1\n---\nx\n---\ny\n", "x\n---\ny\n", 4},
		{"---\nunclosed\n", "---\nunclosed\n", 1},
	}
	for _, tt := range tests {
		if got := string(Body([]byte(tt.content))); got != tt.body {
			t.Errorf("Body(%q) = %q, want %q", tt.content, got, tt.body)
		}
		if got := BodyLine([]byte(tt.content)); got != tt.line {
			t.Errorf("BodyLine(%q) = %d, want %d", tt.content, got, tt.line)
		}
	}
}

func TestFindDoesNotAllocate(t *testing.T) {
	content := []byte("---\ntitle: x\ntags: [a, b]\n---\n# Body\n\ntext\n")
	if n := testing.AllocsPerRun(100, func() { Find(content) }); n != 0 {
		t.Errorf("Find allocates %v times per call, want 0", n)
	}
}
