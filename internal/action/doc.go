// Package action defines the contract between the engine and the things rules
// do to a file: the Action interface, its Input and Output, the registry that
// built-in actions join in init() (and plugin actions through Build), Call,
// which holds every call to its deadline, and the Pool that bounds a plugin's
// requests in flight.
//
// # Contract
//
// An action receives one file (path, content, front matter, the rule's regex
// match) and returns new content and/or findings and/or events. It must not touch
// anything else directly: other files, commands, the bus and the clock are
// reached only through the Host the engine hands it. A nil port in the Host means
// the action was not granted that capability; such an action returns
// ErrNotPermitted.
//
// # Concurrency
//
// The engine calls Run from many goroutines at once, each with its own Input, so
// an Action must be safe for concurrent use. Every call carries a deadline
// (the rule's action timeout). Call enforces it: an action that ignores its
// context is abandoned when the deadline passes; its goroutine is left to finish
// on its own, counted in Abandoned, and the rule fails with ErrAbandoned. The
// built-in actions look at their context in every loop (every few hundred
// iterations or kilobytes), so they stop within milliseconds of the deadline
// instead of being abandoned. Plugin requests take a slot of their runtime's
// Pool until they really return, so abandoned requests can never occupy more
// than the pool's size in goroutines.
//
// # Limits
//
// Call keeps at most MaxFindings findings of one call (CapFindings); actions
// that can report many stop building them at the cap. Each built-in action
// documents its other caps (doc/actions).
package action
