// Package natstest starts embedded nats-servers with JetStream for tests.
package natstest

import (
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/together-coop/together/services/internal/embednats"
)

// RunJetStream starts an in-process JetStream server storing in a temporary
// directory, with the same durability settings as together serve, and
// returns a connection to it. Both are closed through t.Cleanup.
func RunJetStream(t testing.TB) (*embednats.Server, *nats.Conn) {
	t.Helper()
	srv, err := embednats.Start(embednats.Config{StoreDir: t.TempDir()})
	if err != nil {
		t.Fatalf("start nats: %v", err)
	}
	nc, err := srv.Connect(t.Name())
	if err != nil {
		srv.Shutdown()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		nc.Close()
		srv.Shutdown()
	})
	return srv, nc
}

// JetStream is [RunJetStream] for a test that works through JetStream:
// it returns the connection and its JetStream context.
func JetStream(t testing.TB) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	_, nc := RunJetStream(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return nc, js
}
