package bustest

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/scribe-md/scribe/internal/poll"
)

// Cluster is three nats-server nodes with JetStream, clustered by routes on
// loopback, for what only a cluster does: replicated streams, a node lost,
// a leader elected again.
type Cluster struct {
	t     testing.TB
	nodes []*server.Server
	urls  []string
}

// StartCluster starts a Cluster, usable once its meta group has a leader,
// and shuts it down when the test ends.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	c := &Cluster{t: t}
	// The route ports are free when picked, not necessarily when a node
	// listens on them (another program on this machine may take one):
	// a cluster that does not come up is tried again on other ports.
	var err error
	for range 3 {
		if err = c.start(); err == nil {
			break
		}
		c.shutdown()
	}
	if err != nil {
		t.Fatal(err)
	}
	// Registered after the nodes' temporary directories, so that it runs
	// before they are removed.
	t.Cleanup(c.shutdown)
	poll.NoError(t, 30*time.Second, func() error {
		nc, err := nats.Connect(c.URL())
		if err != nil {
			return err
		}
		defer nc.Close()
		js, _ := jetstream.New(nc)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err = js.AccountInfo(ctx)
		return err
	})
	return c
}

func (c *Cluster) start() error {
	ports := FreePorts(c.t, 3)
	var routes []string
	for _, p := range ports {
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", p))
	}
	for i := range 3 {
		o := &server.Options{
			ServerName: fmt.Sprintf("n%d", i+1), Host: "127.0.0.1", Port: -1, NoSigs: true,
			JetStream: true, StoreDir: c.t.TempDir(), JetStreamMaxMemory: 64 << 20, JetStreamMaxStore: 512 << 20,
			Cluster: server.ClusterOpts{Name: "scribe-test", Host: "127.0.0.1", Port: ports[i]},
			Routes:  server.RoutesFromStr(strings.Join(routes, ",")),
		}
		s, err := server.NewServer(o)
		if err != nil {
			return err
		}
		c.nodes = append(c.nodes, s)
		s.Start()
		if !s.ReadyForConnections(10 * time.Second) {
			return fmt.Errorf("nats node %s not ready (cluster port %d)", o.ServerName, ports[i])
		}
		c.urls = append(c.urls, s.ClientURL())
	}
	return nil
}

func (c *Cluster) shutdown() {
	for _, s := range c.nodes {
		s.Shutdown()
		s.WaitForShutdown()
	}
	c.nodes, c.urls = nil, nil
}

// URL lists every node, as bus.url does.
func (c *Cluster) URL() string { return strings.Join(c.urls, ",") }

// Name is node i's server name (from 0: "n1").
func (c *Cluster) Name(i int) string { return c.nodes[i].Name() }

// Kill shuts node i (from 0) down.
func (c *Cluster) Kill(i int) {
	c.nodes[i].Shutdown()
	c.nodes[i].WaitForShutdown()
}

// FreePorts returns n TCP ports of 127.0.0.1 that were free a moment ago.
func FreePorts(t testing.TB, n int) []int {
	t.Helper()
	var ls []net.Listener
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}
