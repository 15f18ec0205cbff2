package vault

import (
	"context"
	"io/fs"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/action"
)

// oneShotDocs is a noteDir that says whether it serves a one-shot run and
// counts the Stats of one path.
type oneShotDocs struct {
	*noteDir
	oneShot bool
	watch   string
	stats   atomic.Int64
}

func (d *oneShotDocs) OneShot() bool { return d.oneShot }

func (d *oneShotDocs) Stat(p string) (fs.FileInfo, error) {
	if p == d.watch {
		d.stats.Add(1)
	}
	return d.noteDir.Stat(p)
}

// TestLinksCheckOneShotGeneration: in a one-shot run the vault's generation
// lasts until Finish, so a link target is looked at once however long the
// run takes; in the daemon it ages, and the target is looked at again.
func TestLinksCheckOneShotGeneration(t *testing.T) {
	for _, tc := range []struct {
		name    string
		oneShot bool
		again   bool // b.md is stat'ed again by the second check
	}{
		{"one-shot", true, false},
		{"daemon", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nd := newNoteDir(t, map[string]string{
				"a.md": "[b](b.md)\n",
				"b.md": "# B\n",
				"c.md": "[b](b.md)\n",
			})
			d := &oneShotDocs{noteDir: nd, oneShot: tc.oneShot, watch: "b.md"}
			a := mustNew(t, "links.check", "")
			check := func(p string, at time.Time) {
				t.Helper()
				in := nd.input(t, p)
				in.Host = action.Host{Docs: d, Writer: nd, Clock: func() time.Time { return at }}
				out, err := a.Run(context.Background(), in)
				if err != nil {
					t.Fatal(err)
				}
				if len(out.Findings) != 0 {
					t.Fatalf("%s: findings %+v", p, out.Findings)
				}
			}
			check("a.md", clock)
			first := d.stats.Load()
			check("c.md", clock.Add(generationAge+time.Second))
			if again := d.stats.Load() > first; again != tc.again {
				t.Errorf("b.md stat'ed %d times after the first check, %d after the second: again %v, want %v", first, d.stats.Load(), again, tc.again)
			}
		})
	}
}
