package keyring_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nats.go/micro"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/feedback"
	"github.com/together-coop/together/services/internal/embednats"
	"github.com/together-coop/together/services/internal/keyring"
	"github.com/together-coop/together/services/internal/microsvc/microsvctest"
	"github.com/together-coop/together/services/internal/natstest"
)

// twins are a Keyring serving on its own connection and a Remote asking
// it on another, as in two processes.
type twins struct {
	srv    *embednats.Server
	local  *keyring.Keyring
	remote *keyring.Remote
	nc     *nats.Conn // the remote's
	stop   func() error
}

func newTwins(t testing.TB, localOpts []keyring.Option, remoteOpts ...keyring.Option) *twins {
	t.Helper()
	srv, serving := natstest.RunJetStream(t)
	js, err := jetstream.New(serving)
	if err != nil {
		t.Fatal(err)
	}
	local, err := keyring.New(context.Background(), js, newKEK(t), localOpts...)
	if err != nil {
		t.Fatal(err)
	}
	stop := microsvctest.Serve(t, local, serving)
	nc, err := srv.Connect("remote")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	remote, err := keyring.NewRemote(nc, remoteOpts...)
	if err != nil {
		t.Fatal(err)
	}
	return &twins{srv: srv, local: local, remote: remote, nc: nc, stop: stop}
}

// TestRemoteSeal: what a Remote seals opens with the Keyring, under the
// key asked for, and is refused once that key is destroyed.
func TestRemoteSeal(t *testing.T) {
	tw := newTwins(t, nil)
	ctx := context.Background()
	record := feedback.RecordKeyID("0199a1b2-0000-7000-8000-0000000000f1")
	for _, id := range []string{alice, record} {
		t.Run(id, func(t *testing.T) {
			for _, plain := range []string{"The bus does not run on Sundays", "", strings.Repeat("é", keyring.MaxRemotePlaintext/2)} {
				sealed, err := tw.remote.Seal(ctx, id, []byte(plain))
				if err != nil {
					t.Fatalf("Seal(%d bytes) = %v", len(plain), err)
				}
				if sealed.KeyID != id {
					t.Errorf("sealed under %q, want %q", sealed.KeyID, id)
				}
				if got, err := tw.local.Open(ctx, id, sealed); err != nil || string(got) != plain {
					t.Errorf("Open(Seal(%d bytes)) = %d bytes, %v", len(plain), len(got), err)
				}
			}
		})
	}
	if err := tw.local.Destroy(ctx, alice); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.remote.Seal(ctx, alice, []byte("after erasure")); !errors.Is(err, keyring.ErrKeyDestroyed) {
		t.Errorf("Seal after Destroy error = %v, want ErrKeyDestroyed", err)
	}
}

// TestRemotePolicy is what a remote may ask: seal under a person's or a
// record's key, destroy a record's key only; the local Keyring answers
// the same ids for comparison where it allows them.
func TestRemotePolicy(t *testing.T) {
	tw := newTwins(t, nil)
	ctx := context.Background()
	record := feedback.RecordKeyID("0199a1b2-0000-7000-8000-0000000000f2")
	if _, err := tw.local.Seal(ctx, bob, []byte("bob")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		keyID   string
		seal    bool
		wantErr error
	}{
		{name: "seal under a person's key", keyID: alice, seal: true},
		{name: "seal under a record key", keyID: record, seal: true},
		{name: "seal under an id that is neither", keyID: "somebody", seal: true, wantErr: keyring.ErrNotAllowed},
		{name: "seal under a record key of no record id", keyID: "feedback-1", seal: true, wantErr: keyring.ErrNotAllowed},
		{name: "seal under an upper-case id", keyID: strings.ToUpper(alice), seal: true, wantErr: keyring.ErrNotAllowed},
		{name: "seal under the KEK check", keyID: "_kek", seal: true, wantErr: keyring.ErrInvalidID},
		{name: "seal under a subject wildcard", keyID: "a.>", seal: true, wantErr: keyring.ErrInvalidID},
		{name: "destroy a record key", keyID: record},
		{name: "destroy a record key again", keyID: record},
		{name: "destroy a person's key", keyID: bob, wantErr: keyring.ErrNotAllowed},
		// Only the name is a person's: it is another key.
		{name: "destroy a record key named like a person", keyID: feedback.RecordKeyID(bob)},
		{name: "destroy another id", keyID: "stakeholder-" + bob, wantErr: keyring.ErrNotAllowed},
		{name: "destroy an invalid id", keyID: "keys.>", wantErr: keyring.ErrInvalidID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.seal {
				_, err = tw.remote.Seal(ctx, tt.keyID, []byte("x"))
			} else {
				err = tw.remote.Destroy(ctx, tt.keyID)
			}
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("error = %v, want %v", err, tt.wantErr)
			}
		})
	}
	// Bob's key outlived the attempt; the record key did not.
	sealed, err := tw.local.Seal(ctx, bob, []byte("still there"))
	if err != nil {
		t.Fatalf("Bob's key after a remote tried to destroy it: %v", err)
	}
	if got, err := tw.local.Open(ctx, bob, sealed); err != nil || string(got) != "still there" {
		t.Errorf("Open(bob) = %q, %v", got, err)
	}
	if _, err := tw.local.Seal(ctx, record, []byte("x")); !errors.Is(err, keyring.ErrKeyDestroyed) {
		t.Errorf("the record key after a remote destroyed it: %v, want ErrKeyDestroyed", err)
	}
}

