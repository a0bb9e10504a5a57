package natstest

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Cluster is a JetStream cluster of nats-servers on loopback.
type Cluster struct {
	Servers []*server.Server
}

// RunCluster starts n clustered JetStream servers on 127.0.0.1, each with
// its own store and fsync on every message, waits until they have elected
// a meta leader, and shuts them down through t.Cleanup.
func RunCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	// Take every port up front, client and cluster alike, so that a server
	// picking a random client port cannot take another's route port.
	ports := freePorts(t, 2*n)
	var routes []string
	for i := range n {
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", ports[n+i]))
	}
	c := &Cluster{}
	for i := range n {
		opts := &server.Options{
			ServerName: fmt.Sprintf("node-%d", i+1),
			Host:       "127.0.0.1", Port: ports[i],
			JetStream: true, StoreDir: t.TempDir(), SyncAlways: true,
			NoSigs: true, NoLog: true,
			Cluster: server.ClusterOpts{Name: "together-test", Host: "127.0.0.1", Port: ports[n+i]},
			Routes:  server.RoutesFromStr(strings.Join(routes, ",")),
		}
		s, err := server.NewServer(opts)
		if err != nil {
			t.Fatal(err)
		}
		go s.Start()
		c.Servers = append(c.Servers, s)
	}
	t.Cleanup(func() {
		for _, s := range c.Servers {
			s.Shutdown()
			s.WaitForShutdown()
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for _, s := range c.Servers {
		if !s.ReadyForConnections(30 * time.Second) {
			t.Fatalf("%s not ready", s.Name())
		}
	}
	for time.Now().Before(deadline) {
		leader, current := false, true
		for _, s := range c.Servers {
			leader = leader || s.JetStreamIsLeader() && len(s.JetStreamClusterPeers()) == n
			current = current && s.JetStreamIsCurrent() && s.NumRoutes() >= n-1
		}
		if leader && current {
			return c
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the cluster elected no JetStream leader")
	return nil
}

// URLs lists the client URLs of the servers still running.
func (c *Cluster) URLs() string {
	var urls []string
	for _, s := range c.Servers {
		if s.Running() {
			urls = append(urls, s.ClientURL())
		}
	}
	return strings.Join(urls, ",")
}

// Connect connects to every node, reconnecting for ever.
func (c *Cluster) Connect(t testing.TB) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(c.URLs(), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// freePorts returns n distinct ports that were free a moment ago.
func freePorts(t testing.TB, n int) []int {
	ports := make([]int, n)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports
}
