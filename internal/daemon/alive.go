package daemon

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
)

// Alive reports whether the daemon is live rather than wedged: its state lock
// can be taken, and the bus answers a request (a JetStream round trip through
// the embedded server), both before ctx ends. systemd's watchdog is pinged
// only while it passes, and /healthz answers 503 while it fails.
//
// An external bus (bus.url) that is down is not a wedge: the client
// reconnects by itself and a restart would not bring the cluster back, so a
// disconnected client counts as live. A connected one that does not answer
// does not.
func (d *Daemon) Alive(ctx context.Context) error {
	for !d.mu.TryRLock() {
		select {
		case <-ctx.Done():
			return errors.New("the daemon's state lock stays held (a deadlock?)")
		case <-time.After(time.Millisecond):
		}
	}
	d.mu.RUnlock()
	b := d.liveBus.Load()
	if b == nil {
		return errors.New("starting: the bus is not open yet")
	}
	if b.Server() == nil && b.Conn().Status() != nats.CONNECTED {
		return nil
	}
	if _, err := b.Pending(ctx); err != nil {
		return fmt.Errorf("the bus does not answer: %w", err)
	}
	return nil
}
