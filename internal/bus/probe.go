package bus

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Probe connects to the external NATS server or cluster at url, checks that
// JetStream answers for the account, and disconnects. It creates nothing, so
// `scribe doctor` can run it beside a live daemon. It returns how many
// streams the account holds.
func Probe(ctx context.Context, url string) (streams int, err error) {
	timeout := connectTimeout
	if d, ok := ctx.Deadline(); ok {
		timeout = max(min(timeout, time.Until(d)), time.Millisecond)
	}
	nc, err := nats.Connect(url, nats.Name("scribe-doctor"), nats.Timeout(timeout), nats.NoReconnect())
	if err != nil {
		return 0, fmt.Errorf("connect to NATS at %s: %w", redact(url), err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return 0, fmt.Errorf("jetstream: %w", err)
	}
	info, err := js.AccountInfo(ctx)
	if err != nil {
		return 0, fmt.Errorf("NATS at %s answers, but JetStream does not (is it enabled, e.g. nats-server -js?): %w", redact(url), err)
	}
	return info.Streams, nil
}
