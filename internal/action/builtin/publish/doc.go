// Package publish holds the built-in publish action (doc/actions/publish.md):
// an event with a fixed type, the file's path and templated data, on the bus
// in the daemon and as a JSON line on stdout in one-shot runs. The event
// travels in the action's Output and the engine delivers it, so the action
// itself has no effect and behaves the same in a dry run.
//
// The action is immutable after construction and safe for concurrent use
// (see package builtin).
package publish
