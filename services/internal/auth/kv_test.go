package auth_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/together-coop/together/services/internal/auth"
	"github.com/together-coop/together/services/internal/natstest"
)

// TestKV holds both KV implementations to the same behaviour.
func TestKV(t *testing.T) {
	for _, tt := range []struct {
		name string
		new  func(t *testing.T) auth.KV
	}{
		{"memory", func(*testing.T) auth.KV { return auth.NewMemoryKV() }},
		{"jetstream", func(t *testing.T) auth.KV {
			_, js := natstest.JetStream(t)
			kv, err := auth.NewJetStreamKV(context.Background(), js, "TEST_AUTH", 1, 0)
			if err != nil {
				t.Fatal(err)
			}
			return kv
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			kv := tt.new(t)
			testKV(t, kv)
			testWatch(t, kv)
		})
	}
}

func testKV(t *testing.T, kv auth.KV) {
	ctx := context.Background()
	if _, _, err := kv.Get(ctx, "a.1"); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("Get(missing) error = %v, want ErrNotFound", err)
	}
	rev, err := kv.Create(ctx, "a.1", []byte("one"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Create(ctx, "a.1", []byte("again")); !errors.Is(err, auth.ErrExists) {
		t.Errorf("Create(existing) error = %v, want ErrExists", err)
	}
	v, got, err := kv.Get(ctx, "a.1")
	if err != nil || string(v) != "one" || got != rev {
		t.Errorf("Get = %q, %d, %v, want one, %d", v, got, err, rev)
	}
	rev2, err := kv.Update(ctx, "a.1", []byte("two"), rev)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Update(ctx, "a.1", []byte("stale"), rev); !errors.Is(err, auth.ErrConflict) {
		t.Errorf("Update(stale revision) error = %v, want ErrConflict", err)
	}
	if _, err := kv.Update(ctx, "a.9", []byte("x"), 1); !errors.Is(err, auth.ErrNotFound) && !errors.Is(err, auth.ErrConflict) {
		t.Errorf("Update(missing) error = %v, want ErrNotFound or ErrConflict", err)
	}
	for _, k := range []string{"a.3", "a.2", "b.1"} {
		if _, err := kv.Create(ctx, k, []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	list, err := kv.List(ctx, "a.")
	if diff := cmp.Diff([]string{"two", "a.2", "a.3"}, strs(list)); err != nil || diff != "" {
		t.Errorf("List(a.) (-want +got):\n%s %v", diff, err)
	}
	if err := kv.Delete(ctx, "a.2"); err != nil {
		t.Fatal(err)
	}
	if err := kv.Delete(ctx, "a.2"); err != nil {
		t.Errorf("deleting twice: %v", err)
	}
	if _, _, err := kv.Get(ctx, "a.2"); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("Get(deleted) error = %v, want ErrNotFound", err)
	}
	if _, err := kv.Update(ctx, "a.2", []byte("x"), rev2); !errors.Is(err, auth.ErrNotFound) && !errors.Is(err, auth.ErrConflict) {
		t.Errorf("Update(deleted) error = %v, want ErrNotFound or ErrConflict", err)
	}
	if _, err := kv.Create(ctx, "a.2", []byte("back")); err != nil {
		t.Errorf("Create(deleted key) error = %v, want it to work", err)
	}
	list, _ = kv.List(ctx, "a.")
	if diff := cmp.Diff([]string{"two", "back", "a.3"}, strs(list)); diff != "" {
		t.Errorf("List after delete and create (-want +got):\n%s", diff)
	}
	if list, err := kv.List(ctx, "none."); err != nil || len(list) != 0 {
		t.Errorf("List(none.) = %q, %v, want nothing", list, err)
	}
}

// testWatch requires a watch to report the changes of every key under its
// prefix made after it began, and nothing else, and to end without an
// error with its context.
func testWatch(t *testing.T, kv auth.KV) {
	t.Helper()
	w, ok := kv.(auth.Watcher)
	if !ok {
		t.Fatalf("%T is not a Watcher", kv)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	began := make(chan struct{})
	changed := make(chan string, 16)
	done := make(chan error, 1)
	go func() { done <- w.Watch(ctx, "w.", func() { close(began) }, func(key string) { changed <- key }) }()
	select {
	case <-began:
	case err := <-done:
		t.Fatalf("Watch ended before it began: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("Watch did not begin")
	}
	rev, err := kv.Create(ctx, "w.1", []byte("one"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Create(ctx, "x.1", []byte("elsewhere")); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Update(ctx, "w.1", []byte("two"), rev); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Create(ctx, "w.2", []byte("three")); err != nil {
		t.Fatal(err)
	}
	if err := kv.Delete(ctx, "w.2"); err != nil {
		t.Fatal(err)
	}
	// The last change of each key is reported; one overwritten before the
	// watch read it may not be.
	reported := map[string]bool{}
	for !reported["w.1"] || !reported["w.2"] {
		select {
		case key := <-changed:
			if key != "w.1" && key != "w.2" {
				t.Errorf("a change of %s reported", key)
			}
			reported[key] = true
		case <-time.After(10 * time.Second):
			t.Fatalf("reported changes of %v, want w.1 and w.2", reported)
		}
	}
	for settled := time.After(100 * time.Millisecond); ; {
		select {
		case key := <-changed:
			if key != "w.1" && key != "w.2" {
				t.Errorf("a change of %s reported", key)
			}
			continue
		case <-settled:
		}
		break
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Watch after its context ended: %v, want nil", err)
	}
}

// A watch of a JetStream bucket ends with an error when its connection to
// NATS breaks: a change made meanwhile through another server would reach
// it only later, so what it reported can no longer be relied on.
func TestJetStreamWatchEndsWithItsConnection(t *testing.T) {
	ctx := context.Background()
	srv, nc := natstest.RunJetStream(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	kv, err := auth.NewJetStreamKV(ctx, js, "TEST_AUTH", 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	began := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- kv.Watch(ctx, "tokens.", func() { close(began) }, func(string) {}) }()
	select {
	case <-began:
	case err := <-done:
		t.Fatalf("Watch ended before it began: %v", err)
	}
	srv.Shutdown()
	select {
	case err := <-done:
		if err == nil {
			t.Error("Watch ended without an error when its connection broke")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Watch outlived its connection")
	}
}

func strs(bs [][]byte) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = string(b)
	}
	return out
}

// TestSharedBuckets shows two services on the same NATS seeing the same
// tokens, accounts and sessions, as the processes of the compose stack do.
func TestSharedBuckets(t *testing.T) {
	ctx := context.Background()
	_, js := natstest.JetStream(t)
	newSvc := func(reg prometheus.Registerer) *auth.Service {
		st, err := auth.JetStreamStores(ctx, js, 1)
		if err != nil {
			t.Fatal(err)
		}
		s, err := auth.New(st, auth.WithPasswordParams(auth.PasswordParams{Memory: 64, Time: 1, Threads: 1}), auth.WithMetrics(reg))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	bReg := prometheus.NewRegistry()
	a, b := newSvc(nil), newSvc(bReg)
	tok, secret, err := a.CreateToken(ctx, "script", auth.Recorder, "test")
	if err != nil {
		t.Fatal(err)
	}
	if id, err := b.VerifyToken(ctx, secret); err != nil || id.Role != auth.Recorder {
		t.Errorf("the other service verifies the token as %+v, %v", id, err)
	}
	// b keeps the tokens it reads while it watches them, as the process
	// that keeps the identities does; a revocation made through a, as
	// together token revoke --nats makes one, reaches it through the
	// watch.
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	go func() { _ = b.WatchRecords(watchCtx) }()
	waitUntil(t, "b keeps the token's record", func() bool { return watchedGauge(t, bReg, "tokens") == 1 })
	if id, err := b.VerifyToken(ctx, secret); err != nil || id.Role != auth.Recorder {
		t.Errorf("the other service verifies the token, watched, as %+v, %v", id, err)
	}
	if _, err := a.RevokeToken(ctx, tok.ID, "test"); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the other service refuses the revoked token", func() bool {
		_, err := b.VerifyToken(ctx, secret)
		return errors.Is(err, auth.ErrRevoked)
	})
	if _, err := a.AddUser(ctx, "sarah", "Sarah", auth.Viewer, password, "test"); err != nil {
		t.Fatal(err)
	}
	browserA := newBrowser(t, handler(a))
	if code := browserA.signIn("sarah", password); code != 303 {
		t.Fatalf("sign in = %d", code)
	}
	// The same cookie, presented to the other service.
	browserB := newBrowser(t, handler(b))
	browserB.c.Jar = browserA.c.Jar
	code, body, _ := browserB.do("GET", "/api/v1/reports/participation", nil, nil) // cookies ignore the port
	if code != 200 || body == "" {
		t.Errorf("the session through the other service = %d %q", code, body)
	}
	u, _ := a.FindUser(ctx, "sarah")
	if name, err := b.Directory().Name(ctx, auth.UserID(u.ID)); name != "Sarah" || err != nil {
		t.Errorf("the other directory names %s %q, %v", u.ID, name, err)
	}
}

// A bucket that exists is used as it is, never updated: reopening keeps
// its entries, and one whose entries expire otherwise than asked is
// refused.
func TestJetStreamKVReopen(t *testing.T) {
	ctx := context.Background()
	_, js := natstest.JetStream(t)
	kv, err := auth.NewJetStreamKV(ctx, js, "TEST_REOPEN", 1, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Create(ctx, "a.1", []byte("kept")); err != nil {
		t.Fatal(err)
	}
	again, err := auth.NewJetStreamKV(ctx, js, "TEST_REOPEN", 1, time.Hour)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	if v, _, err := again.Get(ctx, "a.1"); err != nil || string(v) != "kept" {
		t.Errorf("after reopening Get = %q, %v; want kept", v, err)
	}
	for _, ttl := range []time.Duration{0, 2 * time.Hour} {
		if _, err := auth.NewJetStreamKV(ctx, js, "TEST_REOPEN", 1, ttl); err == nil {
			t.Errorf("reopening a bucket of 1h entries as %s entries succeeded", ttl)
		}
	}
	s, err := js.Stream(ctx, "KV_TEST_REOPEN")
	if err != nil {
		t.Fatal(err)
	}
	if got := s.CachedInfo().Config.MaxAge; got != time.Hour {
		t.Errorf("the bucket's entries now expire after %s; want it left at 1h", got)
	}
}
