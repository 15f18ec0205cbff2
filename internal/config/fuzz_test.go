package config

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to LoadBytes: it must never panic, every
// error must be an Errors with positions, and every accepted configuration
// must satisfy the invariants Load promises and load again once marshalled.
func FuzzLoad(f *testing.F) {
	f.Add(Starter)
	for _, dir := range []string{"testdata/invalid", "testdata/valid"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		for _, p := range files {
			if filepath.Ext(p) == ".golden" {
				continue
			}
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
	}
	f.Add([]byte(`{"rules":[{"id":"a","actions":[{"x":{"a":[1,2,{"b":null}]}}]}]}`))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("<<: {version: 1}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := LoadBytes("fuzz.yaml", data)
		if err != nil {
			if c != nil {
				t.Fatal("config returned with an error")
			}
			var errs Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("error is %T, want a non-empty Errors: %v", err, err)
			}
			for _, e := range errs {
				if e.Line < 1 || e.Column < 1 {
					t.Fatalf("error without a position: %q", e)
				}
				if e.Message == "" {
					t.Fatalf("error without a message: %#v", e)
				}
			}
			return
		}
		if c.Version != 1 || c.Engine.Workers < 1 || c.Engine.MaxWait < c.Engine.Settle ||
			c.Engine.ActionTimeout <= 0 || len(c.Roots) == 0 || len(c.Include) == 0 {
			t.Fatalf("accepted config breaks an invariant: %+v", c)
		}
		ids := map[string]bool{}
		for _, r := range c.Rules {
			if r.ID == "" || ids[r.ID] || len(r.Actions) == 0 {
				t.Fatalf("accepted rule breaks an invariant: %+v", r)
			}
			ids[r.ID] = true
			for _, a := range r.Actions {
				if a.Name == "" || a.Timeout < 0 {
					t.Fatalf("accepted action breaks an invariant: %+v", a)
				}
			}
		}
		out, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("marshal accepted config: %v", err)
		}
		if _, err := LoadBytes("again.json", out); err != nil {
			t.Fatalf("marshalled config does not load again: %v\n%s", err, out)
		}
	})
}
