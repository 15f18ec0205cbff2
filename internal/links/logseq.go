package links

import (
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"olympos.io/encoding/edn"

	"github.com/scribe-md/scribe/internal/markdown"
)

// Logseq is the layout of a Logseq graph, whose wiki links name pages, not
// files: a page is a file of the Pages folder named after the page (a
// namespace's "/" written "___", characters file systems refuse
// percent-encoded: pages/Account___User.md is [[Account/User]],
// pages/Beyond%3A Blockchain.md is [[Beyond: Blockchain]]), or a day's
// journal in the Journals folder (journals/2024_01_15.md is [[Jan 15th,
// 2024]] with Logseq's default title format), or a page that names it in
// its alias:: or title:: property. Names match ignoring case, as Logseq
// matches them.
type Logseq struct {
	// Pages and Journals are the folders of pages and journals, relative
	// to the root (Logseq's :pages-directory and :journals-directory;
	// default "pages" and "journals").
	Pages, Journals string
	// LegacyNames is Logseq's :file/name-format :legacy, the format of
	// graphs made before Logseq 0.8.9: "/" is percent-encoded, and a "." in
	// a file name is a "/" of the page's name. Otherwise (:triple-lowbar)
	// "/" is written "___".
	LegacyNames bool
	// JournalFile and JournalTitle are the date formats of a journal's file
	// name and of its page's name (:journal/file-name-format and
	// :journal/page-title-format; default "yyyy_MM_dd" and "MMM do, yyyy"),
	// in Logseq's notation: yyyy, yy, MMMM (January), MMM (Jan), MM, M,
	// dd, d, do (1st), EEEE (Monday), EEE, EE and E (Mon); other characters
	// are themselves.
	JournalFile, JournalTitle string
	// Hidden are the folders and files Logseq leaves out of the graph
	// (:hidden), as its settings write them ("/archive", relative to the
	// graph's folder). Links do not use them; scribe init excludes them.
	Hidden []string
}

// LogseqGraph returns Logseq's default layout, as a graph made by a recent
// Logseq has it.
func LogseqGraph() *Logseq {
	return &Logseq{Pages: "pages", Journals: "journals", JournalFile: "yyyy_MM_dd", JournalTitle: "MMM do, yyyy"}
}

// LogseqConfig is the file of a Logseq graph's settings, relative to the
// graph's folder.
const LogseqConfig = markdown.LogseqConfig

// ParseLogseqConfig returns the layout a graph's logseq/config.edn gives:
// Logseq's defaults (LogseqGraph) for what it does not set.
func ParseLogseqConfig(b []byte) (*Logseq, error) {
	var c struct {
		Pages        string      `edn:"pages-directory"`
		Journals     string      `edn:"journals-directory"`
		NameFormat   edn.Keyword `edn:"file/name-format"`
		JournalFile  string      `edn:"journal/file-name-format"`
		JournalTitle string      `edn:"journal/page-title-format"`
		Hidden       []string    `edn:"hidden"`
	}
	if err := edn.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("read %s: %w", LogseqConfig, err)
	}
	lq := LogseqGraph()
	lq.Hidden = c.Hidden
	// Logseq reads a name-format it does not know, or none (a graph older
	// than the setting), as :legacy.
	lq.LegacyNames = c.NameFormat != "triple-lowbar"
	for _, f := range []struct {
		to *string
		v  string
	}{
		{&lq.Pages, strings.Trim(c.Pages, "/")}, {&lq.Journals, strings.Trim(c.Journals, "/")},
		{&lq.JournalFile, c.JournalFile}, {&lq.JournalTitle, c.JournalTitle},
	} {
		if f.v != "" {
			*f.to = f.v
		}
	}
	return lq, nil
}

// ReadLogseqGraph returns the layout of the Logseq graph at a folder, stat
// and read answering for the names in it, or nil when the folder is none
// (see IsLogseqGraph). A config.edn that cannot be read or parsed leaves
// Logseq's defaults (LogseqGraph).
func ReadLogseqGraph(stat func(name string) (fs.FileInfo, error), read func(name string) ([]byte, error)) *Logseq {
	if !IsLogseqGraph(stat) {
		return nil
	}
	b, err := read(LogseqConfig)
	if err != nil {
		return LogseqGraph()
	}
	lq, err := ParseLogseqConfig(b)
	if err != nil {
		return LogseqGraph()
	}
	return lq
}

// IsLogseqGraph reports whether a folder is a Logseq graph, stat answering
// for the names in it: it holds Logseq's settings, logseq/config.edn (the
// test markdown.DialectOf makes).
func IsLogseqGraph(stat func(name string) (fs.FileInfo, error)) bool {
	return markdown.DialectOf(stat) == markdown.Logseq
}

// PageName returns the name of the page file p (a slash path relative to
// the root) is, and false when p is not a page or journal of the graph.
func (lq *Logseq) PageName(p string) (string, bool) {
	if !hasMDExt(p) {
		return "", false
	}
	dir, file := path.Split(trimMDExt(p))
	dir = strings.TrimSuffix(dir, "/")
	switch dir {
	case lq.Journals:
		if d, err := parseLogseqDate(lq.JournalFile, file); err == nil {
			return formatLogseqDate(lq.JournalTitle, d), true
		}
		return lq.decodeName(file), true // a page kept among the journals
	case lq.Pages:
		return lq.decodeName(file), true
	}
	return "", false
}

