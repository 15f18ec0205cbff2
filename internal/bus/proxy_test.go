package bus_test

import (
	"bufio"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// dropProxy stands between NATS clients and a server, passing the protocol
// through, and drops the client's publishes to subjects with a given prefix
// while it has drops left: a message lost on the way, which neither side
// hears of.
type dropProxy struct {
	ln     net.Listener
	target string
	prefix string
	left   atomic.Int32 // drops left
	n      atomic.Int32 // dropped so far

	mu    sync.Mutex
	conns []net.Conn
}

// startDropProxy listens on 127.0.0.1 for clients of the server at target
// (host:port) and drops their first drops publishes to subjects starting
// with prefix. It stops when the test ends.
func startDropProxy(t *testing.T, target, prefix string, drops int) *dropProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &dropProxy{ln: ln, target: target, prefix: prefix}
	p.left.Store(int32(drops))
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { p.pipe(c) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		wg.Wait()
	})
	return p
}

// URL is the proxy's client URL.
func (p *dropProxy) URL() string { return "nats://" + p.ln.Addr().String() }

// dropped counts the publishes dropped so far.
func (p *dropProxy) dropped() int { return int(p.n.Load()) }

func (p *dropProxy) track(c net.Conn) {
	p.mu.Lock()
	p.conns = append(p.conns, c)
	p.mu.Unlock()
}

// pipe passes one client connection through: what the server sends as it
// comes, what the client sends a protocol line at a time, with PUB and HPUB
// read whole (line and payload) so that one can be left out.
func (p *dropProxy) pipe(c net.Conn) {
	p.track(c)
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.track(s)
	defer c.Close()
	defer s.Close()
	go func() {
		io.Copy(c, s)
		c.Close()
	}()
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		f := strings.Fields(line)
		if len(f) >= 3 && (strings.EqualFold(f[0], "PUB") || strings.EqualFold(f[0], "HPUB")) {
			size, err := strconv.Atoi(f[len(f)-1]) // the payload's, headers included
			if err != nil {
				return
			}
			payload := make([]byte, size+2) // and its CRLF
			if _, err := io.ReadFull(r, payload); err != nil {
				return
			}
			if strings.HasPrefix(f[1], p.prefix) && p.left.Add(-1) >= 0 {
				p.n.Add(1)
				continue
			}
			if _, err := s.Write(append([]byte(line), payload...)); err != nil {
				return
			}
			continue
		}
		if _, err := io.WriteString(s, line); err != nil {
			return
		}
	}
}
