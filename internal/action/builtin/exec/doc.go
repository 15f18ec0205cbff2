// Package exec holds the built-in exec action (doc/actions/exec.md): run an
// allow-listed command (security.commands) with no shell, a timeout and an
// output cap, through the Host's CommandRunner (internal/sandbox). As a
// filter it sends the content on stdin and takes stdout as the new content;
// as a check it reads file:line:col: message lines of the output as
// findings.
//
// Each argument is a template rendered to exactly one argv element, and the
// file's path comes last, after "--", so no file name can become an option.
//
// The action is immutable after construction and safe for concurrent use
// (see package builtin).
package exec
