package remote

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// InlineMax is the largest content a job or a result carries in its
// message; larger content goes through the object store (NATS messages are
// at most 1 MiB by default, and the JSON encoding adds a third).
const InlineMax = 256 << 10

// names are the server objects of one bus name.
type names struct {
	jobsStream, jobs, runners            string
	results, direct                      string
	configBucket, workersBucket, objects string
	// oldResults is the results stream of wire version 1, removed.
	oldResults string
}

func newNames(bus string) names {
	return names{
		jobsStream: bus + "-jobs", jobs: bus + ".jobs", runners: bus + "-runners",
		results: bus + ".results", direct: bus + ".direct",
		configBucket: bus + "-config", workersBucket: bus + "-workers", objects: bus + "-content",
		oldResults: bus + "-results",
	}
}

// heartbeatEvery is how often a worker puts its heartbeat; entries expire
// after heartbeatTTL, so a worker that is gone leaves the list soon.
const (
	heartbeatEvery = 2 * time.Second
	heartbeatTTL   = 3 * heartbeatEvery
)

// dedupWindow is how long the server remembers a job's or a result's id.
const dedupWindow = 10 * time.Minute

// objects are the handles both sides use.
type objects struct {
	n       names
	js      jetstream.JetStream
	jobs    jetstream.Stream
	runners jetstream.Consumer
	config  jetstream.KeyValue
	workers jetstream.KeyValue
	content jetstream.ObjectStore
}

// setup creates or updates every object (idempotent; the owner and the
// workers all call it, so whichever starts first makes them).
func setup(ctx context.Context, js jetstream.JetStream, bus string, replicas int, ackWait time.Duration) (*objects, error) {
	o := &objects{n: newNames(bus), js: js}
	var err error
	o.jobs, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: o.n.jobsStream, Description: "Scribe scale-out: files' rules to run on a worker",
		Subjects: []string{o.n.jobs}, Retention: jetstream.WorkQueuePolicy, Storage: jetstream.FileStorage,
		Discard: jetstream.DiscardNew, Duplicates: dedupWindow, Replicas: replicas,
	})
	if err != nil {
		return nil, streamErr(o.n.jobsStream, err)
	}
	o.runners, err = o.jobs.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable: o.n.runners, Description: "Scribe workers (scribe worker, and the owner's own)",
		AckPolicy: jetstream.AckExplicitPolicy, AckWait: ackWait, MaxDeliver: -1, MaxAckPending: 10000,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return nil, fmt.Errorf("create consumer %s: %w", o.n.runners, err)
	}
	// Results travel as requests to the owner now; the stream that
	// carried them (an earlier release's) would answer them too.
	if err := js.DeleteStream(ctx, o.n.oldResults); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, fmt.Errorf("delete the results stream %s of an earlier release: %w", o.n.oldResults, err)
	}
	o.config, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: o.n.configBucket, Description: "Scribe scale-out: configuration revisions", History: 1,
		Storage: jetstream.FileStorage, Replicas: replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("create key-value bucket %s: %w", o.n.configBucket, err)
	}
	o.workers, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: o.n.workersBucket, Description: "Scribe scale-out: worker heartbeats", History: 1,
		TTL: heartbeatTTL, Storage: jetstream.MemoryStorage, Replicas: replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("create key-value bucket %s: %w", o.n.workersBucket, err)
	}
	o.content, err = js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket: o.n.objects, Description: "Scribe scale-out: contents too large for a message",
		TTL: 24 * time.Hour, Storage: jetstream.FileStorage, Replicas: replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("create object store %s: %w", o.n.objects, err)
	}
	return o, nil
}

func streamErr(name string, err error) error {
	return fmt.Errorf("create or update stream %s: %w (if it was created with another configuration, delete it with the nats CLI)", name, err)
}

// retry calls f until it succeeds, ctx ends or give-up passes, waiting a
// little more each time: a publish or an ack during a cluster node's loss
// fails until the stream has a leader again. f must be safe to repeat
// (publishes carry a message id).
func retry(ctx context.Context, giveUp time.Duration, f func(ctx context.Context) error) error {
	deadline := time.Now().Add(giveUp)
	wait := 50 * time.Millisecond
	for {
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := f(actx)
		cancel()
		if err == nil || ctx.Err() != nil || time.Now().After(deadline) || errors.Is(err, errPermanent) {
			if ctx.Err() != nil && err != nil {
				return ctx.Err()
			}
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(wait*2, time.Second)
	}
}

// errPermanent marks an error that retrying cannot fix.
var errPermanent = errors.New("permanent")
