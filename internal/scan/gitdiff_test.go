package scan

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path"
	"strings"
	"testing"
)

var gitRounds = flag.Int("scan.gitrounds", 50, "random trees compared with git in TestIgnoreMatchesGit")

// TestIgnoreMatchesGit generates random trees with random .gitignore files
// and checks that the filter lists exactly the files git reports as untracked
// and not ignored (`git ls-files -o --exclude-standard`). Git is the oracle;
// the test is skipped where it is not installed.
func TestIgnoreMatchesGit(t *testing.T) {
	gitBin, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git not installed: the differential test needs it as the oracle")
	}
	rounds := *gitRounds
	if testing.Short() {
		rounds = min(rounds, 15)
	}
	home := t.TempDir()
	for seed := range rounds {
		rng := rand.New(rand.NewPCG(uint64(seed), 7))
		dir := t.TempDir()
		tree, ignores := randomIgnoreTree(rng)
		writeTree(t, dir, tree)
		git := exec.Command(gitBin, "init", "-q", dir)
		git.Env = gitEnv(home)
		if out, err := git.CombinedOutput(); err != nil {
			t.Fatalf("git init: %v\n%s", err, out)
		}
		ls := exec.Command(gitBin, "-C", dir, "ls-files", "-o", "--exclude-standard", "-z")
		ls.Env = gitEnv(home)
		out, err := ls.Output()
		if err != nil {
			t.Fatalf("git ls-files: %v", err)
		}
		var want []string
		for _, p := range bytes.Split(bytes.TrimSuffix(out, []byte{0}), []byte{0}) {
			if len(p) > 0 {
				want = append(want, string(p))
			}
		}
		got := listRels(t, dir, mustFilter(t, dir, nil, nil, ""))
		if !equalSorted(got, want) {
			t.Errorf("seed %d: ignore files:\n%s", seed, ignores)
			sameSet(t, got, want)
			return
		}
		// Explain names the line git names: `git check-ignore -v`.
		explainMatchesGit(t, gitBin, home, dir, tree, got, ignores)
		// The lazy path agrees with the walk.
		lazy := mustFilter(t, dir, nil, nil, "")
		for rel := range tree {
			if strings.HasSuffix(rel, "/") {
				continue
			}
			if in, want := lazy.Included(rel), contains(got, rel); in != want {
				t.Errorf("seed %d: Included(%q) = %v, walk says %v; ignore files:\n%s", seed, rel, in, want, ignores)
			}
		}
	}
}

// explainMatchesGit checks, for every file the walk left out, that
// Filter.Explain names the ignore file, line and pattern that `git
// check-ignore -v` names.
func explainMatchesGit(t *testing.T, gitBin, home, dir string, tree map[string]string, listed []string, ignores string) {
	t.Helper()
	args := []string{"-C", dir, "check-ignore", "-v", "-z", "--no-index", "--stdin"}
	var ignored []string
	for rel := range tree {
		if !strings.HasSuffix(rel, "/") && !contains(listed, rel) && path.Base(rel) != ".gitignore" {
			ignored = append(ignored, rel)
		}
	}
	if len(ignored) == 0 {
		return
	}
	ci := exec.Command(gitBin, args...)
	ci.Env = gitEnv(home)
	ci.Stdin = strings.NewReader(strings.Join(ignored, "\x00") + "\x00")
	out, err := ci.Output()
	if err != nil {
		t.Fatalf("git check-ignore: %v", err)
	}
	// -z -v: source NUL line NUL pattern NUL path NUL, per path.
	fields := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	f := mustFilter(t, dir, nil, nil, "")
	for i := 0; i+3 < len(fields); i += 4 {
		src, line, pat, rel := fields[i], fields[i+1], fields[i+2], fields[i+3]
		x := f.Explain(rel)
		if x == nil || x.Reason != ExcludedByIgnoreFile {
			t.Errorf("Explain(%q) = %+v; git: %s:%s:%s\n%s", rel, x, src, line, pat, ignores)
			continue
		}
		if got := fmt.Sprintf("%s:%d:%s", x.File, x.Line, x.Pattern); got != src+":"+line+":"+pat {
			t.Errorf("Explain(%q) names %s, git names %s:%s:%s\n%s", rel, got, src, line, pat, ignores)
		}
	}
}

