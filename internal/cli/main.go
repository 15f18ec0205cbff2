package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	_ "github.com/scribe-md/scribe/internal/action/builtin" // register the built-in actions
	"github.com/scribe-md/scribe/internal/config"

	"github.com/scribe-md/scribe/internal/escape"
)

// Exit codes (SPEC §1).
const (
	ExitOK      = 0
	ExitChanges = 1 // check: changes or findings; test: failures
	// ExitProblems is doctor's and service's 1: problems found.
	ExitProblems = 1
	ExitUsage    = 2 // usage or configuration error
	ExitFailure  = 3 // a file or action failed; daemon unreachable
)

// exitError carries an exit code with the error to print.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func fail(code int, err error) error { return &exitError{code: code, err: err} }

// silent is an exit code with nothing more to print.
type silent int

func (s silent) Error() string { return fmt.Sprintf("exit %d", int(s)) }

// globals are the flags every command shares.
type globals struct {
	config  string
	format  string
	quiet   bool
	verbose bool
	// cpuProfile, from the hidden --cpuprofile flag, is where a CPU profile
	// of the whole command goes; memProfile, from --memprofile, is where a
	// heap profile goes when the work is done (doc/PERFORMANCE.md uses them).
	cpuProfile, memProfile string
	profile                *os.File

	stdin          io.Reader
	stdout, stderr io.Writer
	log            *slog.Logger
}

// Main runs the command line and returns the process exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	g := &globals{stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRoot(g)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	defer stopProfile(g)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	var s silent
	if errors.As(err, &s) {
		return int(s)
	}
	var ce config.Errors
	var ee *exitError
	code := ExitUsage
	if errors.As(err, &ee) {
		code = ee.code
	}
	if errors.As(err, &ce) {
		fmt.Fprintln(stderr, escape.Text(ce.Error()))
		again := "; run `scribe config validate` after fixing them"
		if cmd != nil && cmd.CommandPath() == "scribe config validate" {
			again = ""
		}
		fmt.Fprintf(stderr, "scribe: %s%s\n", count(len(ce), "configuration error"), again)
		return ExitUsage
	}
	// An error may quote a file name or a line of a file.
	fmt.Fprintf(stderr, "scribe: %s\n", escape.Text(err.Error()))
	return code
}

func addFormatFlag(cmd *cobra.Command, g *globals) {
	cmd.Flags().StringVar(&g.format, "format", "text", "output format: text or json")
}

func checkFormat(g *globals) error {
	if g.format != "text" && g.format != "json" {
		return fail(ExitUsage, fmt.Errorf("--format must be text or json, not %q", g.format))
	}
	return nil
}

// logInfo, as a command annotation, makes info its default log level.
const logInfo = "scribe/log-info"

// newRoot builds the command tree.
func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:           "scribe",
		Short:         "Live automation for folders of Markdown and text files",
		Long:          "Scribe watches folders of Markdown and text files and, when a file changes,\nruns declarative rules that update front matter, check links, enforce naming,\nregenerate indexes and run allow-listed commands, writing results back atomically.",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRun: func(cmd *cobra.Command, _ []string) {
			// One-shot commands print results, and log only what goes
			// wrong; the daemon also says what it is doing (start, ready,
			// findings, pauses, reloads) at info.
			level := slog.LevelWarn
			if cmd.Annotations[logInfo] != "" {
				level = slog.LevelInfo
			}
			switch {
			case g.verbose:
				level = slog.LevelDebug
			case g.quiet:
				level = slog.LevelError
			}
			g.log = slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: level}))
			if OwnProcess && cmd.Annotations[writesFiles] != "" {
				raiseProcs(g.log)
			}
			startProfile(g)
		},
	}
	pf := root.PersistentFlags()
	pf.StringVarP(&g.config, "config", "c", "", "configuration file (default: scribe.yaml, then .scribe.yaml, in the current directory)")
	pf.BoolVarP(&g.quiet, "quiet", "q", false, "print only errors")
	pf.BoolVarP(&g.verbose, "verbose", "v", false, "print debug logs")
	pf.StringVar(&g.cpuProfile, "cpuprofile", "", "write a CPU profile (pprof) of the command to this file")
	pf.MarkHidden("cpuprofile")
	pf.StringVar(&g.memProfile, "memprofile", "", "write a heap profile (pprof) to this file when the work is done (run, check: before the report prints)")
	pf.MarkHidden("memprofile")
	root.AddCommand(
		newRunCmd(g), newCheckCmd(g), newWatchCmd(g), newWorkerCmd(g), newConfigCmd(g), newInitCmd(g),
		newTestCmd(g), newExplainCmd(g), newPluginsCmd(g), newPluginCmd(g), newVersionCmd(g), newServiceCmd(g), newDoctorCmd(g),
	)
	root.AddCommand(daemonCommands(g)...)
	root.AddCommand(newManCmd(g))
	setupHelp(root, g)
	return root
}

// CommandTree returns the command tree, for tools that document it (the man
// pages, the tests that keep doc/help in line with the commands).
func CommandTree() *cobra.Command {
	return newRoot(&globals{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard})
}
