package bus

import (
	"errors"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

var (
	// ErrClosed is returned by every method once Close has been called.
	ErrClosed = errors.New("bus: closed")
	// ErrStorageFull is matched (errors.Is) by a publish the server refused
	// because a JetStream store or stream limit is reached. The caller should
	// back off: the files on disk stay the truth (the daemon has its watcher
	// report a file whose event it gave up on again at the next rescan).
	ErrStorageFull = errors.New("bus: storage full")
	// ErrNotFound is matched by RetryDeadLetter and DropDeadLetter when no dead
	// letter has the given ID.
	ErrNotFound = errors.New("bus: not found")
)

// Permanent marks a handler error that retrying cannot fix (a file the worker
// may not read, say): Consume dead-letters the event at once instead of
// redelivering it. Every other handler error is retried with back-off.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

// IsPermanent reports whether err, or an error it wraps, was marked with
// Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// FailedRule names the rule whose failure err is. A dead letter made from
// a handler error that carries it (errors.As) records the rule, so that dead
// letters can be grouped and retried by rule (DeadLetter.Rule).
func FailedRule(rule string, err error) error {
	if err == nil || rule == "" {
		return err
	}
	return &ruleError{rule: rule, err: err}
}

type ruleError struct {
	rule string
	err  error
}

func (e *ruleError) Error() string { return e.err.Error() }
func (e *ruleError) Unwrap() error { return e.err }

// failedRule returns the rule FailedRule attached to err, or "".
func failedRule(err error) string {
	var r *ruleError
	if errors.As(err, &r) {
		return r.rule
	}
	return ""
}

// storageError wraps a publish error so that it also matches ErrStorageFull.
type storageError struct{ err error }

func (e *storageError) Error() string {
	return e.err.Error() + " (the NATS JetStream store is full: raise the limit or free space; files on disk are unaffected)"
}
func (e *storageError) Unwrap() []error { return []error{e.err, ErrStorageFull} }

// JetStream error codes that mean "no room".
const (
	codeInsufficientResources = 10023 // account or server limit
	codeStorageExceeded       = 10047 // file store limit
	codeMemoryExceeded        = 10028 // memory store limit
	codeStoreFailed           = 10077 // stream limit with discard new: "maximum bytes exceeded"
)

// classify wraps err in a storageError when the server refused a message for
// lack of room, and returns it unchanged otherwise.
func classify(err error) error {
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) {
		return err
	}
	switch apiErr.ErrorCode {
	case codeInsufficientResources, codeStorageExceeded, codeMemoryExceeded:
		return &storageError{err}
	case codeStoreFailed:
		if strings.Contains(apiErr.Description, "maximum") {
			return &storageError{err}
		}
	}
	return err
}