// TestServiceRefusesDestroyingAPerson asks the keys service directly,
// with nothing of Remote in between, as a compromised feedback process
// would: the service itself refuses, and the person's key stays.
func TestServiceRefusesDestroyingAPerson(t *testing.T) {
	tw := newTwins(t, nil)
	ctx := context.Background()
	sealed, err := tw.local.Seal(ctx, alice, []byte("Alice"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, subject, body, wantCode string
	}{
		{"destroy a person's key", keyring.SubjectDestroy, `{"key_id":"` + alice + `"}`, "403"},
		{"destroy the KEK check", keyring.SubjectDestroy, `{"key_id":"_kek"}`, "400"},
		{"destroy with an extra field", keyring.SubjectDestroy, `{"key_id":"` + alice + `","force":true}`, "400"},
		{"destroy twice in one request", keyring.SubjectDestroy, `{"key_id":"feedback-` + alice + `"}{"key_id":"` + alice + `"}`, "400"},
		{"seal under no id", keyring.SubjectSeal, `{"key_id":"","plaintext":"eA=="}`, "400"},
		{"seal too much", keyring.SubjectSeal, `{"key_id":"` + alice + `","plaintext":"` + strings.Repeat("A", 100_000) + `"}`, "400"},
		{"seal under a bookkeeping id", keyring.SubjectSeal, `{"key_id":"x-` + alice + `","plaintext":"eA=="}`, "403"},
		{"open", "together.keys.open", `{"key_id":"` + alice + `"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, err := tw.nc.RequestWithContext(ctx, tt.subject, []byte(tt.body))
			if tt.wantCode == "" { // no such endpoint: nobody answers
				if !errors.Is(err, nats.ErrNoResponders) {
					t.Errorf("request = %v, want no responders", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := msg.Header.Get(micro.ErrorCodeHeader); got != tt.wantCode {
				t.Errorf("error code = %q (%s), want %s", got, msg.Header.Get(micro.ErrorHeader), tt.wantCode)
			}
			if len(msg.Data) != 0 {
				t.Errorf("a refusal carries %d bytes", len(msg.Data))
			}
		})
	}
	if got, err := tw.local.Open(ctx, alice, sealed); err != nil || string(got) != "Alice" {
		t.Errorf("Open(alice) after the attempts = %q, %v", got, err)
	}
}

// TestRemoteUnavailable: with nobody serving, or a server that does not
// answer in time, or one stopped, a Remote says so with an
// UnavailableError that is answered 503.
func TestRemoteUnavailable(t *testing.T) {
	tw := newTwins(t, nil, keyring.WithNATSTimeout(200*time.Millisecond))
	ctx := context.Background()
	if _, err := tw.remote.Seal(ctx, alice, []byte("x")); err != nil {
		t.Fatalf("Seal while served = %v", err)
	}
	if err := tw.stop(); err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, err error, cause error) {
		t.Helper()
		var u *keyring.UnavailableError
		if !errors.As(err, &u) || u.Status() != http.StatusServiceUnavailable {
			t.Fatalf("error = %v, want an UnavailableError answered 503", err)
		}
		for _, want := range []error{keyring.ErrUnavailable, events.ErrUnavailable, cause} {
			if !errors.Is(err, want) {
				t.Errorf("error %v does not match %v", err, want)
			}
		}
	}
	t.Run("stopped", func(t *testing.T) {
		_, err := tw.remote.Seal(ctx, alice, []byte("x"))
		check(t, err, nats.ErrNoResponders)
		check(t, tw.remote.Destroy(ctx, feedback.RecordKeyID(alice)), nats.ErrNoResponders)
	})
	t.Run("silent", func(t *testing.T) {
		// A responder that takes the request and never answers: the
		// remote gives up after its timeout.
		quiet, err := tw.srv.Connect("quiet")
		if err != nil {
			t.Fatal(err)
		}
		defer quiet.Close()
		got := make(chan struct{}, 2)
		sub, err := quiet.Subscribe("together.keys.>", func(*nats.Msg) { got <- struct{}{} })
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Unsubscribe()
		if err := quiet.Flush(); err != nil {
			t.Fatal(err)
		}
		_, err = tw.remote.Seal(ctx, alice, []byte("x"))
		check(t, err, context.DeadlineExceeded)
		<-got
	})
	t.Run("caller gave up", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := tw.remote.Seal(cctx, alice, []byte("x")); !errors.Is(err, context.Canceled) {
			t.Errorf("Seal with a cancelled context = %v, want context.Canceled", err)
		}
	})
}

// TestRemoteRefusesBadAnswers: an answer that is not sealed data of the
// key and size asked for is refused, whatever answered.
func TestRemoteRefusesBadAnswers(t *testing.T) {
	_, nc := natstest.RunJetStream(t)
	remote, err := keyring.NewRemote(nc)
	if err != nil {
		t.Fatal(err)
	}
	twelve, sixteen := "AAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAA=="
	answers := map[string]string{
		"another key":       `{"key_id":"` + bob + `","nonce":"` + twelve + `","ciphertext":"AAAAAAAAAAAAAAAAAAAAAAA="}`,
		"no ciphertext":     `{"key_id":"` + alice + `","nonce":"` + twelve + `","ciphertext":""}`,
		"wrong size":        `{"key_id":"` + alice + `","nonce":"` + twelve + `","ciphertext":"` + sixteen + `"}`,
		"not JSON":          `sealed`,
		"an unknown code":   "",
		"the plaintext too": `{"key_id":"` + alice + `","nonce":"` + twelve + `","ciphertext":"AAAAAAAAAAAAAAAAAAAAAAA=","plaintext":"eA=="}`,
	}
	for name, answer := range answers {
		t.Run(name, func(t *testing.T) {
			sub, err := nc.Subscribe(keyring.SubjectSeal, func(m *nats.Msg) {
				reply := nats.NewMsg(m.Reply)
				reply.Data = []byte(answer)
				if answer == "" {
					reply.Header.Set(micro.ErrorCodeHeader, "418")
				}
				_ = m.RespondMsg(reply)
			})
			if err != nil {
				t.Fatal(err)
			}
			defer sub.Unsubscribe()
			if _, err := remote.Seal(context.Background(), alice, []byte("x")); !errors.Is(err, keyring.ErrMalformed) {
				t.Errorf("Seal = %v, want ErrMalformed", err)
			}
		})
	}
}

// TestServeNATSMetrics counts what both sides saw, by operation and
// outcome.
func TestServeNATSMetrics(t *testing.T) {
	servedReg, remoteReg := prometheus.NewPedanticRegistry(), prometheus.NewPedanticRegistry()
	tw := newTwins(t, []keyring.Option{keyring.WithMetrics(servedReg)}, keyring.WithMetrics(remoteReg))
	ctx := context.Background()
	record := feedback.RecordKeyID(carol)
	if _, err := tw.remote.Seal(ctx, alice, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := tw.remote.Destroy(ctx, record); err != nil {
		t.Fatal(err)
	}
	_, _ = tw.remote.Seal(ctx, record, []byte("x"))
	_ = tw.remote.Destroy(ctx, alice)
	want := `
# HELP together_keyring_%s_requests_total Keys requests %s over NATS, by operation (seal, destroy) and outcome (ok, malformed, not_allowed, destroyed, unavailable).
# TYPE together_keyring_%s_requests_total counter
together_keyring_%s_requests_total{op="destroy",outcome="not_allowed"} 1
together_keyring_%s_requests_total{op="destroy",outcome="ok"} 1
together_keyring_%s_requests_total{op="seal",outcome="destroyed"} 1
together_keyring_%s_requests_total{op="seal",outcome="ok"} 1
`
	for side, c := range map[string]struct {
		reg  *prometheus.Registry
		help string
	}{
		"served": {servedReg, "of other processes answered"},
		"remote": {remoteReg, "sent to the keys service"},
	} {
		text := strings.NewReplacer("%s_requests", side+"_requests", "requests %s over", "requests "+c.help+" over").Replace(want)
		if err := testutil.GatherAndCompare(c.reg, strings.NewReader(text), "together_keyring_"+side+"_requests_total"); err != nil {
			t.Errorf("%s: %v", side, err)
		}
		if problems, err := testutil.GatherAndLint(c.reg); err != nil || len(problems) > 0 {
			t.Errorf("%s: lint %v, %v", side, problems, err)
		}
	}
}
