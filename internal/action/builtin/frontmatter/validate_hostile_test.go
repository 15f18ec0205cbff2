package frontmatter

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/action/actiontest"
)

// hostileSchemas writes schema files built to cost time or memory, or to
// read files outside the vault, into dir (the configuration's folder), and
// returns the schema parameter of each, with the text its refusal must hold.
func hostileSchemas(t testing.TB, dir string) map[string][2]string {
	t.Helper()
	write := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var laughs strings.Builder
	laughs.WriteString("type: object\nl0: &l0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= 9; i++ {
		p := fmt.Sprintf("*l%d", i-1)
		fmt.Fprintf(&laughs, "l%d: &l%d [%s]\n", i, i, strings.Repeat(p+", ", 9)+p)
	}
	write("laughs.yaml", laughs.String())
	var deep strings.Builder
	for i := 0; deep.Len() < 200<<10; i++ {
		deep.WriteString(strings.Repeat(" ", i) + "properties:\n")
	}
	write("deep.yaml", deep.String())
	write("brackets.yaml", "type: "+strings.Repeat("[", 200<<10)+"\n")
	write("big.yaml", "type: object\n#"+strings.Repeat("x", 2<<20)+"\n")
	write("abs-ref.json", `{"$ref": "file:///etc/hostname"}`)
	write("rel-ref.json", `{"properties": {"a": {"$ref": "../../../../../../../../etc/hostname"}}}`)
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.json"), []byte(`{"type": "string"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	write("link-ref.json", `{"$ref": "link/secret.json"}`)
	return map[string][2]string{
		"billion laughs":              {"laughs.yaml", "more than 100000 values"},
		"200 KB of nested mappings":   {"deep.yaml", "nest more than 256 levels"},
		"200 KB of open brackets":     {"brackets.yaml", "nest more than 256 levels"},
		"2 MiB schema":                {"big.yaml", "larger than 1024 KiB"},
		"$ref to /etc/hostname":       {"abs-ref.json", "outside the folders a $ref may name"},
		"$ref climbing out":           {"rel-ref.json", "outside the folders a $ref may name"},
		"$ref through a link outside": {"link-ref.json", "may not lead out of"},
	}
}

func TestFrontmatterValidateHostileSchemas(t *testing.T) {
	dir := t.TempDir()
	for name, c := range hostileSchemas(t, dir) {
		t.Run(name, func(t *testing.T) {
			_, err := actiontest.New(t, "frontmatter.validate", "{schema: "+c[0]+"}", action.Build{ConfigDir: dir})
			if err == nil || !strings.Contains(err.Error(), c[1]) {
				t.Fatalf("got %v, want an error containing %q", err, c[1])
			}
			t.Log(err)
		})
	}
	// An inline schema's $ref is held to the configuration's folder too.
	_, err := actiontest.New(t, "frontmatter.validate", `{schema: {$ref: "file:///etc/hostname"}}`, action.Build{ConfigDir: dir})
	if err == nil || !strings.Contains(err.Error(), "outside the folders a $ref may name") {
		t.Fatalf("inline $ref: got %v", err)
	}
	// A $ref inside the folder still works.
	if err := os.WriteFile(filepath.Join(dir, "base.json"), []byte(`{"type": "object"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.yaml"), []byte("$ref: base.json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := actiontest.New(t, "frontmatter.validate", `{schema: main.yaml}`, action.Build{ConfigDir: dir}); err != nil {
		t.Fatalf("$ref inside the folder: %v", err)
	}
}

func BenchmarkFrontmatterValidateHostileSchemas(b *testing.B) {
	dir := b.TempDir()
	for name, c := range hostileSchemas(b, dir) {
		b.Run(strings.ReplaceAll(name, " ", "_"), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := actiontest.New(b, "frontmatter.validate", "{schema: "+c[0]+"}", action.Build{ConfigDir: dir}); err == nil {
					b.Fatal("accepted")
				}
			}
		})
	}
}
