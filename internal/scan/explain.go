package scan

import (
	"fmt"
	"strings"

	"github.com/scribe-md/scribe/internal/safefile"
)

// Reasons a path is not a document (Exclusion.Reason).
const (
	// ExcludedInvalid: the path is malformed (absolute, "..", empty
	// elements) or deeper than a walk goes.
	ExcludedInvalid = "invalid"
	// ExcludedGit: the path is, or lies in, a .git directory.
	ExcludedGit = "git"
	// ExcludedStateDir: the path is, or lies in, the state directory.
	ExcludedStateDir = "state_dir"
	// ExcludedEngineFile: a file Scribe makes beside documents (.scribe-*).
	ExcludedEngineFile = "engine_file"
	// ExcludedNotIncluded: no include glob matches the path (or, for a
	// directory, anything below it).
	ExcludedNotIncluded = "not_included"
	// ExcludedByGlob: an exclude glob of the configuration matches.
	ExcludedByGlob = "exclude"
	// ExcludedByIgnoreFile: a line of a .gitignore or .scribeignore matches.
	ExcludedByIgnoreFile = "ignore_file"
	// ExcludedDirectory: a directory on the path is a symbolic link, or its
	// ignore file could not be read (fail closed); Detail says which.
	ExcludedDirectory = "directory"
)

// Exclusion says why a path is not a document (Filter.Explain).
type Exclusion struct {
	// Reason is one of the Excluded* constants.
	Reason string `json:"reason"`
	// Dir is the excluded directory the path lies in, "" when the path
	// itself is excluded.
	Dir string `json:"dir,omitempty"`
	// Pattern is the glob (ExcludedByGlob) or the ignore file's line as
	// written (ExcludedByIgnoreFile) that decided.
	Pattern string `json:"pattern,omitempty"`
	// File is the ignore file, relative to the root, and Line the
	// pattern's 1-based line in it (ExcludedByIgnoreFile).
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	// Detail says more where a pattern does not: what the directory is
	// (ExcludedDirectory), the include globs (ExcludedNotIncluded).
	Detail string `json:"detail,omitempty"`
}

// String says it in words: "excluded by .gitignore:3 (*.tmp)", or for a
// directory on the path "in drafts/, which is excluded by .gitignore:1
// (drafts/)".
func (x *Exclusion) String() string {
	var s string
	switch x.Reason {
	case ExcludedInvalid:
		s = "not a valid path inside the root (malformed, or deeper than a walk goes)"
	case ExcludedGit:
		s = "part of a .git directory, never processed"
	case ExcludedStateDir:
		s = "the state directory, never processed"
	case ExcludedEngineFile:
		s = "a file Scribe makes itself (.scribe-*)"
	case ExcludedNotIncluded:
		if x.Dir != "" {
			s = "out of reach of every include glob (" + x.Detail + ")"
		} else {
			s = "matched by no include glob (" + x.Detail + ")"
		}
	case ExcludedByGlob:
		s = fmt.Sprintf("excluded by the exclude glob %q", x.Pattern)
	case ExcludedByIgnoreFile:
		s = fmt.Sprintf("excluded by %s:%d (%s)", x.File, x.Line, x.Pattern)
	case ExcludedDirectory:
		s = x.Detail
	default:
		s = x.Reason
	}
	if x.Dir != "" {
		return "in " + strings.TrimSuffix(x.Dir, "/") + "/, which is " + s
	}
	return s
}

// Explain says why rel (slash-separated, relative to the root) is not a
// document, or returns nil when it is one. It decides exactly as Included
// and the walk do: the first excluded directory from the top decides, else
// the file itself.
func (f *Filter) Explain(rel string) *Exclusion {
	if !safefile.ValidRel(rel) || tooDeep(rel, maxDepth+1) {
		return &Exclusion{Reason: ExcludedInvalid}
	}
	parent := f.node("")
	if parent.excluded {
		return &Exclusion{Reason: ExcludedDirectory, Dir: ".", Detail: parent.why}
	}
	for i := 0; i < len(rel); i++ {
		if rel[i] != '/' {
			continue
		}
		dir := rel[:i]
		_, name := splitRel(dir)
		if v := f.dirVerdict(parent, dir, name); v.reason != "" {
			x := f.exclusion(v)
			x.Dir = dir
			return x
		}
		n := f.node(dir)
		if n.excluded {
			return &Exclusion{Reason: ExcludedDirectory, Dir: dir, Detail: n.why}
		}
		parent = n
	}
	_, name := splitRel(rel)
	if v := f.fileVerdict(parent, rel, name); v.reason != "" {
		return f.exclusion(v)
	}
	return nil
}

func (f *Filter) exclusion(v verdict) *Exclusion {
	x := &Exclusion{Reason: v.reason}
	switch {
	case v.glob != nil:
		x.Pattern = v.glob.String()
	case v.pat != nil:
		x.Pattern, x.File, x.Line = v.pat.text, v.set.file, v.pat.line
	case v.reason == ExcludedNotIncluded:
		var gs []string
		for _, g := range f.include {
			gs = append(gs, g.String())
		}
		x.Detail = strings.Join(gs, ", ")
	}
	return x
}
