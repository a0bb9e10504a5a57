package embednats_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/services/internal/busauth"
	"github.com/together-coop/together/services/internal/embednats"
	"github.com/together-coop/together/services/internal/logtest"
	"github.com/together-coop/together/services/internal/natsjs"
)

// A full disk: appends are refused at once with the cause, Health names
// it, and once space is freed appends resume without a restart, with
// every acknowledged event still there (and still there after a
// restart).
func TestDiskFull(t *testing.T) {
	mnt := smallDisk(t, "8m")
	dir := filepath.Join(mnt, "store")
	logs := &logtest.Buffer{}
	cfg := embednats.Config{
		StoreDir: dir, StoreKey: storeKey,
		Logger:            zerolog.New(logs),
		DiskCheckInterval: 50 * time.Millisecond, MinFreeBytes: 1 << 20,
	}
	srv, err := embednats.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Shutdown() }()
	if err := srv.Health(); err != nil {
		t.Fatalf("Health on a fresh store: %v", err)
	}
	ctx := context.Background()
	s, closeStore := openStore(t, srv)
	defer closeStore()

	// Something else fills most of the disk, leaving less than JetStream
	// set aside for itself (three quarters of 8 MiB), so that the disk
	// runs out before JetStream's own limit.
	ballast := filepath.Join(mnt, "ballast")
	fill(t, ballast, mnt, 1536<<10)

	acked := map[string][]events.Envelope{}
	appendOne := func(stream string) error {
		e := events.Envelope{ID: uuid.Must(uuid.NewV7()), Type: "ProjectClosed", SchemaVersion: 1,
			Payload: []byte(`{"summary":"` + strings.Repeat("x", 2000) + `"}`)}
		res, err := s.Append(ctx, stream, uint64(len(acked[stream])), []events.Envelope{e})
		if err == nil {
			e.StreamVersion, e.Position = res.StreamVersion, res.Position
			acked[stream] = append(acked[stream], e)
		}
		return err
	}
	var refused error
	for i := 0; refused == nil; i++ {
		if i == 10000 {
			t.Fatal("10000 appends of 2 KB fit on a full 8 MiB disk")
		}
		refused = appendOne(fmt.Sprintf("project-%d", i%4))
	}
	t.Logf("%d appends acknowledged before the disk was full; the next: %v", count(acked), refused)

	health := waitFor(t, "Health to report the full disk", func() error {
		if err := srv.Health(); !errors.Is(err, embednats.ErrOutOfSpace) {
			return fmt.Errorf("Health = %v", err)
		}
		return nil
	}, srv.Health)
	if want := "the disk holding " + dir + " is full"; !strings.Contains(health.Error(), want) {
		t.Errorf("Health = %q; want it to say %q", health, want)
	}
	t.Run("appends are refused with the cause", func(t *testing.T) {
		err := appendOne("project-new")
		if !errors.Is(err, events.ErrUnavailable) || !errors.Is(err, embednats.ErrOutOfSpace) || !strings.Contains(err.Error(), "is full") {
			t.Errorf("append on a full disk = %v; want ErrUnavailable naming the full disk", err)
		}
	})
	t.Run("reads still work", func(t *testing.T) {
		checkStored(t, s, acked)
	})

	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Health to recover", srv.Health, srv.Health)
	for i := range 20 {
		if err := appendOne(fmt.Sprintf("project-after-%d", i%2)); err != nil {
			t.Fatalf("append after space was freed: %v", err)
		}
	}
	checkStored(t, s, acked)
	for _, want := range []string{"the disk holding the event store is full", "JetStream takes writes again"} {
		if n := strings.Count(logs.String(), want); n != 1 {
			t.Errorf("%d log lines say %q; want 1; the log:\n%s", n, want, logs)
		}
	}
	if strings.Contains(logs.String(), "xxxxxxxx") {
		t.Error("an event's payload reached the log")
	}

	if testing.Verbose() {
		t.Log(logs.String())
	}
	t.Run("after a restart", func(t *testing.T) {
		closeStore()
		srv.Shutdown()
		if srv, err = embednats.Start(cfg); err != nil {
			t.Fatal(err)
		}
		s, closeStore = openStore(t, srv)
		checkStored(t, s, acked)
		if err := appendOne("project-restarted"); err != nil {
			t.Fatal(err)
		}
	})
}

// smallDisk mounts a tmpfs of size (mount's notation) on a new directory
// and returns it; the test is skipped where it may not mount.
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("a small disk needs mount -t tmpfs, which needs root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small disk (tmpfs) here: %v: %s", err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// fill writes path until the file system of dir has at most leave bytes
// free.
func fill(t *testing.T, path, dir string, leave int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		var st syscall.Statfs_t
		if err := syscall.Statfs(dir, &st); err != nil {
			t.Fatal(err)
		}
		free := int64(st.Bavail) * st.Bsize
		if free <= leave {
			return
		}
		if _, err := f.Write(chunk[:min(int64(len(chunk)), free-leave)]); err != nil {
			t.Fatal(err)
		}
	}
}

