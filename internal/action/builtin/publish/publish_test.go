package publish

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/action/actiontest"
)

func TestPublish(t *testing.T) {
	e := actiontest.NewShell(t)
	a, err := action.New("publish", actiontest.YAML(t, `
type: task.done
data:
  title: '{{ .FM.title | upper }}'
  missing: '{{ .FM.nope }}'
  group: '{{ index .Match "1" }}'
  priority: 2
  urgent: true
  none: null`), e.Build)
	if err != nil {
		t.Fatal(err)
	}
	in := e.Input(t, "tasks/a.md", "---\ntitle: ship it\n---\n")
	in.Match = &action.Match{Groups: []string{"state: done", "done"}}
	in.DryRun = true // the event is only output: a dry run returns it too
	out, err := a.Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Events) != 1 || out.Content != nil {
		t.Fatalf("output %+v", out)
	}
	got, _ := json.Marshal(out.Events[0])
	want := `{"type":"task.done","path":"tasks/a.md","data":{"group":"done","missing":"","none":null,"priority":2,"title":"SHIP IT","urgent":true}}`
	if string(got) != want {
		t.Fatalf("event\n got %s\nwant %s", got, want)
	}

	bare, _ := action.New("publish", actiontest.YAML(t, `{type: note}`), e.Build)
	out, _ = bare.Run(context.Background(), in)
	if out.Events[0].Data != nil {
		t.Fatalf("data %v, want none", out.Events[0].Data)
	}
}

func TestPublishConstructorErrors(t *testing.T) {
	for params, want := range map[string]string{
		`{}`:                                "type",
		`{type: "a b"}`:                     "type",
		`{type: "note.*"}`:                  "type",
		`{type: "note.>"}`:                  "type",
		`{type: "{{ .Path }}"}`:             "type",
		`{type: a, data: {x: [1]}}`:         "data",
		`{type: a, data: {x: "{{ .Path "}}`: "publish data.x",
		`{type: a, extra: 1}`:               "extra",
	} {
		_, err := action.New("publish", actiontest.YAML(t, params), action.Build{})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want one containing %q", params, err, want)
		}
	}
}
