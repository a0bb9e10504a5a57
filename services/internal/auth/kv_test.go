package auth_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

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
		t.Run(tt.name, func(t *testing.T) { testKV(t, tt.new(t)) })
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
	newSvc := func() *auth.Service {
		st, err := auth.JetStreamStores(ctx, js, 1)
		if err != nil {
			t.Fatal(err)
		}
		s, err := auth.New(st, auth.WithPasswordParams(auth.PasswordParams{Memory: 64, Time: 1, Threads: 1}))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b := newSvc(), newSvc()
	tok, secret, err := a.CreateToken(ctx, "script", auth.Recorder, "test")
	if err != nil {
		t.Fatal(err)
	}
	if id, err := b.VerifyToken(ctx, secret); err != nil || id.Role != auth.Recorder {
		t.Errorf("the other service verifies the token as %+v, %v", id, err)
	}
	if _, err := a.RevokeToken(ctx, tok.ID, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.VerifyToken(ctx, secret); !errors.Is(err, auth.ErrRevoked) {
		t.Errorf("the other service after revoke: %v, want ErrRevoked", err)
	}
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
