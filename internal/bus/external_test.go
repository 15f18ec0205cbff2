package bus_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/scribe-md/scribe/internal/bus"
	"github.com/scribe-md/scribe/internal/bus/bustest"
	"github.com/scribe-md/scribe/internal/poll"
)

// Two daemons on one external server share the work, and keep working
// across a restart of the server.
func TestExternalServer(t *testing.T) {
	srv := bustest.External(t)
	o := bustest.New(t)
	o.URL, o.StoreDir = srv.URL(), ""
	b1 := bustest.Open(t, o)
	b2 := bustest.Open(t, o)
	ctx := t.Context()

	var rec recorder
	h := func(_ context.Context, ev bus.FileEvent, _ func()) error {
		rec.add(ev)
		return nil
	}
	consume(t, b1, 2, h)
	consume(t, b2, 2, h)

	const n = 50
	for i := range n {
		publish(t, b1, "/r", fmt.Sprintf("%d.md", i), "")
	}
	poll.NoError(t, 20*time.Second, pendingIs(ctx, b2, 0))
	poll.NoError(t, 20*time.Second, func() error {
		for i := range n {
			if c := rec.count(fmt.Sprintf("%d.md", i)); c != 1 {
				return fmt.Errorf("%d.md handled %d times, want 1", i, c)
			}
		}
		return nil
	})

	srv.Restart()
	poll.NoError(t, 20*time.Second, func() error { // publishes fail until the client reconnects
		_, err := b2.PublishFile(ctx, bus.FileEvent{Root: "/r", Path: "after.md"}, "after")
		return err
	})
	poll.NoError(t, 20*time.Second, func() error {
		if rec.count("after.md") != 1 {
			return fmt.Errorf("after.md handled %d times after the restart", rec.count("after.md"))
		}
		return nil
	})
	poll.NoError(t, 20*time.Second, pendingIs(ctx, b1, 0))
}

// TestConsumeAfterALostPullRequest: the bus's first request for live
// events is lost on the way to the server (a proxy drops it), and neither
// side hears of it: the client counts the events it asked for as coming.
// The pull's heartbeats never come either; the bus notices and asks again,
// so the event published next is handled.
func TestConsumeAfterALostPullRequest(t *testing.T) {
	srv := bustest.External(t)
	o := bustest.New(t)
	stream, name := bus.LiveConsumerOf(o)
	p := startDropProxy(t, strings.TrimPrefix(srv.URL(), "nats://"), "$JS.API.CONSUMER.MSG.NEXT."+stream+"."+name, 1)
	o.URL, o.StoreDir = p.URL(), ""
	b := bustest.Open(t, o)
	var rec recorder
	consume(t, b, 2, func(_ context.Context, ev bus.FileEvent, _ func()) error {
		rec.add(ev)
		return nil
	})
	poll.Until(t, 10*time.Second, "the first pull request dropped", func() bool { return p.dropped() == 1 })
	publish(t, b, "/r", "a.md", "")
	start := time.Now()
	handled(t, &rec, "a.md", 30*time.Second)
	t.Logf("a.md handled %v after its publish", time.Since(start))
}

// clusterBus opens a bus on a new three-node cluster (file queue with 3
// replicas) that consumes with a recorder, and returns the cluster, the
// bus, the recorder, the live events' consumer, and the subject that makes
// that consumer's leader step down.
func clusterBus(t *testing.T) (*bustest.Cluster, *bus.Bus, *recorder, jetstream.Consumer, string) {
	c := bustest.StartCluster(t)
	o := bustest.New(t)
	o.URL, o.StoreDir, o.Replicas = c.URL(), "", 3
	b := bustest.Open(t, o)
	rec := &recorder{}
	consume(t, b, 2, func(_ context.Context, ev bus.FileEvent, _ func()) error {
		rec.add(ev)
		return nil
	})
	stream, name := bus.LiveConsumerOf(o)
	cons, err := b.JetStream().Consumer(t.Context(), stream, name)
	if err != nil {
		t.Fatal(err)
	}
	return c, b, rec, cons, "$JS.API.CONSUMER.LEADER.STEPDOWN." + stream + "." + name
}

