package actiontest

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// GenVault writes n notes of about 1.5 KB with about ten links each into
// dir, deterministically: wiki links by name and to headings and blocks,
// relative Markdown links with anchors, embeds of attachments, and about one
// broken link in a hundred. It returns the note paths, sorted. The
// links and index benchmarks run on its 10,000 notes.
func GenVault(tb testing.TB, dir string, n int) []string {
	tb.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	const folders = 100
	name := func(i int) string { return fmt.Sprintf("Note %05d", i) }
	folder := func(i int) string { return fmt.Sprintf("area-%02d", i%folders) }
	if err := os.MkdirAll(filepath.Join(dir, "attachments"), 0o755); err != nil {
		tb.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		if err := os.WriteFile(filepath.Join(dir, "attachments", fmt.Sprintf("img-%02d.png", i)), []byte("PNG"), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	paths := make([]string, 0, n)
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.Reset()
		fmt.Fprintf(&b, "---\ntitle: %s\ntags: [bench, t%d]\n---\n# %s\n\n", name(i), i%17, name(i))
		for s := 1; s <= 3; s++ {
			fmt.Fprintf(&b, "## Section %d\n\nSome prose about the topic of this section, long enough to look like a real note. ", s)
			for k := 0; k < 3; k++ {
				j := r.IntN(n)
				switch r.IntN(7) {
				case 0:
					fmt.Fprintf(&b, "See [[%s#Section %d]]. ", name(j), 1+r.IntN(3))
				case 1:
					fmt.Fprintf(&b, "Also [that note](../%s/Note%%20%05d.md#section-%d). ", folder(j), j, 1+r.IntN(3))
				case 2:
					fmt.Fprintf(&b, "Decided in [[%s#^b1|this decision]]. ", name(j))
				case 3:
					fmt.Fprintf(&b, "![[img-%02d.png]] ", r.IntN(20))
				default:
					fmt.Fprintf(&b, "Related: [[%s]]. ", name(j))
				}
			}
			if r.IntN(100) < 3 {
				fmt.Fprintf(&b, "A typo [[Note %05dx]]. ", r.IntN(n))
			}
			b.WriteString("\n\n`[[not a link]]` and more text to pad the paragraph out. ^b")
			fmt.Fprintf(&b, "%d\n\n", s)
		}
		p := folder(i) + "/" + name(i) + ".md"
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(b.String()), 0o644); err != nil {
			tb.Fatal(err)
		}
		paths = append(paths, p)
	}
	slices.Sort(paths)
	return paths
}
