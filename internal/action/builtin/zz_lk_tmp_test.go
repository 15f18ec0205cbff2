package builtin
import ("testing";"time";"context";"os";"path/filepath")
func TestLKTimeTmp(t *testing.T){
	dir := t.TempDir()
	docs := &lkBenchDocs{lkDir: openLKDir(t, dir), list: lkGenVault(t, dir, 10000)}
	a := lkNew(t, "links.check", lkBenchParams).(*linksCheck)
	st := time.Now()
	v := a.vaults.get(docs)
	if err := v.ensure(context.Background(), docs, lkClock); err != nil { t.Fatal(err) }
	t.Log("load", time.Since(st))
	st = time.Now()
	n := 0
	var slow time.Duration; var slowP string
	for _, p := range docs.list {
		c, _ := os.ReadFile(filepath.Join(dir, p))
		s1 := time.Now()
		out, _ := a.Run(context.Background(), docs.input(t, p))
		if d := time.Since(s1); d > slow { slow, slowP = d, p }
		n += len(out.Findings); _ = c
	}
	t.Log("runs", time.Since(st), n, slow, slowP)
}
