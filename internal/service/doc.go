// Package service runs `scribe watch` as a service of the user's own service
// manager: it renders a systemd user unit (and, for macOS, a launchd agent
// plist), installs and removes it with systemctl, and speaks the sd_notify
// protocol from inside the daemon.
//
// # The unit
//
// Unit renders a Type=notify unit that starts `scribe watch -c CONFIG` with
// an absolute binary path, restarts it on failure, and asks for a watchdog
// ping every WatchdogSec. It is hardened the way a file-rewriting daemon can
// be: NoNewPrivileges, ProtectSystem=strict with ReadWritePaths naming only
// the roots and the state directory, a private /tmp, no kernel tunables, no
// SUID/SGID files, no personality changes. MemoryDenyWriteExecute is left out
// on purpose: the filter is inherited by every command an exec action runs,
// and JIT runtimes (node for prettier, for one) and wazero's compiler need
// writable-then-executable memory. KillMode=control-group stops every process
// of the service, including grandchildren that escaped their process group
// with setsid (see doc/actions/exec.md).
//
// Paths are quoted for systemd (spaces, quotes, backslashes) and its
// specifier and variable characters (% and $) are escaped, so any path works.
//
// # sd_notify
//
// Notifier sends READY=1 once the daemon is watching and caught up,
// STOPPING=1 when it begins to shut down, and, when the manager asked for a
// watchdog (WATCHDOG_USEC), WATCHDOG=1 at half that interval, but only after
// a liveness check passes: a daemon whose check fails or hangs is not pinged,
// so systemd restarts it. Outside systemd (no NOTIFY_SOCKET) it does nothing.
// The datagrams are sent by github.com/coreos/go-systemd/v22/daemon.
//
// # launchd
//
// Plist renders a launchd agent for ~/Library/LaunchAgents. It is written on
// macOS, but has not been run there by the project's tests; they check that
// it is a well-formed property list with the right program arguments.
//
// # Concurrency
//
// Notifier's methods may be called from any goroutine. Watchdog runs until its
// context ends and has returned when it does.
package service
