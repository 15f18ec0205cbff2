package vcs

import (
	"bufio"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Committed reports whether content is what git has for rel (relative to
// Top, slash-separated) in the index or in HEAD: content that arrived
// through git, or that git would not see as a change; and whether git
// tracks rel at all (it is in the index or in HEAD). Without git both are
// false.
func (r *Repo) Committed(rel string, content []byte) (committed, tracked bool, err error) {
	// cat-file answers one line per name: a name with a newline cannot be
	// asked (and such a file is treated as edited content).
	if r.git == "" || strings.ContainsAny(rel, "\x00\n") {
		return false, false, nil
	}
	r.mu.Lock()
	gen, monitored, closed := r.gen, r.monitored, r.closed
	r.mu.Unlock()
	if closed {
		return false, false, errors.New("repository closed")
	}
	r.catMu.Lock()
	defer r.catMu.Unlock()
	if r.cat != nil && (r.catGen != gen || !monitored) {
		// cat-file read the index when it started; git changed it since
		// (or, unwatched, it may have).
		r.cat.close()
		r.cat = nil
	}
	if r.cat == nil {
		c, err := startCatFile(r.git, r.Top)
		if err != nil {
			return false, false, err
		}
		r.cat, r.catGen = c, gen
	}
	for _, spec := range []string{":" + rel, "HEAD:" + rel} {
		id, err := r.cat.lookup(spec)
		if err != nil {
			r.cat.close()
			r.cat = nil
			return false, false, err
		}
		if id == "" {
			continue
		}
		tracked = true
		if id == blobID(content, len(id)) {
			return true, true, nil
		}
	}
	return false, tracked, nil
}

// blobID returns git's object id of a blob with content, in the object
// format whose ids have n hex digits (40: SHA-1, 64: SHA-256).
func blobID(content []byte, n int) string {
	var h hash.Hash
	switch n {
	case 40:
		h = sha1.New()
	case 64:
		h = sha256.New()
	default:
		return ""
	}
	h.Write([]byte("blob " + strconv.Itoa(len(content)) + "\x00"))
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}

// catFile is a running `git cat-file --batch-check -z`: object names in,
// "<id> <type>" out, one lookup at a time.
type catFile struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	cancel context.CancelFunc
}

func startCatFile(git, dir string) (*catFile, error) {
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, git, "cat-file", "--batch-check=%(objectname) %(objecttype)", "-z")
	cmd.Dir = dir
	cmd.Env = gitEnv()
	cmd.WaitDelay = time.Second
	in, err := cmd.StdinPipe()
	if err != nil {
		cancel()
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("start git cat-file: %w", err)
	}
	return &catFile{cmd: cmd, in: in, out: bufio.NewReader(out), cancel: cancel}, nil
}

// lookup returns the blob id git has for spec (":path", "HEAD:path"), ""
// when there is none (missing, or not a blob).
func (c *catFile) lookup(spec string) (string, error) {
	if _, err := io.WriteString(c.in, spec+"\x00"); err != nil {
		return "", fmt.Errorf("git cat-file: %w", err)
	}
	line, err := c.out.ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("git cat-file: %w", err)
	}
	line = strings.TrimSuffix(line, "\n")
	id, typ, ok := strings.Cut(line, " ")
	if !ok || typ != "blob" {
		// "<spec> missing", "<spec> ambiguous", or a tree/submodule.
		return "", nil
	}
	return id, nil
}

func (c *catFile) close() {
	c.in.Close()
	done := make(chan struct{})
	go func() {
		c.cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(time.Second):
		c.cancel()
		<-done
	}
	c.cancel()
}
