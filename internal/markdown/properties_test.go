package markdown

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// Logseq pages as Logseq writes them (shapes from public graphs).
func TestPropertiesParse(t *testing.T) {
	for _, c := range []struct {
		name, content string
		want          map[string]any
	}{
		{"page properties", "alias:: Accounts\ntype:: [[Concept]]\npublic:: true\npriority:: 3\nweight:: 0.5\n\n- first block\n",
			map[string]any{"alias": []any{"Accounts"}, "type": "[[Concept]]", "public": true, "priority": 3, "weight": 0.5}},
		{"tags", "tags:: [[Project X]], reading, #later\ntitle:: Plan: Q1\n- body\n",
			map[string]any{"tags": []any{"Project X", "reading", "later"}, "title": "Plan: Q1"}},
		{"CRLF and an empty value", "status:: todo\r\nempty::\r\n\r\n- b\r\n", map[string]any{"status": "todo", "empty": ""}},
		{"a key twice: the first", "a:: 1\na:: 2\n", map[string]any{"a": 1}},
		{"no properties", "- just a block\nkey:: later\n", map[string]any{}},
		{"a heading first", "# Title\nkey:: v\n", map[string]any{}},
		{"YAML wins", "---\ntitle: yaml\n---\nkey:: v\n", map[string]any{"title": "yaml"}},
		{"not a key", "std::vector is a type\n", map[string]any{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseAs([]byte(c.content), Logseq)
			if err != nil || !reflect.DeepEqual(got, c.want) {
				t.Errorf("ParseAs = %#v, %v; want %#v", got, err, c.want)
			}
			if !strings.HasPrefix(c.content, "---") {
				if std, _ := Parse([]byte(c.content)); len(std) != 0 {
					t.Errorf("Standard dialect read %v", std)
				}
			}
		})
	}
}

func TestPropertiesSet(t *testing.T) {
	day := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name, content string
		fields        []Field
		want          string
	}{
		{"a value replaced", "alias:: Accounts\nstatus:: todo\n\n- body\n", []Field{{"status", "done"}},
			"alias:: Accounts\nstatus:: done\n\n- body\n"},
		{"a key matched ignoring case", "Status:: todo\n- body\n", []Field{{"status", "done"}}, "Status:: done\n- body\n"},
		{"a new key after the last", "alias:: Accounts\n\n- body\n", []Field{{"updated", day}},
			"alias:: Accounts\nupdated:: 2026-12-07\n\n- body\n"},
		{"a page without properties", "- first block\n  - child\n", []Field{{"updated", day}, {"tags", []any{"a", "b c"}}},
			"updated:: 2026-12-07\ntags:: a, b c\n\n- first block\n  - child\n"},
		{"an empty page", "", []Field{{"n", 3}}, "n:: 3\n"},
		{"CRLF kept", "status:: todo\r\n\r\n- b\r\n", []Field{{"status", "done"}, {"n", 1.5}}, "status:: done\r\nn:: 1.5\r\n\r\n- b\r\n"},
		{"a last line without newline", "status:: todo", []Field{{"n", true}}, "status:: todo\nn:: true\n"},
		{"unchanged", "status:: done\n", []Field{{"status", "done"}}, "status:: done\n"},
		{"YAML front matter is YAML's", "---\ntitle: x\n---\n- b\n", []Field{{"status", "done"}}, "---\ntitle: x\nstatus: done\n---\n- b\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := SetAs([]byte(c.content), c.fields, Logseq)
			if err != nil || string(out) != c.want {
				t.Fatalf("SetAs = %q, %v; want %q", out, err, c.want)
			}
			again, err := SetAs(out, c.fields, Logseq)
			if err != nil || string(again) != string(out) {
				t.Errorf("not idempotent: %q, %v", again, err)
			}
		})
	}
	for _, c := range []struct {
		name  string
		value any
		want  string
	}{
		{"null", nil, "no null value"},
		{"a line break", "a\nb", "one line"},
		{"a mapping", map[string]any{"a": 1}, "not map"},
		{"a comma in an item", []any{"a,b"}, "comma"},
		{"spaces around", " x", "spaces"},
	} {
		if _, err := SetAs([]byte("k:: v\n"), []Field{{"k", c.value}}, Logseq); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want it to say %q", c.name, err, c.want)
		}
	}
	if _, err := SetAs([]byte("- b\n"), []Field{{"a b", "x"}}, Logseq); err == nil {
		t.Error("a key with a space was written as a property")
	}
	in := []byte("status:: done\n")
	if out, _ := SetAs(in, []Field{{"status", "done"}}, Logseq); &out[0] != &in[0] {
		t.Error("an unchanged page is not returned as itself")
	}
}

func TestPropertiesDelete(t *testing.T) {
	for content, want := range map[string]string{
		"status:: todo\nalias:: A\n\n- b\n": "alias:: A\n\n- b\n",
		"status:: todo\n\n- b\n":            "- b\n",
		"status:: todo\r\nx:: 1\r\n":        "x:: 1\r\n",
		"- b\nstatus:: todo\n":              "- b\nstatus:: todo\n",
	} {
		if out, err := DeleteAs([]byte(content), []string{"status"}, Logseq); err != nil || string(out) != want {
			t.Errorf("DeleteAs(%q) = %q, %v; want %q", content, out, err, want)
		}
	}
}

// FuzzProperties: whatever the page, a value set reads back as its text
// reads, setting it again changes nothing, and deleting it removes it.
func FuzzProperties(f *testing.F) {
	for _, s := range []string{"", "alias:: A\n\n- b\n", "k:: v\r\n", "- b\n", "a:: 1\na:: 2\n", "x::\n", "---\na: 1\n---\n", "\ufeffk:: v\n"} {
		f.Add([]byte(s), "status", "done")
	}
	f.Fuzz(func(t *testing.T, content []byte, key, value string) {
		out, err := SetAs(content, []Field{{key, value}}, Logseq)
		if err != nil {
			return
		}
		got, err := ParseAs(out, Logseq)
		if err != nil {
			return // front matter of another format, invalid: Set's to judge
		}
		if FindAs(out, Logseq).Format == Properties {
			if want := propertyValue(key, value); !reflect.DeepEqual(got[lowerKey(got, key)], want) {
				t.Fatalf("set %q = %q in %q: %q reads %#v, want %#v", key, value, content, out, got, want)
			}
		}
		again, err := SetAs(out, []Field{{key, value}}, Logseq)
		if err != nil || string(again) != string(out) {
			t.Fatalf("not idempotent: %q → %q (%v)", out, again, err)
		}
	})
}

// lowerKey is the key of m that matches k ignoring case, as set found it.
func lowerKey(m map[string]any, k string) string {
	for mk := range m {
		if strings.EqualFold(mk, k) {
			if _, exact := m[k]; exact {
				return k
			}
			return mk
		}
	}
	return k
}
