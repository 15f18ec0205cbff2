package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/scribe-md/scribe/internal/action"
	wire "github.com/scribe-md/scribe/plugin"
)

// maxMessage caps one finding's message.
const maxMessage = 4 << 10

// pluginAction is one plugin action configured in a rule: the adapter
// between the engine's Action contract and the wire protocol. It is where
// permissions are enforced, on what is sent and on what is accepted, so
// that nothing depends on a plugin's good behaviour.
type pluginAction struct {
	p      *Plugin
	def    ActionDef
	params json.RawMessage
}

var _ action.Action = (*pluginAction)(nil)

func (a *pluginAction) name() string { return a.p.m.Name + "." + a.def.Name }

func (a *pluginAction) Run(ctx context.Context, in action.Input) (action.Output, error) {
	if a.def.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, a.def.Timeout)
		defer cancel()
	}
	start := time.Now()
	out, err := a.run(ctx, in)
	a.p.observe(time.Since(start), err)
	if err != nil {
		return action.Output{}, fmt.Errorf("plugin %s: %w", a.p.m.Name, err)
	}
	return out, nil
}

func (a *pluginAction) run(ctx context.Context, in action.Input) (action.Output, error) {
	// The engine hands root-relative paths; refuse anything else rather
	// than tell a plugin where things are outside its root.
	if in.Path == "" || !filepath.IsLocal(filepath.FromSlash(in.Path)) || strings.ContainsRune(in.Path, '\\') {
		return action.Output{}, fmt.Errorf("refusing to send the path %q: not a path inside the root", in.Path)
	}
	req := wire.RunParams{Action: a.def.Name, Params: a.params, File: wire.File{Path: in.Path, FrontMatter: in.FrontMatter}}
	if req.File.FrontMatter == nil {
		req.File.FrontMatter = map[string]any{}
	}
	if a.def.Can(PermRead) {
		if !utf8.Valid(in.Content) {
			return action.Output{}, errors.New("the file is not valid UTF-8; plugins receive text")
		}
		s := string(in.Content)
		req.File.Content = &s
	}
	res, err := a.p.call(ctx, req)
	if err != nil {
		return action.Output{}, err
	}
	var out action.Output
	if res.Content != nil {
		if !a.def.Can(PermWrite) {
			return action.Output{}, fmt.Errorf("action %s returned new content without the write permission; the content was rejected (add write to its permissions in %s if it is meant to edit files)", a.name(), a.p.m.File)
		}
		out.Content = []byte(*res.Content)
	}
	// Findings past the engine's cap are counted, not checked.
	n := min(len(res.Findings), action.MaxFindings)
	for i, f := range res.Findings[:n] {
		fd, err := finding(f)
		if err != nil {
			return action.Output{}, fmt.Errorf("action %s returned an invalid finding #%d: %w", a.name(), i+1, err)
		}
		out.Findings = append(out.Findings, fd)
	}
	out.Findings = action.CapFindings(out.Findings, "", len(res.Findings)-n)
	return out, nil
}

// finding checks one finding from a plugin. Its path is always the file's:
// a plugin cannot report on (or name) anything else.
func finding(f wire.Finding) (action.Finding, error) {
	sev := action.Severity(f.Severity)
	switch sev {
	case "":
		sev = action.SeverityWarning
	case action.SeverityError, action.SeverityWarning, action.SeverityInfo:
	default:
		return action.Finding{}, fmt.Errorf("severity %q is not error, warning or info", f.Severity)
	}
	if f.Line < 0 || f.Column < 0 {
		return action.Finding{}, fmt.Errorf("line %d, column %d: positions are 1-based, 0 for the whole file", f.Line, f.Column)
	}
	msg := strings.TrimSpace(f.Message)
	if msg == "" {
		return action.Finding{}, errors.New("empty message")
	}
	if len(msg) > maxMessage {
		msg = strings.ToValidUTF8(msg[:maxMessage], "") + "…"
	}
	return action.Finding{Line: f.Line, Column: f.Column, Severity: sev, Message: msg}, nil
}
