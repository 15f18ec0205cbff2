// Package doctor checks a Scribe setup and says what to fix: the
// configuration, the roots, the inotify limits against the size of the
// trees (with the sysctl line that raises them), the state directory and its
// journal, a running daemon, the bus (the embedded store opens, or an
// external cluster answers with JetStream), the git work trees, and an
// installed systemd unit.
//
// A check is a function from an Env to results, each ok, skip, warn or
// FAIL with a message and, where something should be done, a fix. Checks
// lists them in order; a new one (plugins, for one) is a function added to
// that list. Checks read, and write only a probe file in the state directory
// (created and removed); the bus check opens the embedded store only when no
// daemon holds it.
//
// # Concurrency
//
// Run runs the checks one after another, each under its own deadline; an
// Env is not for concurrent use.
package doctor
