// Command corpus writes a deterministic tree of Markdown notes for benchmarks:
// the same flags always give the same bytes.
//
//	go run ./bench/corpus -n 20000 -out /tmp/corpus
//	go run ./bench/corpus -vault -n 10000 -out /tmp/vault
//
// The default shape is plain notes for rule benchmarks: front matter, prose,
// a few wiki links, sometimes a TODO line. With -vault it writes what an
// Obsidian vault holds (see vault.go): aliases and tags, headings and block
// ids, wiki links to notes, headings and blocks, Markdown links, embeds of
// attachments, a few broken links and a few badly named files, and a home
// note with index regions.
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

var words = strings.Fields(`alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima
mike november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu engine
vault note link index catalog rule action watcher writer atomic rename fsync daemon cluster`)

func main() {
	n := flag.Int("n", 20000, "number of notes")
	out := flag.String("out", "", "output directory (created)")
	seed := flag.Uint64("seed", 1, "random seed")
	links := flag.Int("links", 4, "wiki links per note (-vault: links of every kind per note)")
	vault := flag.Bool("vault", false, "write an Obsidian-style vault (see the package comment)")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "corpus: -out is required")
		os.Exit(2)
	}
	gen := generate
	if *vault {
		gen = generateVault
	}
	if err := gen(*out, *n, *links, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "corpus:", err)
		os.Exit(1)
	}
}

// generate writes n notes spread over 100 directories (about 200 per
// directory at 20,000), each 1–4 KiB with front matter, headings, tasks, links.
func generate(out string, n, links int, seed uint64) error {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	statuses := []string{"draft", "active", "done", "archived"}
	for i := range n {
		dir := filepath.Join(out, fmt.Sprintf("area-%02d", i%10), fmt.Sprintf("topic-%02d", (i/10)%10))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		var b strings.Builder
		fmt.Fprintf(&b, "---\ntitle: Note %d\nstatus: %s\ntags: [%s, %s]\ncreated: 2026-%02d-%02d\n",
			i, statuses[r.IntN(len(statuses))], pick(r), pick(r), 1+r.IntN(12), 1+r.IntN(28))
		if r.IntN(3) == 0 {
			fmt.Fprintf(&b, "priority: %d\n", r.IntN(5))
		}
		b.WriteString("---\n")
		fmt.Fprintf(&b, "# Note %d\n\n", i)
		paras := 2 + r.IntN(6)
		for p := range paras {
			if p > 0 && r.IntN(3) == 0 {
				fmt.Fprintf(&b, "## %s %s\n\n", pick(r), pick(r))
			}
			for range 20 + r.IntN(40) {
				b.WriteString(pick(r))
				b.WriteByte(' ')
			}
			b.WriteString("\n\n")
		}
		for range links {
			fmt.Fprintf(&b, "- see [[note-%d]]\n", r.IntN(n))
		}
		if r.IntN(10) == 0 {
			fmt.Fprintf(&b, "TODO: %s %s\n", pick(r), pick(r))
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("note-%d.md", i)), []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func pick(r *rand.Rand) string { return words[r.IntN(len(words))] }