// gitEnv isolates git from the machine's and user's configuration.
func gitEnv(home string) []string {
	return append(os.Environ(),
		"HOME="+home, "XDG_CONFIG_HOME="+home, "GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL="+os.DevNull, "LC_ALL=C")
}

var (
	randNames    = []string{"a", "b", "build", "docs", "x.md", "keep", "deep", ".hidden"}
	randFiles    = []string{"a.md", "b.md", "c.txt", "x.log", "build", "keep.md", "README.md", ".h.md", "a b.md", "#x.md", "!y.md", "{a}.md"}
	randPatterns = []string{"a", "b", "build", "docs", "*.md", "*.log", "*.txt", "x*", "?.md",
		"[ab]*", "[!a]*.md", "keep*", "*", ".*", "a b.md", "README.md", "deep", "*.m?",
		"**", "[a-c]*.md", "*.[mt]*", `\#x.md`, `\!y.md`, "{a}.md", "a\\ b.md", "b*/**"}
)

// randomIgnoreTree returns a random tree and a description of its ignore
// files.
func randomIgnoreTree(rng *rand.Rand) (map[string]string, string) {
	tree := map[string]string{}
	dirs := []string{""}
	for range 2 + rng.IntN(8) {
		parent := dirs[rng.IntN(len(dirs))]
		d := path.Join(parent, randNames[rng.IntN(len(randNames))])
		if _, isFile := tree[d]; isFile {
			continue
		}
		tree[d+"/"] = ""
		dirs = append(dirs, d)
	}
	for range 10 + rng.IntN(30) {
		p := path.Join(dirs[rng.IntN(len(dirs))], randFiles[rng.IntN(len(randFiles))])
		if _, isDir := tree[p+"/"]; isDir {
			continue
		}
		tree[p] = ""
	}
	var desc strings.Builder
	for range 1 + rng.IntN(4) {
		d := dirs[rng.IntN(len(dirs))]
		var lines []string
		for range 1 + rng.IntN(6) {
			lines = append(lines, randomPattern(rng, dirs, d))
		}
		content := strings.Join(lines, "\n") + "\n"
		p := path.Join(d, ".gitignore")
		tree[p] += content
		fmt.Fprintf(&desc, "--- %s\n%s", p, content)
	}
	return tree, desc.String()
}

// randomPattern never yields "a**" in an anchored pattern: git's literal
// prefix optimisation (dir.c match_pathname) then lets that `**` cross
// slashes, against its own documentation ("other consecutive asterisks are
// regular asterisks"); the filter follows the documentation.
//
// randomPattern returns one gitignore line using the shapes git documents:
// plain names, anchored and inner-slash paths, dir-only, `**` prefixes,
// infixes and suffixes, and negations.
func randomPattern(rng *rand.Rand, dirs []string, base string) string {
	p := randPatterns[rng.IntN(len(randPatterns))]
	sub := ""
	// A directory below base, as a path relative to base.
	if d := dirs[rng.IntN(len(dirs))]; d != base && strings.HasPrefix(d, base) {
		sub = strings.TrimPrefix(strings.TrimPrefix(d, base), "/")
	}
	switch rng.IntN(9) {
	case 1:
		p = "/" + p
	case 2:
		p += "/"
	case 3:
		if sub != "" {
			p = sub + "/" + p
		}
	case 4:
		p = "**/" + p
	case 5:
		if sub != "" {
			p = sub + "/**"
		}
	case 6:
		if sub != "" {
			first, _, _ := strings.Cut(sub, "/")
			p = first + "/**/" + p
		}
	case 7:
		p = "*/" + p
	}
	if rng.IntN(3) == 0 {
		p = "!" + p
	}
	return p
}

func equalSorted(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := make(map[string]int, len(a))
	for _, s := range a {
		seen[s]++
	}
	for _, s := range b {
		seen[s]--
		if seen[s] < 0 {
			return false
		}
	}
	return true
}
