// Package sandbox runs allow-listed external commands for actions, safely.
//
// A command is named in security.commands with an absolute path. When the
// configuration loads, ResolveCommand checks that path (absolute, existing,
// a regular executable file, not writable by group or others, symlinks
// evaluated) and returns the real file to run. NewRunner then records each
// binary's identity (device, inode, mode, owner, size, modification time);
// Run refuses a binary whose identity changed since, or that became writable
// by group or others, so a file swapped in after the configuration was checked
// is never executed.
//
// Run never uses a shell. The child gets argv = [path, Args..., "--",
// Files...] (no "--" when there are no files), so a file named
// "$(touch PWNED)", ";rm -rf x" or "-rf" is one inert argument. Its
// environment holds only the allow-listed variables (security.env) that are
// set in Scribe's own environment. It runs in a new process group; on timeout,
// cancellation or an output flood the whole group is killed with SIGKILL, and
// when the main process ends, whatever it left running in its group is killed
// too. Standard output and standard error are each captured up to the output
// cap; past it the group is killed and the result is marked Truncated. The
// working directory is opened through os.Root inside the root, so a Dir of
// "../..", an absolute path or a symlink leading outside is refused, and the
// directory the child starts in is the one that was checked (the child
// changes into the opened directory itself, not into a path that could be
// swapped meanwhile).
//
// Start runs a long-lived command (a process plugin) under the same rules,
// with pipes to its standard input, output and error instead of captured
// output and a timeout: the caller owns the conversation, Process.Stop ends
// it gracefully then forcefully (the whole group), and Process.Kill at once;
// both are safe to repeat.
//
// # Limits
//
// A process that leaves its process group (setsid, double fork into a new
// session) escapes the group kill. Run still returns on time: WaitDelay
// closes the output pipes shortly after the deadline. Contain such commands
// with a cgroup (for example, a systemd unit with KillMode=control-group).
// The identity check and the exec are two steps; the check stops binaries
// replaced by rename or rewritten in place, and ResolveCommand's refusal of
// writable binaries and directories narrows who could race it.
//
// # Usage
//
//	path, err := sandbox.ResolveCommand("/usr/bin/prettier") // at config load
//	r := sandbox.NewRunner(root, map[string]string{"prettier": path}, []string{"PATH", "HOME"}, 8<<20)
//	res, err := r.Run(ctx, action.Command{Name: "prettier", Args: []string{"--check"}, Files: []string{"a.md"}, Timeout: 5 * time.Second})
//
// # Concurrency
//
// A Runner is immutable after NewRunner and safe for concurrent use; each Run
// starts its own process and returns only after that process has been reaped
// and its output pipes closed. Run holds no goroutine after it returns.
package sandbox
