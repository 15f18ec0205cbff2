package safefile

import "strings"

// vcsDirs are the directories of version control systems: a generated file
// there (an index output of .git/config) corrupts a repository.
var vcsDirs = []string{".git", ".hg", ".svn"}

// ProtectedDir returns the directory of rel that Scribe never writes into:
// ".git", ".hg" or ".svn" at any depth and in any case, or stateDir (the
// journal, the index, the bus store); "" when there is none. rel and
// stateDir are slash paths relative to the root. The engine refuses writes
// and renames there; actions refuse such outputs when they are configured.
func ProtectedDir(rel, stateDir string) string {
	parts := strings.Split(rel, "/")
	for i, p := range parts {
		for _, v := range vcsDirs {
			if strings.EqualFold(p, v) {
				return strings.Join(parts[:i+1], "/")
			}
		}
	}
	if stateDir != "" && (rel == stateDir || strings.HasPrefix(rel, stateDir+"/")) {
		return stateDir
	}
	return ""
}
