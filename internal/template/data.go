package template

import (
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/scribe-md/scribe/internal/action"
)

// Data is what a template sees of a file.
type Data struct {
	// Path is the file's slash path relative to its root.
	Path string
	// Dir is the directory part of Path ("." for a file at the root).
	Dir string
	// Name is the file's base name without its extension.
	Name string
	// Ext is the file's extension with its dot (".md"), or "".
	Ext string
	// Match maps "0" (the whole match), "1", … and each named group of the
	// rule's regex to its text.
	Match map[string]string
	// FM is the file's front matter (empty when it has none).
	FM map[string]any
	// Now is the run's time, returned by `now`.
	Now time.Time
	// Origin is where the change came from: "user", "vcs", "scribe" or
	// "scan" (see action.Origin).
	Origin string
}

// DataFor returns the template data of an action's input. Now comes from
// in.Host.Clock (time.Now when the host has no clock).
func DataFor(in action.Input) Data {
	d := PathData(in.Path)
	d.Match = MatchData(in.Match)
	d.FM = in.FrontMatter
	d.Origin = string(in.Origin)
	if d.FM == nil {
		d.FM = map[string]any{}
	}
	d.Now = in.Host.Now()
	return d
}

// PathData returns Data with only the path fields filled.
func PathData(p string) Data {
	base := path.Base(p)
	ext := path.Ext(base)
	return Data{
		Path: p,
		Dir:  path.Dir(p),
		Name: strings.TrimSuffix(base, ext),
		Ext:  ext,
	}
}

// MatchData returns the .Match map of m: groups by number, then by name
// (a number always wins over a group named like one). A nil m gives an empty
// map, so `{{ .Match.x }}` renders "".
func MatchData(m *action.Match) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	out := make(map[string]string, len(m.Groups)+len(m.Named))
	for i, g := range m.Groups {
		out[strconv.Itoa(i)] = g
	}
	for k, v := range m.Named {
		if _, taken := out[k]; !taken && k != "" {
			out[k] = v
		}
	}
	return out
}