// decodeName is the page name of a file name (without ".md").
func (lq *Logseq) decodeName(file string) string {
	if lq.LegacyNames {
		file = strings.ReplaceAll(file, ".", "/")
	} else {
		file = strings.ReplaceAll(file, "___", "/")
	}
	if strings.Contains(file, "%") {
		if s, err := url.PathUnescape(file); err == nil && utf8.ValidString(s) {
			return s
		}
	}
	return file
}

// PageFile returns the file Logseq would keep a page of this name in, for
// messages.
func (lq *Logseq) PageFile(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r == '/' && !lq.LegacyNames:
			b.WriteString("___")
		case strings.ContainsRune(`/<>:"\|?*#%`, r), r < ' ':
			fmt.Fprintf(&b, "%%%02X", r)
		default:
			b.WriteRune(r)
		}
	}
	return path.Join(lq.Pages, b.String()+".md")
}

// formatLogseqDate writes t in layout, Logseq's date notation (see
// Logseq.JournalFile).
func formatLogseqDate(layout string, t time.Time) string {
	var b strings.Builder
	for _, tok := range dateTokens(layout) {
		switch tok {
		case "yy":
			fmt.Fprintf(&b, "%02d", t.Year()%100)
		case "y", "yyy", "yyyy":
			fmt.Fprintf(&b, "%04d", t.Year())
		case "MMM":
			b.WriteString(t.Month().String()[:3])
		case "MM":
			fmt.Fprintf(&b, "%02d", int(t.Month()))
		case "M":
			b.WriteString(strconv.Itoa(int(t.Month())))
		case "do":
			b.WriteString(ordinal(t.Day()))
		case "d":
			b.WriteString(strconv.Itoa(t.Day()))
		default:
			switch {
			case strings.HasPrefix(tok, "MMMM"):
				b.WriteString(t.Month().String())
			case strings.HasPrefix(tok, "dd"):
				fmt.Fprintf(&b, "%02d", t.Day())
			case strings.HasPrefix(tok, "EEEE"):
				b.WriteString(t.Weekday().String())
			case tok[0] == 'E':
				b.WriteString(t.Weekday().String()[:3])
			default:
				b.WriteString(tok)
			}
		}
	}
	return b.String()
}

// dateTokens splits a layout in Logseq's date notation into its fields
// (runs of one letter: "yyyy", "MM", "d"; and "do") and the text between
// them.
func dateTokens(layout string) []string {
	var toks []string
	for i := 0; i < len(layout); {
		n := 1
		if c := layout[i]; c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			for i+n < len(layout) && layout[i+n] == c {
				n++
			}
			if c == 'd' && n == 1 && i+1 < len(layout) && layout[i+1] == 'o' {
				n = 2
			}
		} else {
			for i+n < len(layout) && !isASCIILetter(layout[i+n]) {
				n++
			}
		}
		toks = append(toks, layout[i:i+n])
		i += n
	}
	return toks
}

// ordinal writes a day of the month as Logseq's "do" does: 1st, 2nd, 3rd,
// 4th, 11th, 22nd.
func ordinal(d int) string {
	suffix := "th"
	if d/10 != 1 {
		switch d % 10 {
		case 1:
			suffix = "st"
		case 2:
			suffix = "nd"
		case 3:
			suffix = "rd"
		}
	}
	return strconv.Itoa(d) + suffix
}

// parseLogseqDate reads a journal's file name written in layout: its
// numeric fields (yyyy, MM, M, dd, d) and literal characters.
func parseLogseqDate(layout, s string) (time.Time, error) {
	var goLayout strings.Builder
	for _, tok := range dateTokens(layout) {
		switch {
		case tok == "yyyy":
			goLayout.WriteString("2006")
		case tok == "MM":
			goLayout.WriteString("01")
		case tok == "M":
			goLayout.WriteString("1")
		case tok == "dd":
			goLayout.WriteString("02")
		case tok == "d":
			goLayout.WriteString("2")
		case isASCIILetter(tok[0]):
			return time.Time{}, fmt.Errorf("journal file name format %q: %q is not supported", layout, tok)
		default:
			goLayout.WriteString(tok)
		}
	}
	return time.Parse(goLayout.String(), s)
}

// maxPropertyLines bounds the lines read as a page's properties.
const maxPropertyLines = 64

// pageProperties returns the names a Logseq page gives itself in its first
// block's properties (alias:: A, [[B]] and title:: C), read from the lines
// at the top of content (after a front matter block), "key:: value" each,
// optionally as the first bullet ("- title:: C" and lines indented under
// it).
func (s *scanner) pageProperties(first int) []string {
	var names []string
	for ln := first; ln < len(s.lineStarts) && ln <= first+maxPropertyLines; ln++ {
		t := s.lineText(ln)
		if ln == first {
			t = strings.TrimPrefix(t, "- ")
		} else if ln > first {
			t = strings.TrimLeft(t, " \t")
		}
		key, value, ok := markdown.PropertyLine(t)
		if !ok {
			return names
		}
		switch strings.ToLower(key) {
		case "alias":
			for _, a := range markdown.PropertyValue(key, value).([]any) {
				names = append(names, a.(string))
			}
		case "title":
			if value != "" {
				names = append(names, value)
			}
		}
	}
	return names
}
