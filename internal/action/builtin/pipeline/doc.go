// Package pipeline holds the built-in pipeline action
// (doc/actions/pipeline.md): stages, each any action with its parameters and
// an optional timeout, run in sequence (each sees the previous one's output)
// or in parallel (each sees the input, and their changes merge by a
// strategy), with the error strategy fail_fast or continue.
//
// Stages are built through the action registry when the configuration
// loads, so a stage's parameters are checked then, against its own schema.
// In parallel mode the stages of one file run on goroutines of their own,
// each under its deadline; the action waits for all of them before it
// returns.
//
// The action is immutable after construction and safe for concurrent use
// (see package builtin).
package pipeline
