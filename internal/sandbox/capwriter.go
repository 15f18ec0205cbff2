package sandbox

import "errors"

// ErrOutputCapped is returned (wrapped) when a command wrote more than the
// output cap to standard output or standard error.
var ErrOutputCapped = errors.New("command output exceeded the cap")

// capWriter keeps at most limit bytes. The write that crosses the limit keeps
// what fits, calls onOverflow once and fails, which makes os/exec stop
// copying from the pipe and close it: a flood is neither buffered nor drained.
// Its buffer doubles but never past limit, so a flood allocates about twice
// the cap in all.
//
// Each capWriter is written by exactly one os/exec copying goroutine, and read
// only after Cmd.Wait has waited for that goroutine, so it needs no lock.
type capWriter struct {
	buf        []byte
	limit      int64
	over       bool
	onOverflow func()
}

func (w *capWriter) Write(p []byte) (int, error) {
	if w.over {
		return 0, ErrOutputCapped
	}
	room := w.limit - int64(len(w.buf))
	n := len(p)
	if int64(n) > room {
		n = int(room)
	}
	w.grow(n)
	w.buf = append(w.buf, p[:n]...)
	if n < len(p) {
		w.over = true
		w.onOverflow()
		return n, ErrOutputCapped
	}
	return n, nil
}

// grow makes room for n more bytes, doubling the capacity up to the limit.
func (w *capWriter) grow(n int) {
	need := len(w.buf) + n
	if need <= cap(w.buf) {
		return
	}
	c := max(2*cap(w.buf), need, 512)
	c = int(min(int64(c), w.limit))
	nb := make([]byte, len(w.buf), c)
	copy(nb, w.buf)
	w.buf = nb
}
