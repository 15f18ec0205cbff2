package daemon

import (
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// A burst of saves to the configuration is one reload; saves that never
// stop still reload every reloadMaxWait. The clock is synctest's, so the
// times are exact.
func TestConfigSavesAreDebounced(t *testing.T) {
	for _, tc := range []struct {
		name  string
		saves []time.Duration // when each save happens
		want  []time.Duration // when the reloads happen
	}{
		{"100 saves 10 ms apart", every(0, 10*time.Millisecond, 100), []time.Duration{990*time.Millisecond + reloadSettle}},
		{"one save", []time.Duration{0}, []time.Duration{reloadSettle}},
		{"two saves a second apart", []time.Duration{0, time.Second}, []time.Duration{reloadSettle, time.Second + reloadSettle}},
		{"saves every 70 ms for 10 s", every(0, 70*time.Millisecond, 143), []time.Duration{
			reloadMaxWait,                         // the first burst, cut at its maximum wait
			3010*time.Millisecond + reloadMaxWait, // the second, from the next save
			6020*time.Millisecond + reloadMaxWait, // the third
			9940*time.Millisecond + reloadSettle,  // the last, after the last save
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				saves := make(chan struct{})
				var reloads []time.Duration
				done := make(chan struct{})
				go func() { // the reloader's loop, with the same burst
					defer close(done)
					b := newBurst(reloadSettle, reloadMaxWait)
					defer b.stop()
					for {
						select {
						case _, ok := <-saves:
							if !ok {
								return
							}
							b.add()
						case <-b.C():
							b.done()
							reloads = append(reloads, time.Since(start))
						}
					}
				}()
				for _, at := range tc.saves {
					time.Sleep(at - time.Since(start))
					saves <- struct{}{}
				}
				time.Sleep(reloadMaxWait + time.Second)
				close(saves)
				<-done
				if !slices.Equal(reloads, tc.want) {
					t.Fatalf("reloads at %v, want %v", reloads, tc.want)
				}
			})
		})
	}
}

// every returns n times, step apart, from first.
func every(first, step time.Duration, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = first + time.Duration(i)*step
	}
	return out
}