func openStore(t *testing.T, srv *embednats.Server) (*natsjs.Store, func()) {
	t.Helper()
	nc, err := srv.ConnectAs(busauth.Recorder)
	if err != nil {
		t.Fatal(err)
	}
	s, err := natsjs.New(context.Background(), nc, natsjs.WithDefaultTimeout(2*time.Second), natsjs.WithStorageCheck(srv.Health))
	if err != nil {
		nc.Close()
		t.Fatal(err)
	}
	return s, nc.Close
}

// checkStored checks that each stream holds exactly the acknowledged
// events, in order.
func checkStored(t *testing.T, s *natsjs.Store, acked map[string][]events.Envelope) {
	t.Helper()
	for stream, want := range acked {
		var got []events.Envelope
		for e, err := range s.ReadStream(context.Background(), stream, 1) {
			if err != nil {
				t.Fatalf("read %s: %v", stream, err)
			}
			got = append(got, e)
		}
		if len(got) < len(want) {
			t.Errorf("%s holds %d events; %d were acknowledged", stream, len(got), len(want))
			continue
		}
		for i, w := range want {
			g := got[i]
			if diff := cmp.Diff([]any{w.ID, w.StreamVersion, w.Position, string(w.Payload)},
				[]any{g.ID, g.StreamVersion, g.Position, string(g.Payload)}); diff != "" {
				t.Errorf("%s event %d (-acknowledged +stored):\n%s", stream, i+1, diff)
			}
		}
		if len(got) > len(want)+1 {
			t.Errorf("%s holds %d events; %d were acknowledged and at most one more was tried", stream, len(got), len(want))
		}
	}
}

func count(m map[string][]events.Envelope) int {
	n := 0
	for _, v := range m {
		n += len(v)
	}
	return n
}

// waitFor polls ok until it returns nil, failing the test if that takes
// longer than a generous bound; last says what was seen then.
func waitFor(t *testing.T, what string, ok func() error, last func() error) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for ok() != nil {
		select {
		case <-ctx.Done():
			t.Fatalf("waited 20s for %s; the last: %v", what, last())
		case <-time.After(10 * time.Millisecond):
		}
	}
	return last()
}

// JetStream's own limit, three quarters of the disk's free space when it
// started, reached: appends are refused at once as out of space, Health
// says so, and once the disk has grown appends resume without a restart.
func TestStoreLimitReached(t *testing.T) {
	mnt := smallDisk(t, "4m")
	srv, err := embednats.Start(embednats.Config{
		StoreDir: filepath.Join(mnt, "store"), DiskCheckInterval: 50 * time.Millisecond, MinFreeBytes: 1 << 20,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	s, closeStore := openStore(t, srv)
	defer closeStore()
	// Without the storage check, to see what the server answers.
	nc, err := srv.ConnectAs(busauth.Recorder)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	unchecked, err := natsjs.New(context.Background(), nc, natsjs.WithDefaultTimeout(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var acked []events.Envelope
	appendOne := func(s *natsjs.Store) error {
		e := events.Envelope{ID: uuid.Must(uuid.NewV7()), Type: "ProjectClosed", SchemaVersion: 1,
			Payload: []byte(`{"summary":"` + strings.Repeat("y", 2000) + `"}`)}
		res, err := s.Append(context.Background(), "project-1", uint64(len(acked)), []events.Envelope{e})
		if err == nil {
			e.StreamVersion, e.Position = res.StreamVersion, res.Position
			acked = append(acked, e)
		}
		return err
	}
	var refused error
	for i := 0; refused == nil; i++ {
		if i == 10000 {
			t.Fatal("10000 appends of 2 KB fit in JetStream's share of a 4 MiB disk")
		}
		refused = appendOne(unchecked)
	}
	if !errors.Is(refused, events.ErrUnavailable) || !strings.Contains(refused.Error(), "out of space") {
		t.Errorf("append beyond the limit = %v; want ErrUnavailable saying the store is out of space", refused)
	}
	health := waitFor(t, "Health to report the limit", func() error {
		if err := srv.Health(); !errors.Is(err, embednats.ErrOutOfSpace) {
			return fmt.Errorf("Health = %v", err)
		}
		return nil
	}, srv.Health)
	if !strings.Contains(health.Error(), "set aside") {
		t.Errorf("Health = %q; want it to name JetStream's limit", health)
	}
	if err := appendOne(s); !errors.Is(err, embednats.ErrOutOfSpace) {
		t.Errorf("checked append beyond the limit = %v; want ErrOutOfSpace", err)
	}

	if out, err := exec.Command("mount", "-o", "remount,size=16m", mnt).CombinedOutput(); err != nil {
		t.Fatalf("grow the disk: %v: %s", err, out)
	}
	waitFor(t, "Health to recover", srv.Health, srv.Health)
	if err := appendOne(s); err != nil {
		t.Fatalf("append after the disk grew: %v", err)
	}
	checkStored(t, s, map[string][]events.Envelope{"project-1": acked})
}
