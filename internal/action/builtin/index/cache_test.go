package index

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/action/actiontest"
)

// countingDir is a docDir that counts reads per path.
type countingDir struct {
	*docDir
	reads atomic.Int64
}

func (d *countingDir) ReadFile(p string) ([]byte, error) {
	d.reads.Add(1)
	return d.docDir.ReadFile(p)
}

func (d *countingDir) host() action.Host {
	h := d.docDir.host()
	h.Docs, h.Writer = d, d
	return h
}

// actionSet builds the index and catalog actions of one configuration: two
// whole-file indexes and a catalog, with b's Shared. Their outputs are not
// documents, so that each round reads the same documents.
func actionSet(t *testing.T, b action.Build) []action.Action {
	t.Helper()
	var out []action.Action
	for _, p := range []map[string]any{
		{"output": "by-path.txt"},
		{"output": "by-title.txt", "sort": "fm.title", "order": "desc", "where": `fm.title != nil`},
	} {
		a, err := action.New("index", p, b)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	a, err := action.New("catalog", map[string]any{"output": "catalog.json"}, b)
	if err != nil {
		t.Fatal(err)
	}
	return append(out, a)
}

// TestKBCacheShared: the index and catalog actions of one configuration
// read each document once between them and hold its front matter once, and
// they write what actions with caches of their own write.
func TestKBCacheShared(t *testing.T) {
	finishAll := func(d *countingDir, set []action.Action) {
		t.Helper()
		for _, a := range set {
			if _, err := a.(action.Finisher).Finish(context.Background(), d.host()); err != nil {
				t.Fatal(err)
			}
		}
	}
	outputs := func(d *countingDir) string {
		var b strings.Builder
		for _, p := range []string{"by-path.txt", "by-title.txt", "catalog.json"} {
			b.Write(d.read(t, p))
		}
		return b.String()
	}

	shared := &countingDir{docDir: newCatalogLikeDir(t)}
	alone := &countingDir{docDir: newCatalogLikeDir(t)}
	docs := len(shared.List())
	set := actionSet(t, action.Build{Rule: "r", Shared: action.NewShared()})
	finishAll(shared, set)
	if n := shared.reads.Load(); n != int64(docs) {
		t.Errorf("three actions sharing a cache read %d times for %d documents, want one read each", n, docs)
	}
	finishAll(alone, actionSet(t, action.Build{Rule: "r"})) // no Shared: a cache each
	if n := alone.reads.Load(); n != 3*int64(docs) {
		t.Errorf("three actions with a cache each read %d times for %d documents, want three reads each", n, docs)
	}
	if got, want := outputs(shared), outputs(alone); got != want {
		t.Errorf("shared cache wrote\n%s\nseparate caches wrote\n%s", got, want)
	}
	c := stateCache(set[0], shared)
	for _, a := range set[1:] {
		if stateCache(a, shared) != c {
			t.Fatalf("%T has a cache of its own", a)
		}
	}
	if len(c.entries) != docs {
		t.Errorf("the shared cache holds %d entries, want %d", len(c.entries), docs)
	}

	// An edit is read once and seen by all three; a deletion is forgotten.
	shared.put(t, "notes/alpha.md", "---\ntitle: Zulu\n---\nnew\n")
	if err := os.Remove(shared.abs("notes/beta.md")); err != nil {
		t.Fatal(err)
	}
	before := shared.reads.Load()
	finishAll(shared, set)
	if n := shared.reads.Load() - before; n != 1 {
		t.Errorf("after one edit the actions read %d documents, want 1", n)
	}
	got := outputs(shared)
	if strings.Count(got, "Zulu") != 3 || strings.Contains(got, "beta.md") {
		t.Errorf("after an edit and a deletion:\n%s", got)
	}
	if c := stateCache(set[0], shared); c.entries["notes/beta.md"] != nil {
		t.Error("the cache still holds the deleted notes/beta.md")
	}
	if !bytes.Equal(shared.read(t, "by-path.txt"), mustIndex(t, shared)) {
		t.Error("by-path.md differs from a fresh index of the same vault")
	}
}

// infoDir is a countingDir that reads with the file's info
// (action.InfoReader), as the engine's Docs does, and counts the Stats of
// documents too. The content it hands over is cleared once the callback
// returns, as the engine's pooled buffer is reused: an entry that kept part
// of it would show zeros.
type infoDir struct {
	*countingDir
	stats, batches atomic.Int64
}

// eachDir is an infoDir that also Stats many documents at once
// (action.EachStater), as the engine's Docs does.
type eachDir struct{ *infoDir }

func (d eachDir) StatEach(ps []string, fn func(int, fs.FileInfo, error)) {
	d.batches.Add(1)
	for i, p := range ps {
		fi, err := d.Stat(p)
		fn(i, fi, err)
	}
}

func (d *infoDir) ReadFileInfo(p string, fn func([]byte, fs.FileInfo)) error {
	d.reads.Add(1)
	b, err := d.docDir.ReadFile(p)
	if err != nil {
		return err
	}
	fi, err := d.docDir.Stat(p)
	if err != nil {
		return err
	}
	fn(b, fi)
	clear(b)
	return nil
}

func (d *infoDir) Stat(p string) (fs.FileInfo, error) {
	if strings.HasSuffix(p, ".md") { // not action.DialectOf's look for a Logseq graph
		d.stats.Add(1)
	}
	return d.docDir.Stat(p)
}

// host is the actions' host on d; with each, its Docs is an eachDir.
func (d *infoDir) host(each bool) action.Host {
	h := d.docDir.host()
	h.Docs, h.Writer = d, d
	if each {
		h.Docs = eachDir{d}
	}
	return h
}

// TestKBCacheInfoReader: with an InfoReader, the first look at each
// document is one read and no Stat, the outputs are those of a Docs
// without one, and a later look Stats each document and reads only what
// changed; the same with an EachStater, whose StatEach makes the Stats.
func TestKBCacheInfoReader(t *testing.T) {
	for _, each := range []bool{false, true} {
		t.Run(fmt.Sprintf("each=%v", each), func(t *testing.T) { testKBCacheInfoReader(t, each) })
	}
}

func testKBCacheInfoReader(t *testing.T, each bool) {
	finishAll := func(h action.Host, set []action.Action) {
		t.Helper()
		for _, a := range set {
			if _, err := a.(action.Finisher).Finish(context.Background(), h); err != nil {
				t.Fatal(err)
			}
		}
	}
	outputs := func(d *docDir) string {
		var b strings.Builder
		for _, p := range []string{"by-path.txt", "by-title.txt", "catalog.json"} {
			b.Write(d.read(t, p))
		}
		return b.String()
	}
	info := &infoDir{countingDir: &countingDir{docDir: newCatalogLikeDir(t)}}
	plain := &countingDir{docDir: newCatalogLikeDir(t)}
	docs := int64(len(info.List()))
	set := actionSet(t, action.Build{Rule: "r", Shared: action.NewShared()})
	finishAll(info.host(each), set)
	if r, s := info.reads.Load(), info.stats.Load(); r != docs || s != 2*docs {
		// The first action reads each document; the two after it Stat it.
		t.Errorf("first look: %d reads and %d Stats for %d documents, want %d and %d", r, s, docs, docs, 2*docs)
	}
	if b := info.batches.Load(); each != (b > 0) {
		t.Errorf("%d StatEach calls with each=%v", b, each)
	}
	finishAll(plain.host(), actionSet(t, action.Build{Rule: "r", Shared: action.NewShared()}))
	if got, want := outputs(info.docDir), outputs(plain.docDir); got != want {
		t.Errorf("with an InfoReader the actions wrote\n%s\nwithout one\n%s", got, want)
	}

	info.put(t, "notes/alpha.md", "---\ntitle: Zulu\n---\nnew\n")
	if err := os.Remove(info.abs("notes/beta.md")); err != nil {
		t.Fatal(err)
	}
	before := info.reads.Load()
	finishAll(info.host(each), set)
	if n := info.reads.Load() - before; n != 1 {
		t.Errorf("after one edit the actions read %d documents, want 1", n)
	}
	if got := outputs(info.docDir); strings.Count(got, "Zulu") != 3 || strings.Contains(got, "beta.md") {
		t.Errorf("after an edit and a deletion:\n%s", got)
	}
}

// genDir is an eachDir that numbers its documents' generations
// (action.Generationer), as the engine's Docs does.
type genDir struct {
	eachDir
	gen *atomic.Uint64
}

func (d genDir) Generation() uint64 { return d.gen.Load() }

// TestKBCacheGeneration: the actions finishing one batch look at the
// documents one Stat each between them while the generation stays, and
// afresh once it moves.
func TestKBCacheGeneration(t *testing.T) {
	info := &infoDir{countingDir: &countingDir{docDir: newCatalogLikeDir(t)}}
	var gen atomic.Uint64
	h := info.host(false)
	h.Docs = genDir{eachDir{info}, &gen}
	docs := int64(len(info.List()))
	set := actionSet(t, action.Build{Rule: "r", Shared: action.NewShared()})
	finishAll := func() {
		t.Helper()
		for _, a := range set {
			if _, err := a.(action.Finisher).Finish(context.Background(), h); err != nil {
				t.Fatal(err)
			}
		}
	}
	counts := func() (int64, int64) { return info.reads.Load(), info.stats.Load() }

	finishAll()
	if r, s := counts(); r != docs || s != 0 {
		t.Errorf("first round: %d reads and %d Stats for %d documents, want %d and none", r, s, docs, docs)
	}
	gen.Add(1)
	finishAll()
	if r, s := counts(); r != docs || s != docs {
		t.Errorf("a new generation: %d reads and %d Stats in all, want %d and %d: one Stat each between the three actions", r, s, docs, docs)
	}
	info.put(t, "notes/alpha.md", "---\ntitle: Zulu\n---\nnew\n")
	gen.Add(1)
	finishAll()
	if r, s := counts(); r != docs+1 || s != 2*docs {
		t.Errorf("an edit in a new generation: %d reads and %d Stats in all, want %d and %d", r, s, docs+1, 2*docs)
	}
	if got := string(info.read(t, "catalog.json")) + string(info.read(t, "by-title.txt")); strings.Count(got, "Zulu") != 2 {
		t.Errorf("the edit is not in the outputs:\n%s", got)
	}
}

// TestKBLoadAllParallel: documents loaded on several goroutines give the
// outputs and findings that one goroutine gives, binary files (which fail
// to load) included.
func TestKBLoadAllParallel(t *testing.T) {
	d := newDocDir(t, "")
	actiontest.GenVault(t, d.root, 400)
	for _, p := range []string{"area-07/binary 1.md", "area-42/binary 2.md"} {
		d.put(t, p, "---\ntitle: x\n---\n\x00\x01")
	}
	for _, p := range d.List() {
		if err := os.Chtimes(d.abs(p), catalogTime, catalogTime); err != nil {
			t.Fatal(err)
		}
	}
	info := &infoDir{countingDir: &countingDir{docDir: d}}
	finish := func(procs int, each bool) string {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		var b strings.Builder
		for _, a := range actionSet(t, action.Build{Rule: "r", Shared: action.NewShared()}) {
			out, err := a.(action.Finisher).Finish(context.Background(), info.host(each))
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%T: %+v\n", a, out.Findings)
		}
		for _, p := range []string{"by-path.txt", "by-title.txt", "catalog.json"} {
			b.Write(d.read(t, p))
		}
		return b.String()
	}
	one := finish(1, false)
	for _, each := range []bool{false, true} {
		if four := finish(4, each); four != one {
			t.Errorf("on four goroutines (each=%v) the actions gave\n%s\non one\n%s", each, four, one)
		}
	}
	if !strings.Contains(one, "binary 2.md") {
		t.Errorf("the catalog does not name the binary file it left out:\n%s", one)
	}
}

// newCatalogLikeDir is the index vault with every file's modification time
// set to one instant, so that two copies give the same catalog.
func newCatalogLikeDir(t *testing.T) *docDir {
	t.Helper()
	d := newDocDir(t, "testdata/index/vault")
	for _, p := range d.List() {
		if err := os.Chtimes(d.abs(p), catalogTime, catalogTime); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// stateCache returns the cache an index or catalog action uses for d.
func stateCache(a action.Action, d action.Docs) *cache {
	switch a := a.(type) {
	case *indexAction:
		return a.state(d).cache
	case *catalogAction:
		return a.state(d).cache
	}
	return nil
}

// mustIndex is what a fresh by-path index of d holds.
func mustIndex(t *testing.T, d *countingDir) []byte {
	t.Helper()
	fresh := &countingDir{docDir: newDocDir(t, "")}
	if err := os.CopyFS(fresh.root, os.DirFS(d.root)); err != nil {
		t.Fatal(err)
	}
	a := actionSet(t, action.Build{Rule: "r"})[0]
	if _, err := a.(action.Finisher).Finish(context.Background(), fresh.host()); err != nil {
		t.Fatal(err)
	}
	return fresh.read(t, "by-path.txt")
}

// listedDir is a docDir whose List is fixed, so that a benchmark measures
// the actions rather than a walk of the directory.
type listedDir struct {
	*docDir
	list []string
}

func (d *listedDir) List() []string { return d.list }

// BenchmarkKBFinish10k runs the Finish of two indexes and a catalog,
// sharing their cache as one configuration's do, over the 10,000 notes of
// the links benchmark: cold (new actions: every note read) and warm (the
// next batch: Stat only, nothing changed). live-MiB is what the actions hold
// afterwards.
func BenchmarkKBFinish10k(b *testing.B) {
	dir := b.TempDir()
	docs := &listedDir{docDir: &docDir{root: dir, include: "**/*.md"}, list: actiontest.GenVault(b, dir, 10000)}
	host := action.Host{Docs: docs, Writer: docs.docDir, Clock: func() time.Time { return clock }}
	set := func() []action.Action {
		build := action.Build{Rule: "r", Shared: action.NewShared()}
		var out []action.Action
		for _, p := range []map[string]any{
			{"output": "index.txt"},
			{"output": "tagged.txt", "where": `"t3" in fm.tags`, "sort": "fm.title", "order": "desc"},
			nil,
		} {
			name := "index"
			if p == nil {
				name, p = "catalog", map[string]any{"output": "catalog.json"}
			}
			a, err := action.New(name, p, build)
			if err != nil {
				b.Fatal(err)
			}
			out = append(out, a)
		}
		return out
	}
	finish := func(as []action.Action) {
		for _, a := range as {
			if _, err := a.(action.Finisher).Finish(context.Background(), host); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("cold", func(b *testing.B) {
		base := actiontest.HeapLive()
		var as []action.Action
		for b.Loop() {
			as = set()
			finish(as)
		}
		actiontest.ReportLive(b, base, as)
	})
	b.Run("warm", func(b *testing.B) {
		as := set()
		finish(as)
		for b.Loop() {
			finish(as)
		}
	})
}
