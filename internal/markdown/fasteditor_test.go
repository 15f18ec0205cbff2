package markdown

import (
	"reflect"
	"testing"
)

// FuzzFastEditor holds the fast layout path to the YAML parser's: wherever
// the fast path answers, it maps the same keys to the same lines.
func FuzzFastEditor(f *testing.F) {
	for _, s := range []string{
		"---\ntitle: A\ntags: [a, b]\n---\nbody\n",
		"---\r\n# c\r\nk: 'q' # x\r\n\r\nn: 3\r\n---\r\n",
		"\ufeff---\na:\nb: \"s\"\n---",
		"---\nk: v\n# trailing\n\n---\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, content []byte) {
		b := Find(content)
		if !b.Present {
			return
		}
		fast, ok := newFastEditor(content, b)
		if !ok {
			return
		}
		full, err := newFullEditor(content, b)
		if err != nil {
			t.Fatalf("fast path accepted what the parser rejects: %v\n%q", err, content)
		}
		if !reflect.DeepEqual(fast.entries, full.entries) || !reflect.DeepEqual(fast.lines, full.lines) ||
			fast.indent != full.indent || !reflect.DeepEqual(fast.byKey, full.byKey) {
			t.Fatalf("layouts differ for %q\nfast: %+v\nfull: %+v", content, fast.entries, full.entries)
		}
	})
}
