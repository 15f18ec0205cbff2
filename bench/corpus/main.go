// Command corpus writes a deterministic tree of Markdown notes for benchmarks:
// the same seed, count and flags always give the same bytes.
//
//	go run ./bench/corpus -n 20000 -out /tmp/corpus
//	go run ./bench/corpus -n 20000 -change 0.1 -out /tmp/corpus
//	go run ./bench/corpus -vault -n 10000 -out /tmp/vault
//
// The default shape is plain notes for rule benchmarks: front matter, prose,
// a few wiki links. About 10% of the notes hold a `TODO:` line, a quarter
// have status draft and a third a priority from 0 to 4. With -change F,
// exactly the fraction F of the notes (spread evenly) holds one of what the
// rule set of bench/check.sh changes — a `TODO:` line, status draft, or
// priority 3 or 4 — and no other note holds any of them, so a check of that
// tree has exactly that many files to change.
//
// With -vault it writes what an Obsidian vault holds (see vault.go): aliases
// and tags, headings and block ids, wiki links to notes, headings and blocks,
// Markdown links, embeds of attachments, a few broken links and a few badly
// named files, and a home note with index regions.
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
	change := flag.Float64("change", -1, "fraction of notes bench/check.sh's rules change (0 to 1; default: the mix described in the package doc)")
	dirs := flag.Int("dirs", 100, "number of directories (100: area-NN/topic-NN; more: area-NNNN/topic-NN, 100 topics per area)")
	vault := flag.Bool("vault", false, "write an Obsidian-style vault (see the package comment)")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "corpus: -out is required")
		os.Exit(2)
	}
	if *change > 1 || *change < 0 && *change != -1 {
		fmt.Fprintln(os.Stderr, "corpus: -change must be a fraction from 0 to 1")
		os.Exit(2)
	}
	if *dirs < 1 {
		fmt.Fprintln(os.Stderr, "corpus: -dirs must be at least 1")
		os.Exit(2)
	}
	if *vault && *change != -1 {
		fmt.Fprintln(os.Stderr, "corpus: -change does not apply to -vault")
		os.Exit(2)
	}
	var err error
	if *vault {
		err = generateVault(*out, *n, *links, *seed)
	} else {
		err = generate(*out, *n, *dirs, *links, *seed, *change)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "corpus:", err)
		os.Exit(1)
	}
}

// generate writes n notes spread over dirs directories (about 200 per
// directory at 20,000 in the default 100), each 1–4 KiB with front matter,
// headings, tasks, links. change < 0 keeps the default mix; otherwise see the
// package doc.
func generate(out string, n, dirs, links int, seed uint64, change float64) error {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	statuses := []string{"draft", "active", "done", "archived"}
	for i := range n {
		dir := filepath.Join(out, fmt.Sprintf("area-%02d", i%10), fmt.Sprintf("topic-%02d", (i/10)%10))
		if dirs != 100 {
			d := i % dirs
			dir = filepath.Join(out, fmt.Sprintf("area-%04d", d/100), fmt.Sprintf("topic-%02d", d%100))
		}
		if i < dirs {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
		}
		// trigger is what makes this note change under -change: 0 none,
		// 1 a TODO: line, 2 status draft, 3 a priority of 3 or 4.
		trigger := -1
		if change >= 0 {
			trigger = 0
			if int(float64(i+1)*change) > int(float64(i)*change) {
				trigger = 1 + r.IntN(3)
			}
		}
		status := statuses[r.IntN(len(statuses))]
		switch {
		case trigger == 2:
			status = "draft"
		case trigger >= 0 && status == "draft":
			status = statuses[1+r.IntN(len(statuses)-1)]
		}
		var b strings.Builder
		fmt.Fprintf(&b, "---\ntitle: Note %d\nstatus: %s\ntags: [%s, %s]\ncreated: 2026-%02d-%02d\n",
			i, status, pick(r), pick(r), 1+r.IntN(12), 1+r.IntN(28))
		switch {
		case trigger == 3:
			fmt.Fprintf(&b, "priority: %d\n", 3+r.IntN(2))
		case trigger >= 0:
			if r.IntN(3) == 0 {
				fmt.Fprintf(&b, "priority: %d\n", r.IntN(3))
			}
		case r.IntN(3) == 0:
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
		if trigger == 1 || trigger < 0 && r.IntN(10) == 0 {
			fmt.Fprintf(&b, "TODO: %s %s\n", pick(r), pick(r))
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("note-%d.md", i)), []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func pick(r *rand.Rand) string { return words[r.IntN(len(words))] }
