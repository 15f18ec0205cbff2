// Package cli implements the scribe command line: one file per subcommand,
// a shared loader for the configuration, and the exit codes of SPEC §1
// (0 ok, 1 changes or findings in check and problems found by doctor and
// service, 2 usage or configuration error, 3 a file, an action or the daemon
// failed). `scribe help TOPIC` shows the texts of doc/help; the hidden
// `scribe man DIR` writes man pages from the command tree.
//
// Results go to stdout; logs and progress go to stderr.
package cli
