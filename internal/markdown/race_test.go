//go:build race

package markdown

// raceEnabled is true when the race detector, which slows this package's
// tests some tenfold, is on.
const raceEnabled = true
