package escape

import (
	"encoding/base64"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestName(t *testing.T) {
	for _, tc := range []struct{ in, name, text string }{
		{"notes/a.md", "notes/a.md", "notes/a.md"},
		{"Café – ünïcode 📝.md", "Café – ünïcode 📝.md", "Café – ünïcode 📝.md"},
		{"a\x1b]0;pwned\x07.md", `a\x1b]0;pwned\x07.md`, `a\x1b]0;pwned\x07.md`},
		{"\x1b[2J.md", `\x1b[2J.md`, `\x1b[2J.md`},
		{"bad\xff\xfename.md", `bad\xff\xfename.md`, `bad\xff\xfename.md`},
		{"tab\there\nline\r", `tab\x09here\x0aline\x0d`, "tab\there\nline\\x0d"},
		{"crlf\r\nover\rwrite", `crlf\x0d\x0aover\x0dwrite`, "crlf\r\nover\\x0dwrite"},
		{"c1\u009b2J del\x7f", `c1\u009b2J del\x7f`, `c1\u009b2J del\x7f`},
		{"evil\u202etxt.md", `evil\u202etxt.md`, `evil\u202etxt.md`},
		{"back\\slash", `back\slash`, `back\slash`},
		{"\xe2\x80", `\xe2\x80`, `\xe2\x80`}, // a truncated sequence, byte by byte
		{"", "", ""},
	} {
		if got := Name(tc.in); got != tc.name {
			t.Errorf("Name(%q) = %q, want %q", tc.in, got, tc.name)
		}
		if got := Text(tc.in); got != tc.text {
			t.Errorf("Text(%q) = %q, want %q", tc.in, got, tc.text)
		}
	}
}

func TestBase64(t *testing.T) {
	if got := Base64("notes/a\x1b.md"); got != "" {
		t.Errorf("Base64 of valid UTF-8 = %q, want empty", got)
	}
	in := "notes/bad\xff\xfe.md"
	b, err := base64.StdEncoding.DecodeString(Base64(in))
	if err != nil || string(b) != in {
		t.Errorf("Base64 round trip = %q, %v", b, err)
	}
}

// FuzzName checks that nothing a terminal acts on survives escaping: the
// output is valid UTF-8 without control characters, and Text differs only
// by keeping newlines and tabs.
func FuzzName(f *testing.F) {
	for _, s := range []string{"a\x1b[2J", "\xff\xfe", "\u009b", "ok", "\r\n\t", "\u202e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, x := Name(s), Text(s)
		for _, out := range []string{n, x} {
			if !utf8.ValidString(out) {
				t.Fatalf("escaped %q is not valid UTF-8: %q", s, out)
			}
		}
		for _, r := range n {
			if needs(r, utf8.RuneLen(r), false) {
				t.Fatalf("Name(%q) = %q keeps %U", s, n, r)
			}
		}
		for i, r := range x {
			if needs(r, utf8.RuneLen(r), true) && !crlf(x, i, true) {
				t.Fatalf("Text(%q) = %q keeps %U", s, x, r)
			}
		}
		back := strings.NewReplacer("\r\n", `\x0d\x0a`, "\n", `\x0a`, "\t", `\x09`).Replace(x)
		if back != n {
			t.Fatalf("Text and Name differ beyond newlines, tabs and CRLF: %q vs %q", x, n)
		}
	})
}
