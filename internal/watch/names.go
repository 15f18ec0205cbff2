package watch

import "strings"

// reservedPrefix starts the name of every file Scribe itself creates in a
// root: sync cookies (.scribe-cookie-*), temp files of atomic writes
// (.scribe-tmp-*), the pause marker (.scribe-pause). None is a document.
const reservedPrefix = ".scribe-"

// cookiePrefix starts the name of a sync cookie (see Sync).
const cookiePrefix = reservedPrefix + "cookie-"

// transient reports whether name is a scratch file that an editor or Scribe
// itself creates beside a document: it is never reported, whatever the
// include globs say, so that a save is one change of the real file and a
// broad glob such as "**/*" does not turn editor litter into documents.
func transient(name string) bool {
	switch {
	case name == "":
		return false
	case strings.HasPrefix(name, reservedPrefix):
		return true
	case name == "4913": // vim's probe for a writable directory
		return true
	case strings.HasSuffix(name, "~"): // vim and emacs backups
		return true
	case strings.HasPrefix(name, ".#"): // emacs lock symlink
		return true
	case len(name) > 2 && name[0] == '#' && name[len(name)-1] == '#': // emacs auto-save
		return true
	case name[0] == '.' && isVimSwap(name):
		return true
	case strings.HasSuffix(name, "___jb_tmp___"), strings.HasSuffix(name, "___jb_old___"): // JetBrains safe write
		return true
	case strings.HasPrefix(name, ".goutputstream-"): // GLib/gedit
		return true
	case strings.HasSuffix(name, ".kate-swp"):
		return true
	}
	return false
}

// isVimSwap reports whether name ends like a vim swap file: .swp, .swo, ...
// down to .swa (vim counts down from p as swap files exist).
func isVimSwap(name string) bool {
	n := len(name)
	return n > 4 && name[n-4:n-1] == ".sw" && name[n-1] >= 'a' && name[n-1] <= 'p'
}
