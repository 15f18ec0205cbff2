package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cpuguy83/go-md2man/v2/md2man"
	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/scribe-md/scribe/doc/help"
)

// newManCmd generates the man pages: one per command (section 1) from the
// command tree, one per help topic (section 7). Hidden: it is for packagers
// and `make man`, not for daily use.
func newManCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:    "man DIR",
		Short:  "Write the man pages (scribe.1, scribe-COMMAND.1, scribe-TOPIC.7) to DIR",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := writeManPages(cmd.Root(), args[0])
			if err != nil {
				return fail(ExitFailure, err)
			}
			fmt.Fprintf(g.stdout, "wrote %d man pages to %s; view one with `man -l %s`\n", n, args[0], filepath.Join(args[0], "scribe.1"))
			return nil
		},
	}
}

// manDate is the date the pages carry: SOURCE_DATE_EPOCH's, for
// reproducible builds, else today.
func manDate() time.Time {
	if e, err := strconv.ParseInt(os.Getenv("SOURCE_DATE_EPOCH"), 10, 64); err == nil {
		return time.Unix(e, 0).UTC()
	}
	return time.Now().UTC()
}

func writeManPages(root *cobra.Command, dir string) (int, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	root.DisableAutoGenTag = true
	when := manDate()
	header := &doc.GenManHeader{Title: "SCRIBE", Section: "1", Source: "Scribe " + Version, Manual: "Scribe Manual", Date: &when}
	if err := doc.GenManTree(root, header, dir); err != nil {
		return 0, err
	}
	date := when.Format("Jan 2006")
	for _, t := range help.Topics() {
		title, body, _ := strings.Cut(t.Text, "\n")
		title = strings.TrimSpace(strings.TrimPrefix(title, "#"))
		var md bytes.Buffer
		fmt.Fprintf(&md, "%% SCRIBE-%s 7 %q %q %q\n\n", strings.ToUpper(t.Name), date, "Scribe "+Version, "Scribe Manual")
		fmt.Fprintf(&md, "# NAME\n\nscribe-%s - %s\n\n# DESCRIPTION\n%s\n# SEE ALSO\n\nscribe(1), `scribe help %s`\n", t.Name, title, body, t.Name)
		if err := os.WriteFile(filepath.Join(dir, "scribe-"+t.Name+".7"), md2man.Render(md.Bytes()), 0o644); err != nil {
			return 0, err
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".1") || strings.HasSuffix(e.Name(), ".7") {
			n++
		}
	}
	return n, nil
}
