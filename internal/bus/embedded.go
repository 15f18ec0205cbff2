package bus

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// readyTimeout bounds how long Open waits for the embedded server when ctx has
// no earlier deadline. Recovering a large store can take a while.
const readyTimeout = 30 * time.Second

// startEmbedded starts a JetStream server with no network listener whose store
// is o.StoreDir.
func startEmbedded(ctx context.Context, o Options) (*server.Server, error) {
	if err := os.MkdirAll(o.StoreDir, 0o700); err != nil {
		return nil, fmt.Errorf("create bus store directory: %w", err)
	}
	sopts := &server.Options{
		ServerName: o.Name,
		DontListen: true, // in-process connections only: no port, no exposure
		NoSigs:     true, // signals belong to the daemon, not to the library
		JetStream:  true,
		StoreDir:   o.StoreDir,
		// Hard limits, so that a runaway producer fails its publishes
		// (ErrStorageFull) instead of filling the disk or the memory.
		JetStreamMaxMemory: o.MaxMemory,
		JetStreamMaxStore:  o.MaxStore,
		SyncAlways:         o.SyncInterval == 0,
		SyncInterval:       o.SyncInterval,
	}
	s, err := server.NewServer(sopts)
	if err != nil {
		return nil, fmt.Errorf("configure embedded NATS server: %w", err)
	}
	logs := &serverLogger{log: o.Logger.With("component", "nats-server")}
	s.SetLoggerV2(logs, false, false, false)
	s.Start()

	wait := readyTimeout
	if d, ok := ctx.Deadline(); ok {
		wait = min(wait, time.Until(d))
	}
	if !s.ReadyForConnections(wait) || !s.JetStreamEnabled() {
		s.Shutdown()
		s.WaitForShutdown()
		if e := logs.failure(); e != "" {
			return nil, fmt.Errorf("start embedded NATS server with store %s: %s", o.StoreDir, e)
		}
		return nil, fmt.Errorf("start embedded NATS server with store %s: not ready after %v", o.StoreDir, wait)
	}
	return s, nil
}

// serverLogger sends nats-server's logs to slog. Notices (the startup banner)
// go to Debug: they are the library's business, not the user's. The last fatal
// or error message is kept so that a failed start can say why.
type serverLogger struct {
	log *slog.Logger

	mu   sync.Mutex
	last string
}

func (l *serverLogger) Noticef(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l *serverLogger) Warnf(format string, v ...any)   { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l *serverLogger) Debugf(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l *serverLogger) Tracef(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }

// Fatalf logs at Error level and never exits: the server's own fatal handler
// would end the whole daemon.
func (l *serverLogger) Fatalf(format string, v ...any) { l.keep(fmt.Sprintf(format, v...)) }
func (l *serverLogger) Errorf(format string, v ...any) { l.keep(fmt.Sprintf(format, v...)) }

func (l *serverLogger) keep(msg string) {
	l.log.Error(msg)
	l.mu.Lock()
	l.last = msg
	l.mu.Unlock()
}

func (l *serverLogger) failure() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last
}
