package remote_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/bus/bustest"
	"github.com/scribe-md/scribe/internal/engine"
	"github.com/scribe-md/scribe/internal/remote"
)

const stampConfig = `rules:
  - id: stamp
    actions:
      - frontmatter.set: {stamped: "yes"}
`

// pair is an owner and a worker sharing an external NATS server, both in
// this process.
type pair struct {
	owner  *remote.Owner
	worker *remote.Worker
	rev    string
}

func newPair(t *testing.T, config string) *pair {
	t.Helper()
	srv := bustest.External(t)
	o := bustest.New(t)
	o.URL, o.StoreDir = srv.URL(), ""
	b := bustest.Open(t, o)
	log := bustest.Logger(t)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })

	owner, err := remote.NewOwner(ctx, b, 2*time.Second, log)
	if err != nil {
		t.Fatal(err)
	}
	wg.Go(func() { owner.Run(ctx) })
	dir := t.TempDir()
	file := filepath.Join(dir, "scribe.yaml")
	if err := os.WriteFile(file, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	rev, err := owner.Publish(ctx, remote.Revision{File: file, Config: []byte(config)})
	if err != nil {
		t.Fatal(err)
	}
	w, err := remote.NewWorker(remote.WorkerOptions{
		JetStream: b.JetStream(), Bus: b.Name(), Concurrency: 2, Logger: log,
		Load: remote.ConfigLoader("", 2, log),
	})
	if err != nil {
		t.Fatal(err)
	}
	wg.Go(func() { w.Run(ctx) })
	return &pair{owner: owner, worker: w, rev: rev}
}

func offload(t *testing.T, p *pair, rev string, content []byte, timeout time.Duration) (*engine.Computed, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	beats := 0
	c, err := p.owner.Offload(ctx, rev, engine.Job{Root: "/r", Path: "notes/a.md", Content: content, Origin: action.OriginUser}, func() { beats++ })
	return c, err
}

func TestOffloadRunsTheRulesOnAWorker(t *testing.T) {
	p := newPair(t, stampConfig)
	c, err := offload(t, p, p.rev, []byte("# A\n"), 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	want := "---\nstamped: \"yes\"\n---\n# A\n"
	if string(c.Content) != want || len(c.Rules) != 1 || c.Rules[0] != "stamp" || len(c.ChangedBy) != 1 {
		t.Fatalf("computed %+v, content %q; want %q by rule stamp", c, c.Content, want)
	}
	// Content the rules leave alone comes back as nil (unchanged).
	c, err = offload(t, p, p.rev, []byte(want), 20*time.Second)
	if err != nil || c.Content != nil {
		t.Fatalf("unchanged content: %q, %v; want nil", c.Content, err)
	}
	bustest.CheckFor(t, 10*time.Second, 50*time.Millisecond, func() error {
		ws, err := p.owner.Workers(context.Background())
		if err != nil {
			return err
		}
		if len(ws) != 1 || ws[0].ID != p.worker.ID() || ws[0].Done < 2 || ws[0].Capacity != 2 {
			return fmt.Errorf("workers %+v; want this one with 2 jobs done", ws)
		}
		return nil
	})
}

func TestLargeContentTravelsThroughTheObjectStore(t *testing.T) {
	p := newPair(t, stampConfig)
	body := bytes.Repeat([]byte("word "), remote.InlineMax/5+1000) // above InlineMax, both ways
	c, err := offload(t, p, p.rev, body, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if want := append([]byte("---\nstamped: \"yes\"\n---\n"), body...); !bytes.Equal(c.Content, want) {
		t.Fatalf("content of %d bytes came back as %d bytes", len(want), len(c.Content))
	}
}

func TestUnknownRevisionIsRefusedNotRun(t *testing.T) {
	p := newPair(t, stampConfig)
	rev := strings.Repeat("ab", 32) // published nowhere
	_, err := offload(t, p, rev, []byte("# A\n"), 3*time.Second)
	if err == nil {
		t.Fatal("a job of an unknown revision got a result")
	}
	info := p.worker.Info()
	if !strings.Contains(info.Refused, "abababababab") || info.Done != 0 {
		t.Fatalf("worker info %+v; want the revision refused and nothing done", info)
	}
}

func TestWorkerRefusesARevisionWhosePluginsDiffer(t *testing.T) {
	p := newPair(t, stampConfig)
	ctx := context.Background()
	// The same configuration, but the owner claims a plugin this worker
	// does not have.
	dir := t.TempDir()
	file := filepath.Join(dir, "scribe.yaml")
	os.WriteFile(file, []byte(stampConfig), 0o644)
	rev, err := p.owner.Publish(ctx, remote.Revision{File: file, Config: []byte(stampConfig), Plugins: map[string]string{"wordcount": strings.Repeat("0", 64)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := offload(t, p, rev, []byte("# A\n"), 3*time.Second); err == nil {
		t.Fatal("a job whose plugins differ got a result")
	}
	if info := p.worker.Info(); !strings.Contains(info.Refused, "wordcount: missing here") {
		t.Fatalf("refusal %q; want it to name the missing plugin", info.Refused)
	}
}
