package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// generateVault writes an Obsidian-style vault of n notes under out:
//
//   - notes in area-NN/topic-NN/ (100 folders), 1–4 KiB each, named
//     note-N.md, except about one in a hundred named "Note N.md" (a naming
//     violation); every note starts with front matter (title, aliases on a
//     third of them, tags, status, created, sometimes priority and a type);
//   - each note has the headings "Summary" and "Details" plus a few random
//     ones, and a block id ^key; links (about links per note) go to notes by
//     name, with an alias, to a heading, to a block, as relative Markdown
//     links with an anchor, and as embeds of attachments/img-NN.png;
//   - about 1% of the links are broken (a missing note, heading or block),
//     some links sit in code, where they are not links;
//   - about one note in ten has a TODO line, one in fifty a task list;
//   - home.md holds two index regions (recent and active), and schemas/
//     note.schema.json a JSON Schema the notes satisfy.
func generateVault(out string, n, links int, seed uint64) error {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	statuses := []string{"draft", "active", "done", "archived"}
	types := []string{"note", "meeting", "decision", "reference"}
	dirOf := func(i int) string { return fmt.Sprintf("area-%02d/topic-%02d", i%10, (i/10)%10) }
	nameOf := func(i int) string {
		if i%97 == 13 {
			return fmt.Sprintf("Note %d", i)
		}
		return fmt.Sprintf("note-%d", i)
	}
	if err := os.MkdirAll(filepath.Join(out, "attachments"), 0o755); err != nil {
		return err
	}
	for i := range 20 {
		png := []byte("\x89PNG\r\n\x1a\n" + strings.Repeat("x", 100+i))
		if err := os.WriteFile(filepath.Join(out, "attachments", fmt.Sprintf("img-%02d.png", i)), png, 0o644); err != nil {
			return err
		}
	}
	var b strings.Builder
	for i := range n {
		b.Reset()
		dir := dirOf(i)
		fmt.Fprintf(&b, "---\ntitle: %s %s %d\n", title(pick(r)), pick(r), i)
		if r.IntN(3) == 0 {
			fmt.Fprintf(&b, "aliases:\n  - %s %d\n  - %s-%d\n", title(pick(r)), i, pick(r), i)
		}
		fmt.Fprintf(&b, "tags: [%s, %s/%s]\nstatus: %s\ncreated: 2026-%02d-%02d\n",
			pick(r), pick(r), pick(r), statuses[r.IntN(len(statuses))], 1+r.IntN(12), 1+r.IntN(28))
		if r.IntN(3) == 0 {
			fmt.Fprintf(&b, "priority: %d\n", r.IntN(5))
		}
		if r.IntN(2) == 0 {
			fmt.Fprintf(&b, "type: %s\n", types[r.IntN(len(types))])
		}
		b.WriteString("---\n")
		fmt.Fprintf(&b, "# %s\n\n## Summary\n\n", nameOf(i))
		prose(&b, r, 20+r.IntN(30))
		b.WriteString(" ^key\n\n")
		sections := 1 + r.IntN(4)
		perSection := max(1, links/sections)
		for s := range sections {
			if s == 0 {
				b.WriteString("## Details\n\n")
			} else {
				fmt.Fprintf(&b, "## %s %s\n\n", title(pick(r)), pick(r))
			}
			prose(&b, r, 20+r.IntN(40))
			for range perSection {
				b.WriteByte(' ')
				vaultLink(&b, r, n, dir, dirOf, nameOf)
			}
			b.WriteString("\n\n")
			if r.IntN(4) == 0 {
				fmt.Fprintf(&b, "```\nnot a link: [[%s]]\n```\n\n", nameOf(r.IntN(n)))
			}
		}
		if r.IntN(10) == 0 {
			fmt.Fprintf(&b, "TODO: %s %s\n", pick(r), pick(r))
		}
		if r.IntN(50) == 0 {
			fmt.Fprintf(&b, "- [ ] %s %s\n- [x] %s\n", pick(r), pick(r), pick(r))
		}
		p := filepath.Join(out, filepath.FromSlash(dir), nameOf(i)+".md")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	const home = "---\ntitle: Home\n---\n# Home\n\n## Recently created\n\n<!-- scribe:index recent -->\n<!-- /scribe:index -->\n\n" +
		"## Active, by priority\n\n<!-- scribe:index active -->\n<!-- /scribe:index -->\n"
	if err := os.WriteFile(filepath.Join(out, "home.md"), []byte(home), 0o644); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(out, "schemas"), 0o755); err != nil {
		return err
	}
	const schema = `{
  "type": "object",
  "required": ["title", "status"],
  "properties": {
    "title": {"type": "string", "minLength": 1},
    "aliases": {"type": "array", "items": {"type": "string"}},
    "tags": {"type": "array", "items": {"type": "string"}},
    "status": {"enum": ["draft", "active", "done", "archived"]},
    "priority": {"type": "integer", "minimum": 0, "maximum": 4},
    "type": {"enum": ["note", "meeting", "decision", "reference"]}
  }
}
`
	return os.WriteFile(filepath.Join(out, "schemas", "note.schema.json"), []byte(schema), 0o644)
}

// vaultLink writes one link from a note in dir, of a random kind; about
// one in a hundred is broken.
func vaultLink(b *strings.Builder, r *rand.Rand, n int, dir string, dirOf func(int) string, nameOf func(int) string) {
	j := r.IntN(n)
	broken := r.IntN(100) == 0
	switch k := r.IntN(10); {
	case k < 4:
		if broken {
			fmt.Fprintf(b, "See [[note-%d]].", n+j)
			return
		}
		fmt.Fprintf(b, "See [[%s]].", nameOf(j))
	case k == 4:
		fmt.Fprintf(b, "As in [[%s|%s %s]].", nameOf(j), pick(r), pick(r))
	case k == 5:
		h := "Details"
		if broken {
			h = "Conclusion"
		}
		fmt.Fprintf(b, "Read [[%s#%s]].", nameOf(j), h)
	case k == 6:
		id := "key"
		if broken {
			id = "gone"
		}
		fmt.Fprintf(b, "Decided in [[%s#^%s|this]].", nameOf(j), id)
	case k == 7:
		rel := relPath(dir, dirOf(j)+"/"+nameOf(j)+".md")
		anchor := "summary"
		if broken {
			anchor = "summary-2"
		}
		fmt.Fprintf(b, "Also [%s](%s#%s).", pick(r), strings.ReplaceAll(rel, " ", "%20"), anchor)
	case k == 8:
		fmt.Fprintf(b, "![[img-%02d.png]]", r.IntN(20))
	default:
		fmt.Fprintf(b, "Related: [[%s/%s]].", dirOf(j), nameOf(j))
	}
}

// relPath is the relative slash path from directory from to file to.
func relPath(from, to string) string {
	f, t := strings.Split(from, "/"), strings.Split(path.Dir(to), "/")
	i := 0
	for i < len(f) && i < len(t) && f[i] == t[i] {
		i++
	}
	return strings.Repeat("../", len(f)-i) + strings.Join(append(t[i:], path.Base(to)), "/")
}

func prose(b *strings.Builder, r *rand.Rand, words int) {
	for w := range words {
		if w > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(pick(r))
	}
}

func title(s string) string { return strings.ToUpper(s[:1]) + s[1:] }
