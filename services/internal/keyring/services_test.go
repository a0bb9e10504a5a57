package keyring_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"

	"github.com/together-coop/together/events/catalogue"
	"github.com/together-coop/together/events/memstore"
	"github.com/together-coop/together/events/stakeholder"
	"github.com/together-coop/together/services/internal/command"
	"github.com/together-coop/together/services/internal/engagements"
	"github.com/together-coop/together/services/internal/feedback"
	"github.com/together-coop/together/services/internal/keyring"
	"github.com/together-coop/together/services/internal/projects"
	"github.com/together-coop/together/services/internal/stakeholders"
)

// sealer is what the engagements and feedback services need of a keyring.
type sealer interface {
	engagements.Sealer
	feedback.Keyring
}

var (
	_ sealer = (*keyring.Keyring)(nil)
	_ sealer = (*keyring.Remote)(nil)
)

// world is the command services over one store: the stakeholders service
// with the key stream, and the engagements and feedback services sealing
// either with the same Keyring (one process) or through a Remote (their
// own processes).
type world struct {
	*twins
	store *memstore.Store
	h     http.Handler
	ids   map[string]string
}

func newWorld(t *testing.T, remote bool, remoteOpts ...keyring.Option) *world {
	t.Helper()
	tw := newTwins(t, nil, remoteOpts...)
	store := memstore.New()
	x, err := command.NewExecutor(store, catalogue.New())
	if err != nil {
		t.Fatal(err)
	}
	var keys sealer = tw.local
	if remote {
		keys = tw.remote
	}
	mux := http.NewServeMux()
	projects.New(x).Routes(mux)
	stakeholders.New(x, tw.local).Routes(mux)
	engagements.New(x, engagements.WithSealer(keys)).Routes(mux)
	feedback.New(x, feedback.WithKeyring(keys)).Routes(mux)
	return &world{twins: tw, store: store, h: mux, ids: map[string]string{}}
}

// answer is what a client sees of a command's answer, without the event
// ids, which are random.
type answer struct {
	Status     int
	RetryAfter string
	Body       map[string]any
}

// post sends a command; "{name}" in path and body stands for the id an
// earlier command created under the idempotency key name, which is also
// the idempotency key of this one (when given).
func (w *world) post(t *testing.T, path, body, key string) answer {
	t.Helper()
	for name, id := range w.ids {
		path = strings.ReplaceAll(path, "{"+name+"}", id)
		body = strings.ReplaceAll(body, "{"+name+"}", id)
	}
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if key != "" {
		r.Header.Set(command.HeaderIdempotencyKey, key)
	}
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, r)
	a := answer{Status: rec.Code, RetryAfter: rec.Header().Get("Retry-After")}
	if err := json.Unmarshal(rec.Body.Bytes(), &a.Body); err != nil {
		t.Fatalf("POST %s answered %d with %q", path, rec.Code, rec.Body)
	}
	delete(a.Body, "event_ids")
	if id, ok := a.Body["id"].(string); ok && key != "" && rec.Code < 300 {
		w.ids[key] = id
	}
	return a
}

// history is everything recorded, with every sealed field opened by the
// stakeholders' Keyring (or the reason it does not open).
func (w *world) history(t *testing.T) []any {
	t.Helper()
	ctx := context.Background()
	var out []any
	for e, err := range w.store.ReadAll(ctx, 0) {
		if err != nil {
			t.Fatal(err)
		}
		var payload any
		if err := json.Unmarshal(e.Payload, &payload); err != nil {
			t.Fatal(err)
		}
		out = append(out, map[string]any{"stream": e.Stream, "type": e.Type, "payload": w.open(t, payload)})
	}
	return out
}

// open replaces each sealed value in v by its key id and what it opens to.
func (w *world) open(t *testing.T, v any) any {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 3 && v["key_id"] != nil && v["nonce"] != nil && v["ciphertext"] != nil {
			var s stakeholder.Sealed
			data, _ := json.Marshal(v)
			if err := json.Unmarshal(data, &s); err != nil {
				t.Fatal(err)
			}
			plain, err := w.local.Open(context.Background(), s.KeyID, s)
			opened := string(plain)
			if err != nil {
				opened = "does not open: " + err.Error()
			}
			return map[string]any{"key_id": s.KeyID, "opened": opened}
		}
		out := map[string]any{}
		for k, x := range v {
			out[k] = w.open(t, x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = w.open(t, x)
		}
		return out
	}
	return v
}

