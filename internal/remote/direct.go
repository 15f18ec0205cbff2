package remote

import (
	"context"
	"encoding/json"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The direct hand-off. A job on the R3 jobs stream reaches a worker only
// once three servers have stored it, and that replication keeps both of a
// small machine's cores busy while the job travels: on loopback it was
// most of what a remote save added (doc/PERFORMANCE.md, "Scale-out"). So
// while some worker should have a free slot, the owner first offers an
// inline job on the direct subject, a core NATS request to the workers'
// queue group. The worker it reaches answers at once: taken (it has a free
// slot and the job's revision loaded) or busy; anything else (busy, no
// worker, no answer within OwnerOptions.DirectWait) and the job goes on the stream as
// before.
//
// A job taken directly has no stored copy, so the owner stands in for the
// stream's redelivery: the worker sends progress every AckWait/3 as it
// would on the stream, and gives the job back when it cannot finish it;
// a job given back, or whose worker fell silent for AckWait, goes on the
// stream then. Its result, when it comes, is taken like any other: the
// first of a job is applied, a second dropped.

// revisionHeader carries a direct job's revision, so that a worker can
// tell whether it has it loaded without reading the job.
const revisionHeader = "Scribe-Revision"

// A worker's answers to a direct job.
const (
	directTaken = "taken"
	directBusy  = "busy"
)

// directWait is OwnerOptions.DirectWait's default: how long the owner
// waits for a worker to answer a direct job. A worker that took it and
// answered later runs it a second time, once from the stream; the owner
// drops one result.
const directWait = 50 * time.Millisecond

// States of a direct job that a worker sends on the results subject
// (resultMsg.State), with no reply expected.
const (
	stateProgress = "progress" // still running
	stateReleased = "released" // given back: the owner queues it on the stream
)

// delivery is a job as a worker got it, settled the same way whether it
// came from the stream (a jetstream.Msg) or directly (directJob).
type delivery interface {
	Data() []byte
	Ack() error
	Nak() error
	NakWithDelay(time.Duration) error
	InProgress() error
	Term() error
}

var (
	_ delivery = jetstream.Msg(nil)
	_ delivery = (*directJob)(nil)
)

// directJob is a job taken from the direct subject. Settling it tells the
// owner, which stands in for the stream: an ack is the owner's reply to
// the result already; progress and a nak are sent to it.
type directJob struct {
	w    *Worker
	id   string
	data []byte
}

func (d *directJob) Data() []byte                       { return d.data }
func (d *directJob) Ack() error                         { return nil }
func (d *directJob) InProgress() error                  { return d.w.tell(d.id, stateProgress) }
func (d *directJob) Nak() error                         { return d.w.tell(d.id, stateReleased) }
func (d *directJob) NakWithDelay(_ time.Duration) error { return d.Nak() }
func (d *directJob) Term() error                        { return d.Nak() }

// tell sends the owner a state of direct job id.
func (w *Worker) tell(id, state string) error {
	data, err := json.Marshal(resultMsg{V: wireVersion, ID: id, Worker: w.info.ID, State: state})
	if err != nil {
		return err
	}
	return w.o.js.Conn().Publish(w.o.n.results, data)
}

// takeDirect is the direct subject's handler: it takes the job when a
// slot is free and the job's revision is loaded, and answers busy
// otherwise. It does not block: it runs on the subscription's goroutine.
// drain is the jobs' context, as in pull.
func (w *Worker) takeDirect(drain context.Context) nats.MsgHandler {
	return func(msg *nats.Msg) {
		id := msg.Header.Get(jetstream.MsgIDHeader)
		if id == "" || !w.takeSlot(msg.Header.Get(revisionHeader)) {
			msg.Respond([]byte(directBusy))
			return
		}
		// Taken even if the answer is lost: the owner then queues the
		// job too, and drops one of the two results.
		msg.Respond([]byte(directTaken))
		w.direct.Add(1)
		d := &directJob{w: w, id: id, data: msg.Data}
		go func() {
			defer w.jobs.Done()
			defer func() { <-w.slots }()
			w.handle(drain, d, true)
		}()
	}
}

// takeSlot takes a slot for a direct job of revision rev, if one is free,
// the revision is loaded and the worker is not stopping.
func (w *Worker) takeSlot(rev string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.runtimes[rev]; !ok || w.stopping {
		return false
	}
	select {
	case w.slots <- struct{}{}:
		w.jobs.Add(1)
		return true
	default:
		return false
	}
}
