package text

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/action/actiontest"
)

func TestLog(t *testing.T) {
	tests := []struct {
		params string
		want   []string
		absent bool
	}{
		{`{message: '{{ .Path }} is {{ .FM.status | default "unset" }} at {{ now | date "15:04" }}'}`,
			[]string{"level=INFO", `msg="notes/a.md is draft at 14:05"`, "rule=test-rule", "path=notes/a.md"}, false},
		{`{message: 'missing: [{{ .FM.nope }}]', level: warn}`, []string{"level=WARN", `msg="missing: []"`}, false},
		{`{message: 'dbg', level: debug}`, []string{"level=DEBUG", "msg=dbg"}, false},
		{`{message: 'bad', level: error}`, []string{"level=ERROR", "msg=bad"}, false},
	}
	for _, tt := range tests {
		var logs bytes.Buffer
		a := actiontest.Must(t, "log", tt.params, action.Build{})
		in := actiontest.Input(t, "notes/a.md", "---\nstatus: draft\n---\nbody\n", &logs)
		got, out := actiontest.Run(t, a, in)
		if got != string(in.Content) || out.Content != nil || len(out.Findings) != 0 {
			t.Errorf("%s: log changed the output: %+v", tt.params, out)
		}
		for _, w := range tt.want {
			if !strings.Contains(logs.String(), w) {
				t.Errorf("%s: log %q lacks %q", tt.params, logs.String(), w)
			}
		}
	}
}

func TestLogErrors(t *testing.T) {
	if _, err := actiontest.New(t, "log", `{message: '{{ .Path'}`, action.Build{}); err == nil || !strings.Contains(err.Error(), `log: template "message" line 1: unclosed action`) {
		t.Errorf("bad template: got %v", err)
	}
	a := actiontest.Must(t, "log", `{message: '{{ date "2006" .FM.status }}'}`, action.Build{})
	if _, err := a.Run(context.Background(), actiontest.Input(t, "a.md", "---\nstatus: x\n---\n", nil)); err == nil || !strings.Contains(err.Error(), `cannot read "x" as a time`) {
		t.Errorf("bad data: got %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := a.Run(ctx, actiontest.Input(t, "a.md", "", nil)); err == nil {
		t.Errorf("cancelled context: no error")
	}
	// No logger in the host: falls back to slog.Default without failing.
	in := actiontest.Input(t, "a.md", "x", nil)
	in.Host.Logger = nil
	if _, err := actiontest.Must(t, "log", `{message: hi, level: debug}`, action.Build{}).Run(context.Background(), in); err != nil {
		t.Errorf("nil logger: %v", err)
	}
}