// step is one command, and what to do to the key stream before it.
type step struct {
	name, path, body, key string
	before                func(t *testing.T, w *world)
}

var longReason = strings.Repeat("Shift work on Thursdays. ", 400)

// steps run the engagements and feedback services' sealing paths: a
// reason sealed under the invitee's key, summaries under the author's key
// or the feedback's own, a redaction that destroys that key, and what
// each meets once a key is destroyed.
var steps = []step{
	{name: "register a project", path: "/api/v1/projects", key: "project",
		body: `{"programme":"South Tyneside","name":"Waiting areas","aim":"A calmer waiting area","lead":"Sarah"}`},
	{name: "register Alice", path: "/api/v1/stakeholders", key: "alice",
		body: `{"name":"Alice","contact":"alice@example.org","roles":["service_user"],"current_experience":true,"recruitment_channel":"community_organisation"}`},
	{name: "register Bob", path: "/api/v1/stakeholders", key: "bob",
		body: `{"name":"Bob","contact":"","roles":["carer"],"current_experience":false,"recruitment_channel":"staff_referral"}`},
	{name: "plan an engagement", path: "/api/v1/engagements", key: "engagement",
		body: `{"project_id":"{project}","element_ids":[],"title":"Reception workshop","method":"workshop","level":"consult","scheduled_for":"2026-03-01T10:00:00Z"}`},
	{name: "invite Alice", path: "/api/v1/engagements/{engagement}/invitations", body: `{"stakeholder_id":"{alice}","channel":"email"}`},
	{name: "invite Bob", path: "/api/v1/engagements/{engagement}/invitations", body: `{"stakeholder_id":"{bob}","channel":"email"}`},
	{name: "Alice declines with a reason", path: "/api/v1/engagements/{engagement}/answers",
		body: `{"stakeholder_id":"{alice}","accepted":false,"reason":"The bus does not run on Sundays"}`},
	{name: "Alice accepts with a long reason", path: "/api/v1/engagements/{engagement}/answers",
		body: `{"stakeholder_id":"{alice}","accepted":true,"reason":"` + longReason + `"}`},
	{name: "Bob answers with a reason after his key was destroyed", path: "/api/v1/engagements/{engagement}/answers",
		body: `{"stakeholder_id":"{bob}","accepted":true,"reason":"I can come"}`,
		// A crash between destroying the key and recording the erasure.
		before: func(t *testing.T, w *world) {
			if err := w.local.Destroy(context.Background(), w.ids["bob"]); err != nil {
				t.Fatal(err)
			}
		}},
	{name: "Bob answers without a reason", path: "/api/v1/engagements/{engagement}/answers", body: `{"stakeholder_id":"{bob}","accepted":true,"reason":""}`},
	{name: "Alice gives feedback", path: "/api/v1/feedback", key: "named",
		body: `{"project_id":"{project}","engagement_id":"{engagement}","stakeholder_id":"{alice}","channel":"engagement","sentiment":"negative","themes":["noise"],"summary":"Too loud to hear your name called"}`},
	{name: "Bob gives feedback", path: "/api/v1/feedback", key: "bobs",
		body: `{"project_id":"{project}","stakeholder_id":"{bob}","channel":"letter","sentiment":"positive","themes":[],"summary":"Thank you"}`},
	{name: "anonymous feedback", path: "/api/v1/feedback", key: "anonymous",
		body: `{"project_id":"{project}","channel":"online","sentiment":"mixed","themes":["signage"],"summary":"The signs point two ways"}`},
	{name: "redact the anonymous feedback", path: "/api/v1/feedback/{anonymous}/redact", body: `{"reason":"It names a member of staff"}`},
	{name: "redact it again", path: "/api/v1/feedback/{anonymous}/redact", body: `{"reason":"Twice"}`},
	{name: "the anonymous feedback retried after its redaction", path: "/api/v1/feedback", key: "anonymous",
		body: `{"project_id":"{project}","channel":"online","sentiment":"mixed","themes":["signage"],"summary":"The signs point two ways"}`},
	{name: "redact Alice's feedback", path: "/api/v1/feedback/{named}/redact", body: `{"reason":"Hers to erase"}`},
}

