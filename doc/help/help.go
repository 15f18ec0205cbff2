// Package help holds the texts of `scribe help TOPIC`: short Markdown pages
// kept beside the rest of the documentation and embedded in the binary, so
// that the terminal, the man pages (scribe-TOPIC(7)) and the repository show
// the same words.
package help

import (
	"embed"
	"strings"
)

//go:embed *.md
var files embed.FS

// Topic is one help topic.
type Topic struct {
	// Name is what `scribe help NAME` takes.
	Name string
	// Short is a one-line summary.
	Short string
	// Text is the page, Markdown.
	Text string
}

// topics lists the topics in the order `scribe help` shows them.
var topics = []struct{ name, short string }{
	{"config", "The configuration file: roots, include, engine, bus, http, security, rules"},
	{"rules", "How rules select files: globs, match, when conditions and origin"},
	{"templates", "Template parameters: .Path, .FM, .Match, now, date and the other functions"},
	{"git", "Scribe in a git work tree: held writes, committed content, --changed/--staged/--since"},
	{"exit-codes", "What each command's exit code means"},
	{"service", "Running the daemon as a systemd user service, and scribe doctor"},
}

// aliases are other names users try.
var aliases = map[string]string{"conditions": "rules", "when": "rules", "origin": "rules", "exit": "exit-codes", "codes": "exit-codes", "configuration": "config"}

// Topics returns every topic.
func Topics() []Topic {
	out := make([]Topic, 0, len(topics))
	for _, t := range topics {
		b, err := files.ReadFile(t.name + ".md")
		if err != nil {
			panic("help: topic " + t.name + " has no page: " + err.Error())
		}
		out = append(out, Topic{Name: t.name, Short: t.short, Text: string(b)})
	}
	return out
}

// Find returns the topic name (or an alias) names.
func Find(name string) (Topic, bool) {
	name = strings.ToLower(name)
	if a, ok := aliases[name]; ok {
		name = a
	}
	for _, t := range Topics() {
		if t.Name == name {
			return t, true
		}
	}
	return Topic{}, false
}
