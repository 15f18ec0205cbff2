//go:build race

package daemon_test

// raceEnabled scales heavy tests down: the race detector slows the
// embedded NATS server and the engine about fivefold.
const raceEnabled = true
