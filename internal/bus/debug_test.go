package bus_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/bus"
	"github.com/scribe-md/scribe/internal/bus/bustest"
)

func TestDebugTiming(t *testing.T) {
	b := bustest.Open(t, bustest.New(t))
	start := time.Now()
	consume(t, b, 1, func(_ context.Context, ev bus.FileEvent, _ func()) error {
		t.Logf("%v delivery %d", time.Since(start), ev.Deliveries)
		return errors.New("x")
	})
	publish(t, b, "/r", "p.md", "")
	checkFor(t, deadLettersAre(t.Context(), b, 1))
	t.Logf("%v dlq", time.Since(start))
}
