package bus

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
