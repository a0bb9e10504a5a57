package embednats

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/rs/zerolog"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/services/internal/busauth"
	"github.com/together-coop/together/services/internal/natsjs"
)

// JetStream is started again only when it would then have room to write.
func TestRoomAfterRestart(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		name     string
		maxStore int64 // configured; 0 sizes from the disk
		u        usage
		want     bool
	}{
		{"disk still full", 0, usage{free: 0, used: 10 * mib, max: 10 * mib}, false},
		{"free space unknown", 0, usage{free: -1, used: mib, max: 10 * mib}, false},
		{"less than the minimum freed", 0, usage{free: mib / 2, used: mib, max: 10 * mib}, false},
		{"room freed", 0, usage{free: 8 * mib, used: 4 * mib, max: 6 * mib}, true},
		// Sized from the disk, the limit would be 0.75*(2+8) = 7.5 MiB,
		// below the 8 MiB already held.
		{"freed, but the sized limit would stay below what is held", 0, usage{free: 2 * mib, used: 8 * mib, max: 8 * mib}, false},
		{"configured limit with room", 100 * mib, usage{free: 2 * mib, used: 8 * mib, max: 100 * mib}, true},
		{"configured limit reached", 100 * mib, usage{free: 50 * mib, used: 100 * mib, max: 100 * mib}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &watchdog{opts: &server.Options{JetStreamMaxStore: tt.maxStore}, minFree: mib}
			if got := w.roomAfterRestart(tt.u); got != tt.want {
				t.Errorf("roomAfterRestart(%+v) = %v; want %v", tt.u, got, tt.want)
			}
		})
	}
}

// JetStream shut down for want of space (as a clustered server does
// itself) is started again, encrypted store and all, once there is room;
// shut down for another cause it is reported and left alone.
func TestWatchdogStartsJetStreamAgain(t *testing.T) {
	srv, err := Start(Config{StoreDir: t.TempDir(), StoreKey: bytes.Repeat([]byte{7}, 32), DiskCheckInterval: 20 * time.Millisecond, MinFreeBytes: 1,
		Logger: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	nc, err := srv.ConnectAs(busauth.Recorder)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx := context.Background()
	store, err := natsjs.New(ctx, nc, natsjs.WithDefaultTimeout(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	appendOne := func(stream string) error {
		e := events.Envelope{ID: uuid.Must(uuid.NewV7()), Type: "ProjectClosed", SchemaVersion: 1, Payload: []byte(`{}`)}
		_, err := store.Append(ctx, stream, 0, []events.Envelope{e})
		return err
	}
	if err := appendOne("project-1"); err != nil {
		t.Fatal(err)
	}
	waitUntil := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("waited 20s for %s; Health = %v", what, srv.Health())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	t.Run("out of space", func(t *testing.T) {
		srv.watch.serverSaid("JetStream out of file resources, will be DISABLED")
		if err := srv.ns.ShutdownJetStream(); err != nil {
			t.Fatal(err)
		}
		waitUntil("JetStream to start again", func() bool { return srv.ns.JetStreamEnabled() && srv.Health() == nil })
		if err := appendOne("project-2"); err != nil {
			t.Errorf("append after JetStream started again: %v", err)
		}
		if head, err := store.Head(ctx); err != nil || head != 2 {
			t.Errorf("Head = %d, %v; want both events", head, err)
		}
	})
	t.Run("another cause", func(t *testing.T) {
		if err := srv.ns.ShutdownJetStream(); err != nil {
			t.Fatal(err)
		}
		waitUntil("Health to fail", func() bool { return errors.Is(srv.Health(), ErrJetStreamDown) })
		srv.watch.kick <- struct{}{}
		waitUntil("another look", func() bool { return len(srv.watch.kick) == 0 })
		srv.watch.kick <- struct{}{}
		waitUntil("another look", func() bool { return len(srv.watch.kick) == 0 })
		if srv.ns.JetStreamEnabled() {
			t.Error("the watchdog started JetStream, shut down for no lack of space")
		}
	})
}
