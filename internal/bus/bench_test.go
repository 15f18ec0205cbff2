package bus_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/bus"
	"github.com/scribe-md/scribe/internal/poll"
)

// BenchmarkPublishConsume publishes b.N file events to an embedded server and
// consumes them with 4 workers, with every write fsynced (SyncAlways, the
// default) and with a periodic sync.
func BenchmarkPublishConsume(b *testing.B) {
	for _, tc := range []struct {
		name string
		sync time.Duration
	}{{"sync=always", 0}, {"sync=interval", 2 * time.Minute}} {
		b.Run(tc.name, func(b *testing.B) {
			ctx := context.Background()
			bs, err := bus.Open(ctx, bus.Options{
				StoreDir:     b.TempDir(),
				SyncInterval: tc.sync,
				Logger:       slog.New(slog.DiscardHandler),
			})
			if err != nil {
				b.Fatal(err)
			}
			defer bs.Close(ctx)

			var handled atomic.Int64
			all := make(chan struct{})
			cctx, cancel := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() {
				done <- bs.Consume(cctx, 4, func(context.Context, bus.FileEvent, func()) error {
					if handled.Add(1) == int64(b.N) {
						close(all)
					}
					return nil
				})
			}()
			b.ResetTimer()
			for i := range b.N {
				ev := bus.FileEvent{Root: "/vault", Path: fmt.Sprintf("notes/%d.md", i)}
				if _, err := bs.PublishFile(ctx, ev, fmt.Sprint(i)); err != nil {
					b.Fatal(err)
				}
			}
			<-all
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			cancel()
			if err := <-done; err != nil {
				b.Fatal(err)
			}
			poll.NoError(b, 10*time.Second, func() error {
				n, err := bs.Pending(ctx)
				if err == nil && n != 0 {
					err = fmt.Errorf("pending %d", n)
				}
				return err
			})
		})
	}
}

// BenchmarkEventLatency: one file event at a time through the embedded
// server, as the daemon sends a single save (a periodic sync, the
// daemon's setting): the time from PublishFile to the handler's call. It
// reports the median and the 99th percentile of 500 events, each sent
// 2 ms after the last was handled. stream stores every event; hand-off is
// the daemon's setting (Options.HandOff), which gives an event to the idle
// handler without the server.
func BenchmarkEventLatency(b *testing.B) {
	for _, handOff := range []bool{false, true} {
		name := "stream"
		if handOff {
			name = "hand-off"
		}
		b.Run(name, func(b *testing.B) { eventLatency(b, handOff) })
	}
}

func eventLatency(b *testing.B, handOff bool) {
	ctx := context.Background()
	bs, err := bus.Open(ctx, bus.Options{StoreDir: b.TempDir(), SyncInterval: 30 * time.Second, HandOff: handOff, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer bs.Close(ctx)
	got := make(chan time.Time, 1)
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- bs.Consume(cctx, 4, func(context.Context, bus.FileEvent, func()) error {
			got <- time.Now()
			return nil
		})
	}()
	defer func() {
		cancel()
		<-done
	}()
	i, direct := 0, 0
	for b.Loop() {
		var took []time.Duration
		for range 500 {
			i++
			t0 := time.Now()
			seq, err := bs.PublishFile(ctx, bus.FileEvent{Root: "/vault", Path: fmt.Sprintf("notes/%d.md", i)}, fmt.Sprint(i))
			if err != nil {
				b.Fatal(err)
			}
			if seq == 0 {
				direct++
			}
			took = append(took, (<-got).Sub(t0))
			time.Sleep(2 * time.Millisecond)
		}
		slices.Sort(took)
		b.ReportMetric(float64(took[len(took)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(took[len(took)*99/100].Microseconds()), "p99-µs")
	}
	b.ReportMetric(float64(direct)/float64(i), "handed-off")
}
