// Package sandbox runs allow-listed external commands for actions, safely.
//
// A command is named in security.commands with an absolute path. When the
// configuration loads, ResolveCommand checks that path (absolute, existing,
// a regular executable file, not writable by group or others, symlinks
// evaluated) and returns the real file to run. NewRunner then records each
// binary's identity (device, inode, mode, owner, size, modification and change
// times) and the SHA-256 of its content; Run refuses a binary that is another
// file now, whose mode or owner changed, whose content differs (checked again
// whenever its size or times moved: a rewrite with the size and mtime put back
// still changes the ctime), or that became writable by group or others, so a
// file swapped in after the configuration was checked is never executed.
// Hashes are cached by path and identity, so a reload does not re-read
// unchanged binaries.
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
// # Processes that leave the group
//
// A process that leaves its process group (setsid, a double fork into a new
// session) escapes the group kill. The first Run makes Scribe a child
// subreaper (PR_SET_CHILD_SUBREAPER), so such an orphan is reparented to
// Scribe rather than init; when the command ends, Run kills and reaps every
// reparented process still in its group, and every one in another session
// started after the command began (unless another command, still running,
// began before it: that command's end takes it). They are counted in
// Escaped (the daemon's scribe_exec_escaped_total). Processes started by the
// rest of Scribe stay in Scribe's session and are never touched. Run it
// under a cgroup (systemd KillMode=control-group) to contain even a process
// that escapes some other way.
//
// Start runs a long-lived command (a process plugin) under the same rules,
// with pipes to its standard input, output and error instead of captured
// output and a timeout: the caller owns the conversation, Process.Stop ends
// it gracefully then forcefully (the whole group), and Process.Kill at once;
// both are safe to repeat.
//
// # Limits
//
// The identity check and the exec are two steps; the check stops binaries
// replaced by rename or rewritten in place, and ResolveCommand's refusal of
// writable binaries and directories narrows who could race it. (Executing by
// descriptor would close the gap for compiled programs, but not for scripts,
// whose interpreter reopens them by path.)
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
