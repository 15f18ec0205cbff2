package bus

import "context"

// WithoutMover returns o with the dead-letter mover and the startup sweep
// disabled.
func WithoutMover(o Options) Options {
	o.noMover = true
	return o
}

// Exported for tests.
var (
	EncodeEvent = encodeEvent
	DecodeEvent = decodeEvent
)

// PutDeadLetter stores a dead letter for ev as if work-queue event seq had
// failed with cause (benchmarks and tests that need many).
func (b *Bus) PutDeadLetter(ctx context.Context, ev FileEvent, seq uint64, cause error) error {
	data, err := encodeEvent(ev)
	if err != nil {
		return err
	}
	return b.publishDeadLetter(ctx, deadSource{seq: seq, data: data, deliveries: 1, err: cause.Error(), rule: failedRule(cause)})
}

// Stored counts the events in the file queue's stream, without those
// handed off.
func (b *Bus) Stored(ctx context.Context) (int, error) {
	info, err := b.wq.Info(ctx)
	if err != nil {
		return 0, err
	}
	return int(info.State.Msgs), nil
}

// LiveConsumerOf names the file queue's stream and its consumer of live
// events, for a bus opened with o.
func LiveConsumerOf(o Options) (stream, consumer string) {
	if o.Name == "" {
		o.Name = DefaultName
	}
	n := newNames(o.Name)
	return n.wqStream, n.consumer
}
