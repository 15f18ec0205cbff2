package doctor

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/rule"
	"github.com/scribe-md/scribe/internal/scan"
)

// tree is what one walk of the roots found, for the roots check (other
// configurations inside a root) and the rules check (what each rule
// selects): a tree of a million files is walked once, not once per check.
type tree struct {
	// files counts the files the excludes leave, in every root.
	files int
	// configs holds, per root folder, the configuration files below it
	// (relative paths, sorted), env's own and those beside it left out.
	configs map[string][]string
	// counts holds, per rule of env.Rules, the files its globs select.
	counts []int
	// archived counts, per folder of archives, the files some rule
	// selects in it, in any root.
	archived map[string]int
	// err is why a root could not be listed to its end.
	err error
}

// archives are folders that other programs keep inside a vault for copies
// of its notes: no rule should rewrite or check them.
var archives = map[string]string{
	".stversions":          "Syncthing's old versions of the notes",
	".trash":               "Obsidian's trash (deleted notes)",
	"logseq/bak":           "Logseq's backups of pages",
	"logseq/.recycle":      "Logseq's deleted pages",
	"logseq/version-files": "Logseq's versions of pages",
}

// archiveOf returns the folder of archives that holds rel, or "".
func archiveOf(rel string) string {
	for f := range archives {
		if strings.HasPrefix(rel, f+"/") {
			return f
		}
	}
	return ""
}

// walk walks every root of env's configuration once, as the engine lists
// them (excludes, ignore files, the state directory left out), and keeps
// what it found for the checks that ask after it.
func (env *Env) walk(ctx context.Context) *tree {
	if env.tree != nil {
		return env.tree
	}
	t := &tree{configs: map[string][]string{}, archived: map[string]int{}}
	env.tree = t
	var rules []*rule.Rule
	if env.Rules != nil {
		rules = env.Rules.Rules
	}
	t.counts = make([]int, len(rules))
	own, _ := filepath.Abs(env.ConfigFile)
	names := config.FileNames()
	var mu sync.Mutex
	for _, dir := range rootDirs(env.Config) {
		root, err := os.OpenRoot(dir)
		if err != nil {
			continue // the roots check says why
		}
		// Every file the excludes leave, not only those some rule's
		// globs include, to say how many there were to select from.
		f, err := scan.NewFilter(dir, []string{"**"}, env.Config.Exclude, relInside(dir, stateDir(env.Config)))
		if err == nil {
			err = scan.Walk(ctx, root, f, 0, func(e scan.Entry) error {
				mu.Lock()
				defer mu.Unlock()
				t.files++
				selected := false
				for i, r := range rules {
					if r.MatchPath(e.Rel) {
						t.counts[i]++
						selected = true
					}
				}
				if f := archiveOf(e.Rel); selected && f != "" {
					t.archived[f]++
				}
				// A configuration beside env's own is an alternative to it
				// (another name Find would take), not one of a subfolder.
				if e.Type.IsRegular() && slices.Contains(names, path.Base(e.Rel)) &&
					filepath.Dir(filepath.Join(dir, filepath.FromSlash(e.Rel))) != filepath.Dir(own) {
					t.configs[dir] = append(t.configs[dir], e.Rel)
				}
				return nil
			}, nil)
		}
		root.Close()
		slices.Sort(t.configs[dir])
		if err != nil && t.err == nil {
			t.err = fmt.Errorf("could not list the files of %s: %w", dir, err)
		}
	}
	return t
}
