package remote

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/scribe-md/scribe/internal/engine"
)

// wireVersion is the version of jobs and results; a side refuses others.
// Version 2: results are requests to the owner, no longer a stream.
const wireVersion = 2

// jobMsg is a job on the jobs stream.
type jobMsg struct {
	V        int    `json:"v"`
	ID       string `json:"id"`
	Revision string `json:"revision"`
	// Object names the job's content in the object store when it was too
	// large to travel inline (Job.Content is then empty).
	Object string     `json:"object,omitempty"`
	Job    engine.Job `json:"job"`
	Made   time.Time  `json:"made"`
}

// resultMsg is a worker's answer, a request to the owner on the results
// subject; the owner's reply (empty) says it has it.
type resultMsg struct {
	V      int    `json:"v"`
	ID     string `json:"id"`
	Worker string `json:"worker"`
	// Object names the new content in the object store when it was too
	// large to travel inline.
	Object   string           `json:"object,omitempty"`
	Computed *engine.Computed `json:"computed,omitempty"`
	// Error is a failure of the whole job (the worker could not run its
	// rules); a rule's failure is in Computed.Failures.
	Error string `json:"error,omitempty"`
	// State, when set, makes this no result but news of a job taken
	// directly (stateProgress, stateReleased), published with no reply
	// expected.
	State string `json:"state,omitempty"`
}

func decode[T any](data []byte, v *T, version func(*T) int) error {
	if err := json.Unmarshal(data, v); err != nil {
		return err
	}
	if got := version(v); got != wireVersion {
		return fmt.Errorf("%w: wire version %d, want %d (owner and workers must run the same Scribe release)", errVersion, got, wireVersion)
	}
	return nil
}

// errVersion is a message of another release.
var errVersion = errors.New("another release")

// Revision is a configuration as the owner publishes it for its workers.
type Revision struct {
	// File is the configuration's path on the owner: a worker loads the
	// bytes as if from there (relative paths in them, plugin folders and
	// schema files, resolve against its directory) unless told another
	// directory.
	File string `json:"file"`
	// Config is the file's bytes.
	Config []byte `json:"config"`
	// Plugins are the digests of the owner's plugins (plugin.Set.Digests).
	Plugins map[string]string `json:"plugins,omitempty"`
	// Made is when the owner published it.
	Made time.Time `json:"made"`
}

// ID names the revision: the sha256 of the configuration's bytes and its
// plugins' digests, in hex.
func (r Revision) ID() string {
	h := sha256.New()
	h.Write(r.Config)
	for _, k := range slices.Sorted(maps.Keys(r.Plugins)) {
		fmt.Fprintf(h, "\x00%s\x00%s", k, r.Plugins[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// WorkerInfo is a worker's heartbeat, as `scribe status` lists it.
type WorkerInfo struct {
	// ID names the worker (host, process id and a random part).
	ID   string `json:"id"`
	Host string `json:"host"`
	PID  int    `json:"pid"`
	// Local is true for the owner's own runner.
	Local bool `json:"local,omitempty"`
	// Capacity is how many jobs it runs at once; InFlight how many it
	// runs now; Done and Failed count its jobs since it started.
	Capacity int   `json:"capacity"`
	InFlight int   `json:"in_flight"`
	Done     int64 `json:"done"`
	Failed   int64 `json:"failed"`
	// Direct counts the jobs it took from the owner's direct hand-off
	// rather than from the jobs stream (part of Done).
	Direct int64 `json:"direct"`
	// Revisions are the configuration revisions it has loaded (short ids).
	Revisions []string `json:"revisions,omitempty"`
	// Refused says why it refused the last revision it could not load ("":
	// none); RefusedRevisions are the revisions it refuses now (short
	// ids): it tries them again every 30 s.
	Refused          string    `json:"refused,omitempty"`
	RefusedRevisions []string  `json:"refused_revisions,omitempty"`
	Started          time.Time `json:"started"`
	Seen             time.Time `json:"seen"`
}

// short is a revision id as shown to people.
func short(rev string) string { return rev[:min(len(rev), 12)] }
