package builtin
import ("testing";"time";"context";"syscall")
func cpuNow() time.Duration { var ru syscall.Rusage; syscall.Getrusage(syscall.RUSAGE_SELF, &ru); return time.Duration(ru.Utime.Nano()+ru.Stime.Nano()) }
func TestLKTimeTmp(t *testing.T){
	dir := t.TempDir()
	docs := &lkBenchDocs{lkDir: openLKDir(t, dir), list: lkGenVault(t, dir, 10000)}
	for i := 0; i < 3; i++ {
	a := lkNew(t, "links.check", lkBenchParams).(*linksCheck)
	c0, w0 := cpuNow(), time.Now()
	v := a.vaults.get(docs)
	if err := v.ensure(context.Background(), docs, lkClock); err != nil { t.Fatal(err) }
	c1, w1 := cpuNow(), time.Now()
	n := lkCheckAll(t, a, docs)
	c2, w2 := cpuNow(), time.Now()
	t.Logf("load cpu %v wall %v; runs cpu %v wall %v; findings %d", c1-c0, w1.Sub(w0), c2-c1, w2.Sub(w1), n)
	}
}
