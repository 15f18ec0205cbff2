// Package cli implements the scribe command line: one file per subcommand,
// a shared loader for the configuration, and the exit codes of SPEC §1
// (0 ok, 1 changes or findings in check, 2 usage or configuration error,
// 3 a file, an action or the daemon failed).
//
// Results go to stdout; logs and progress go to stderr.
package cli
