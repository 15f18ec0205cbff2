package service

import (
	"context"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	sd "github.com/coreos/go-systemd/v22/daemon"
)

// Notifier speaks the sd_notify protocol to the service manager that started
// the process. Without NOTIFY_SOCKET every method does nothing.
type Notifier struct {
	log      *slog.Logger
	watchdog time.Duration // 0: the manager asked for no watchdog
	ready    atomic.Bool
	status   atomic.Value // string: the last status set, restored after a failed check
}

// NewNotifier reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID from the
// environment. The variables are left in place; commands that exec actions
// run never see them, since they get only security.env.
func NewNotifier(log *slog.Logger) *Notifier {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	n := &Notifier{log: log}
	if d, err := sd.SdWatchdogEnabled(false); err != nil {
		log.Warn("the service manager's watchdog setting is unusable; no watchdog pings", "err", err)
	} else {
		n.watchdog = d
	}
	return n
}

// WatchdogInterval is the manager's watchdog timeout (WATCHDOG_USEC), 0 when
// it asked for none.
func (n *Notifier) WatchdogInterval() time.Duration { return n.watchdog }

func (n *Notifier) send(state string) {
	if _, err := sd.SdNotify(false, state); err != nil {
		n.log.Debug("sd_notify", "state", state, "err", err)
	}
}

// Ready tells the manager that the daemon is watching and caught up.
func (n *Notifier) Ready(status string) {
	n.ready.Store(true)
	n.status.Store(oneLine(status))
	n.send(sd.SdNotifyReady + "\nSTATUS=" + oneLine(status))
}

// Status sets the one-line status `systemctl status` shows.
func (n *Notifier) Status(status string) {
	n.status.Store(oneLine(status))
	n.send("STATUS=" + oneLine(status))
}

// Stopping tells the manager that the daemon has begun to shut down.
func (n *Notifier) Stopping() {
	n.send(sd.SdNotifyStopping + "\nSTATUS=shutting down: finishing the files in flight")
}

// Watchdog pings the manager every half watchdog interval while alive says
// the daemon is live, until ctx ends. alive gets a context bounded by a
// quarter of the interval; a check that fails or does not return in time
// means no ping, and a daemon that stays that way is restarted by systemd.
// Before Ready, a live daemon also extends the manager's start timeout, so
// that a long catch-up on a large tree is not taken for a hung start.
// Without a watchdog setting, Watchdog returns at once.
func (n *Notifier) Watchdog(ctx context.Context, alive func(context.Context) error) {
	if n.watchdog <= 0 {
		return
	}
	period := n.watchdog / 2
	t := time.NewTicker(period)
	defer t.Stop()
	failing := false
	for {
		// The first check waits a period too: the daemon is still opening
		// its bus, and the manager arms the watchdog only at READY=1.
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cctx, cancel := context.WithTimeout(ctx, max(n.watchdog/4, time.Millisecond))
		err := alive(cctx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			if !failing {
				n.log.Error("liveness check failed: no watchdog ping; the service manager restarts the daemon if this lasts", "err", err, "watchdog", n.watchdog)
				n.send("STATUS=" + oneLine("liveness check failed: "+err.Error()))
			}
			failing = true
		default:
			state := sd.SdNotifyWatchdog
			if !n.ready.Load() {
				state += "\nEXTEND_TIMEOUT_USEC=" + strconv.FormatInt(n.watchdog.Microseconds(), 10)
			}
			if failing {
				n.log.Info("liveness check passes again")
				if st, _ := n.status.Load().(string); st != "" {
					state += "\nSTATUS=" + st
				}
				failing = false
			}
			n.send(state)
		}
	}
}

// oneLine makes s fit a single sd_notify variable.
func oneLine(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == '\n' || c == '\r' {
			b[i] = ' '
		}
	}
	return string(b)
}