// waiting waits until cons has a leader holding a pull request of the bus
// (an idle bus's), and returns that leader's name.
func waiting(t *testing.T, cons jetstream.Consumer) string {
	t.Helper()
	var leader string
	poll.NoError(t, 30*time.Second, func() error {
		// Mid-election the request can go unanswered: asked again soon.
		ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
		defer cancel()
		info, err := cons.Info(ctx)
		if err != nil {
			return err
		}
		if info.Cluster == nil || info.Cluster.Leader == "" || info.NumWaiting == 0 {
			return fmt.Errorf("no leader with a pull request waiting")
		}
		leader = info.Cluster.Leader
		return nil
	})
	return leader
}

// handled waits until path was handled once, for at most d.
func handled(t *testing.T, rec *recorder, path string, d time.Duration) {
	t.Helper()
	poll.NoError(t, d, func() error {
		if n := rec.count(path); n != 1 {
			return fmt.Errorf("%s handled %d times", path, n)
		}
		return nil
	})
}

// TestConsumeAcrossLeaderLoss: on a three-node cluster, the node that
// leads the file queue's consumer goes away while it holds the bus's
// waiting pull request, the bus connected to another node, which hears
// nothing of it. Once the queue has leaders again, the next event is
// handled within seconds.
func TestConsumeAcrossLeaderLoss(t *testing.T) {
	c, b, rec, cons, stepDown := clusterBus(t)
	publish(t, b, "/r", "before.md", "")
	handled(t, rec, "before.md", 20*time.Second)

	// The consumer's leader is made a node other than the bus's.
	nc, err := nats.Connect(c.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	on := b.Conn().ConnectedServerName()
	leader := waiting(t, cons)
	for leader == on {
		if _, err := nc.Request(stepDown, nil, 2*time.Second); err != nil {
			t.Logf("step down: %v", err)
		}
		leader = waiting(t, cons)
	}
	for i := range 3 {
		if c.Name(i) == leader {
			c.Kill(i)
		}
	}
	t.Logf("killed %s, the consumer's leader; the bus is on %s", leader, on)

	poll.NoError(t, 30*time.Second, func() error { // until the queue has a leader again
		_, err := b.PublishFile(t.Context(), bus.FileEvent{Root: "/r", Path: "after.md"}, "after")
		return err
	})
	published := time.Now()
	handled(t, rec, "after.md", 10*time.Second)
	t.Logf("after.md handled %v after its publish", time.Since(published))
}

// TestConsumeAcrossLeaderChanges: on a three-node cluster, the file queue's
// consumer leader steps down again and again between events, each time
// with the bus's pull request waiting on it: every event is handled, and
// the bus's pull request waits at each new leader.
func TestConsumeAcrossLeaderChanges(t *testing.T) {
	c, b, rec, cons, stepDown := clusterBus(t)
	nc, err := nats.Connect(c.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()

	const rounds, per = 3, 5
	for r := range rounds {
		for i := range per {
			publish(t, b, "/r", fmt.Sprintf("%d-%d.md", r, i), "")
		}
		for i := range per {
			handled(t, rec, fmt.Sprintf("%d-%d.md", r, i), 20*time.Second)
		}
		from := waiting(t, cons)
		if _, err := nc.Request(stepDown, nil, 2*time.Second); err != nil {
			t.Fatalf("round %d: step down: %v", r, err)
		}
		sd := time.Now()
		poll.NoError(t, 30*time.Second, func() error {
			if to := waiting(t, cons); to == from {
				return fmt.Errorf("round %d: %s still leads", r, to)
			}
			return nil
		})
		t.Logf("round %d: pull waiting at the new leader %v after the step-down", r, time.Since(sd))
	}
	publish(t, b, "/r", "last.md", "")
	handled(t, rec, "last.md", 10*time.Second)
	poll.NoError(t, 20*time.Second, pendingIs(t.Context(), b, 0))
}
