package engine

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestActionLoggerAttachesAttributes(t *testing.T) {
	var buf bytes.Buffer
	e := New(nil, Options{Logger: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	l := e.actionLogger("r1", "log", "notes/a.md")
	l.Debug("hidden")
	l.With("k", "v").Info("hello", "n", 1)
	got := buf.String()
	for _, want := range []string{"msg=hello", "n=1", "k=v", "rule=r1", "action=log", "path=notes/a.md"} {
		if !strings.Contains(got, want) {
			t.Errorf("log line %q lacks %q", got, want)
		}
	}
	if strings.Contains(got, "hidden") || strings.Count(got, "\n") != 1 {
		t.Errorf("unexpected output: %q", got)
	}
}