// TestRemoteSealsAsLocal runs the same commands through the engagements
// and feedback services with the Keyring itself and with a Remote: every
// answer is the same, and so is the history, sealed fields opened.
func TestRemoteSealsAsLocal(t *testing.T) {
	worlds := map[string]*world{"local": newWorld(t, false), "remote": newWorld(t, true)}
	answers := map[string][]answer{}
	for _, name := range []string{"local", "remote"} {
		w := worlds[name]
		for _, s := range steps {
			if s.before != nil {
				s.before(t, w)
			}
			answers[name] = append(answers[name], w.post(t, s.path, s.body, s.key))
		}
	}
	for i, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if diff := cmp.Diff(answers["local"][i], answers["remote"][i]); diff != "" {
				t.Errorf("answers differ (-local +remote):\n%s", diff)
			}
		})
	}
	// What each step must have met, so that the comparison covers the
	// paths it claims to.
	want := []int{201, 201, 201, 201, 200, 200, 200, 200, 409, 200, 201, 409, 201, 200, 409, 409, 409}
	var got []int
	for _, a := range answers["local"] {
		got = append(got, a.Status)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	local, remote := worlds["local"].history(t), worlds["remote"].history(t)
	if diff := cmp.Diff(local, remote); diff != "" {
		t.Errorf("histories differ (-local +remote):\n%s", diff)
	}
	for _, want := range []string{"The bus does not run on Sundays", longReason, "Too loud to hear your name called", "does not open: key destroyed"} {
		if data, _ := json.Marshal(remote); !bytes.Contains(data, []byte(want[:20])) {
			t.Errorf("the remote world's history has nothing that opens to %.20q…", want)
		}
	}
}

// TestRemoteUnavailableThroughCommands: when the keys service is not
// there, or does not answer in time, a command that must seal or shred
// answers 503 with Retry-After, and records nothing.
func TestRemoteUnavailableThroughCommands(t *testing.T) {
	for _, how := range []string{"no keys service", "a keys service that does not answer"} {
		t.Run(how, func(t *testing.T) {
			w := newWorld(t, true, keyring.WithNATSTimeout(100*time.Millisecond))
			for _, s := range steps[:7] { // up to Alice's answer
				if a := w.post(t, s.path, s.body, s.key); a.Status >= 300 {
					t.Fatalf("%s = %+v", s.name, a)
				}
			}
			w.post(t, steps[12].path, steps[12].body, steps[12].key) // anonymous feedback
			if err := w.stop(); err != nil {
				t.Fatal(err)
			}
			if how != "no keys service" {
				quiet, err := w.srv.Connect("quiet")
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(quiet.Close)
				if _, err := quiet.QueueSubscribe("together.keys.>", "keys", func(*nats.Msg) {}); err != nil {
					t.Fatal(err)
				}
				if err := quiet.Flush(); err != nil {
					t.Fatal(err)
				}
			}
			head, err := w.store.Head(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range []step{steps[6], steps[10], steps[13]} { // answer, give, redact
				a := w.post(t, s.path, s.body, s.key)
				detail, _ := a.Body["detail"].(string)
				if a.Status != http.StatusServiceUnavailable || a.RetryAfter == "" || !strings.Contains(detail, "retry with the same Idempotency-Key") {
					t.Errorf("%s = %+v; want 503 with Retry-After and a detail saying to retry", s.name, a)
				}
				for _, leak := range []string{"The bus", "Too loud", "nats:"} {
					if strings.Contains(detail, leak) {
						t.Errorf("%s: the detail %q holds %q", s.name, detail, leak)
					}
				}
			}
			if after, err := w.store.Head(context.Background()); err != nil || after != head {
				t.Errorf("the store moved from %d to %d (%v) while nothing could be sealed", head, after, err)
			}
		})
	}
}
