package cli

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/engine"
	"github.com/scribe-md/scribe/internal/escape"
)

// --format sarif: one SARIF 2.1.0 log (OASIS Static Analysis Results
// Interchange Format) with one run. Every rule of the configuration is a
// reportingDescriptor under its id; a finding is a result of its rule, at its
// file, line and column (columns count Unicode code points, as findings do);
// a change a check wants is a result of each rule that makes it, at the
// first line it changes. Rule failures and unreadable directories are
// toolExecutionNotifications of the invocation. Paths are relative to the
// working directory (%SRCROOT%), which code scanning maps to the repository.
// The output is validated against the official schema in a test.

const (
	sarifVersion = "2.1.0"
	sarifSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
	scribeURI    = "https://github.com/scribe-md/scribe"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool               sarifTool                   `json:"tool"`
	Invocations        []sarifInvocation           `json:"invocations"`
	OriginalURIBaseIDs map[string]sarifArtifactLoc `json:"originalUriBaseIds,omitempty"`
	Results            []sarifResult               `json:"results"`
	ColumnKind         string                      `json:"columnKind"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID               string       `json:"id"`
	Name             string       `json:"name,omitempty"`
	ShortDescription sarifMessage `json:"shortDescription"`
	HelpURI          string       `json:"helpUri,omitempty"`
	Properties       *sarifPropBg `json:"properties,omitempty"`
}

type sarifPropBg struct {
	Actions []string `json:"actions,omitempty"`
	Action  string   `json:"action,omitempty"`
	Via     string   `json:"via,omitempty"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifInvocation struct {
	ExecutionSuccessful bool                `json:"executionSuccessful"`
	Notifications       []sarifNotification `json:"toolExecutionNotifications"`
}

type sarifNotification struct {
	Level          string           `json:"level"`
	Message        sarifMessage     `json:"message"`
	Locations      []sarifLocation  `json:"locations,omitempty"`
	AssociatedRule *sarifDescRefRef `json:"associatedRule,omitempty"`
}

type sarifDescRefRef struct {
	ID    string `json:"id"`
	Index int    `json:"index"`
}

type sarifResult struct {
	RuleID     string          `json:"ruleId"`
	RuleIndex  int             `json:"ruleIndex"`
	Level      string          `json:"level"`
	Message    sarifMessage    `json:"message"`
	Locations  []sarifLocation `json:"locations"`
	Properties *sarifPropBg    `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifactLoc `json:"artifactLocation"`
	Region           *sarifRegion     `json:"region,omitempty"`
}

type sarifArtifactLoc struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

var sarifLevels = map[action.Severity]string{
	action.SeverityError: "error", action.SeverityWarning: "warning", action.SeverityInfo: "note",
}

// sarifRules indexes the reportingDescriptors: the configuration's rules,
// then any other id a result names (an engine check such as "read").
type sarifRules struct {
	list []sarifRule
	at   map[string]int
}

func (s *sarifRules) index(id, what string) int {
	if i, ok := s.at[id]; ok {
		return i
	}
	s.at[id] = len(s.list)
	s.list = append(s.list, sarifRule{ID: id, ShortDescription: sarifMessage{Text: what}})
	return s.at[id]
}

func printSARIF(g *globals, d display, rep *engine.Report, dry bool, ro reportOptions) {
	rules := &sarifRules{at: map[string]int{}}
	if ro.rules != nil {
		for _, r := range ro.rules.Rules {
			desc := r.Name
			if desc == "" {
				desc = "Scribe rule " + r.ID
			}
			var acts []string
			for _, st := range r.Steps {
				acts = append(acts, st.Name)
			}
			rules.at[r.ID] = len(rules.list)
			rules.list = append(rules.list, sarifRule{ID: r.ID, Name: sarifName(r.ID), ShortDescription: sarifMessage{Text: desc},
				HelpURI: scribeURI + "/blob/main/doc/CONFIG.md", Properties: &sarifPropBg{Actions: acts}})
		}
	}
	run := sarifRun{
		Tool:        sarifTool{Driver: sarifDriver{Name: "scribe", Version: Version, InformationURI: scribeURI}},
		Invocations: []sarifInvocation{{ExecutionSuccessful: true, Notifications: []sarifNotification{}}},
		Results:     []sarifResult{},
		ColumnKind:  "unicodeCodePoints",
	}
	if wd, err := os.Getwd(); err == nil {
		u := url.URL{Scheme: "file", Path: filepath.ToSlash(wd) + "/"}
		run.OriginalURIBaseIDs = map[string]sarifArtifactLoc{"%SRCROOT%": {URI: u.String()}}
	}
	inv := &run.Invocations[0]
	loc := func(root, rel string, line, col int) []sarifLocation {
		l := sarifLocation{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifURI(d.path(root, rel))}}
		if line > 0 {
			l.PhysicalLocation.Region = &sarifRegion{StartLine: line, StartColumn: col}
		}
		return []sarifLocation{l}
	}
	for _, r := range rep.Results {
		if r.Changed || r.RenamedTo != "" {
			line := firstChange(r.Before, r.After)
			ids := r.ChangedBy
			if len(ids) == 0 {
				ids = []string{r.Via}
			}
			// A check reports the change it wants (an error: the check
			// fails); a run reports the change it made (a note).
			level, verb := "error", "would "
			if !dry {
				level, verb = "note", ""
			}
			for _, id := range ids {
				var msg string
				switch {
				case r.RenamedTo != "":
					msg = "rename this file to " + d.path(r.Root, r.RenamedTo)
					line = 0
				case r.Via != "":
					msg = "rewrite this generated file (" + r.Via + ")"
				default:
					msg = "change this file"
				}
				if !dry {
					msg = pastTense(msg)
				}
				res := sarifResult{RuleID: id, RuleIndex: rules.index(id, "Scribe rule "+id), Level: level,
					Message: sarifMessage{Text: escape.JSON("rule " + id + " " + verb + msg)}, Locations: loc(r.Root, r.Path, line, 0)}
				if r.Via != "" {
					res.Properties = &sarifPropBg{Via: r.Via}
				}
				run.Results = append(run.Results, res)
			}
		}
		for _, f := range r.Findings {
			if f.Severity == action.SeverityInfo && !g.verbose {
				continue
			}
			id, what := f.Rule, ""
			if id == "" {
				id, what = f.Action, "Scribe's own check: "+f.Action
			}
			msg := f.Message
			if f.Suggestion != "" {
				msg += " (did you mean " + f.Suggestion + "?)"
			}
			run.Results = append(run.Results, sarifResult{RuleID: id, RuleIndex: rules.index(id, what), Level: sarifLevels[f.Severity],
				Message: sarifMessage{Text: escape.JSON(msg)}, Locations: loc(r.Root, f.Path, f.Line, f.Column),
				Properties: &sarifPropBg{Action: f.Action}})
		}
		for _, f := range r.Failures {
			inv.ExecutionSuccessful = false
			inv.Notifications = append(inv.Notifications, sarifNotification{Level: "error",
				Message:        sarifMessage{Text: escape.JSON("rule " + f.Rule + ": action " + f.Action + ": " + f.Error)},
				Locations:      loc(r.Root, r.Path, 0, 0),
				AssociatedRule: &sarifDescRefRef{ID: f.Rule, Index: rules.index(f.Rule, "Scribe rule "+f.Rule)}})
		}
		if r.Error != "" {
			inv.ExecutionSuccessful = false
			inv.Notifications = append(inv.Notifications, sarifNotification{Level: "error",
				Message: sarifMessage{Text: escape.JSON(r.Error)}, Locations: loc(r.Root, r.Path, 0, 0)})
		}
	}
	for _, e := range rep.WalkErrors {
		inv.Notifications = append(inv.Notifications, sarifNotification{Level: "warning", Message: sarifMessage{Text: escape.JSON(e)}})
	}
	run.Tool.Driver.Rules = rules.list
	if run.Tool.Driver.Rules == nil {
		run.Tool.Driver.Rules = []sarifRule{}
	}
	enc := json.NewEncoder(g.stdout)
	enc.SetIndent("", "  ")
	enc.Encode(sarifLog{Schema: sarifSchema, Version: sarifVersion, Runs: []sarifRun{run}})
}

// pastTense turns "change this file" into "changed this file".
func pastTense(msg string) string {
	verb, rest, _ := strings.Cut(msg, " ")
	switch verb {
	case "change":
		verb = "changed"
	case "rename":
		verb = "renamed"
	case "rewrite":
		verb = "rewrote"
	}
	return verb + " " + rest
}

// sarifURI makes a path a SARIF artifact location: relative to %SRCROOT%
// (the working directory) with / separators, or an absolute file URI.
func sarifURI(p string) sarifArtifactLoc {
	p = escape.JSON(p)
	if filepath.IsAbs(p) {
		u := url.URL{Scheme: "file", Path: filepath.ToSlash(p)}
		return sarifArtifactLoc{URI: u.String()}
	}
	u := url.URL{Path: filepath.ToSlash(p)}
	return sarifArtifactLoc{URI: u.String(), URIBaseID: "%SRCROOT%"}
}

// sarifName turns a rule id into the PascalCase name SARIF suggests
// ("touch-updated" → "TouchUpdated").
func sarifName(id string) string {
	var sb strings.Builder
	for _, part := range strings.FieldsFunc(id, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') }) {
		sb.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	if sb.Len() == 0 || !slices.Contains([]byte("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"), sb.String()[0]) {
		return ""
	}
	return sb.String()
}
