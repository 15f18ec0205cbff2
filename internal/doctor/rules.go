package doctor

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/scribe-md/scribe/internal/config"
)

// checkRules walks the roots as the engine does and counts the files each
// rule's globs select. A rule that selects none never runs, and nothing else
// says so: most often its glob does not say what its author meant (a
// folder's name where a glob of its files was meant, a path relative to the
// wrong folder, another extension).
func checkRules(ctx context.Context, env *Env) []Result {
	if env.Config == nil || env.Rules == nil {
		return needConfig(env)
	}
	cfg, rules := env.Config, env.Rules.Rules
	if len(rules) == 0 {
		return []Result{{Status: OK, Message: "none configured"}}
	}
	t := env.walk(ctx)
	if t.err != nil {
		return []Result{{Status: Warn, Message: t.err.Error()}}
	}
	counts, files, dirs := t.counts, t.files, rootDirs(cfg)
	var out, some []Result
	for i, r := range rules {
		if counts[i] > 0 {
			some = append(some, Result{Status: OK, Message: fmt.Sprintf("rule %s selects %s", r.ID, plural(counts[i], "file", "files"))})
			continue
		}
		globs := r.Files()
		out = append(out, Result{Status: Warn,
			Message: fmt.Sprintf("rule %s selects no file: its files %s match none of the %s its roots hold", r.ID, quoteAll(globs), plural(files, "file", "files")),
			Fix:     globFix(dirs, globs)})
	}
	for _, f := range slices.Sorted(maps.Keys(t.archived)) {
		out = append(out, Result{Status: Warn,
			Message: fmt.Sprintf("rules select %s in %s/, %s", plural(t.archived[f], "file", "files"), f, archives[f]),
			Fix:     fmt.Sprintf("add %q to exclude", f+"/**")})
	}
	if len(some) > 4 {
		// One line for the many that are fine.
		some = []Result{{Status: OK, Message: fmt.Sprintf("%d more rules select files", len(some))}}
		if len(out) == 0 {
			some[0].Message = fmt.Sprintf("each of the %d rules selects files", len(rules))
		}
	}
	return append(some, out...)
}

// globFix says how to mend globs that selected nothing: a glob that names a
// folder selects no file in it, and one whose first folder is not there may
// name it with a typo.
func globFix(dirs, globs []string) string {
	for _, g := range globs {
		first, _, _ := strings.Cut(g, "/")
		if strings.ContainsAny(first, "*?[{") {
			continue
		}
		var names []string
		for _, d := range dirs {
			if fi, err := os.Stat(filepath.Join(d, filepath.FromSlash(g))); err == nil && fi.IsDir() {
				return fmt.Sprintf("%q is a folder; a glob of its files is %q", g, strings.TrimSuffix(g, "/")+"/**/*.md")
			}
			if _, err := os.Lstat(filepath.Join(d, first)); err == nil {
				names = nil
				break
			}
			ents, _ := os.ReadDir(d)
			for _, e := range ents {
				if e.IsDir() {
					names = append(names, e.Name())
				}
			}
		}
		if hint := config.DidYouMean(first, names); hint != "" {
			return fmt.Sprintf("no root holds %q: %s", first, hint)
		}
	}
	return "globs match paths relative to each root, whole (notes/**/*.md, not notes); `scribe explain FILE` says why a rule skips a file"
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}
