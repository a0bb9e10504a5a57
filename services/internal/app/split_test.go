package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/together-coop/together/events/engagement"
	"github.com/together-coop/together/events/feedback"
	"github.com/together-coop/together/events/stakeholder"
	"github.com/together-coop/together/services/internal/app"
	"github.com/together-coop/together/services/internal/auth"
	"github.com/together-coop/together/services/internal/busauth"
	"github.com/together-coop/together/services/internal/embednats"
	"github.com/together-coop/together/services/internal/keyring"
	"github.com/together-coop/together/services/internal/recorder"
)

// TestSealingAcrossProcesses runs the production shape: each part its own
// process on a locked NATS server, as its own user. The engagements and
// feedback processes, which cannot reach the key stream, seal through the
// stakeholders process; the feedback process shreds anonymous feedback
// through it; and with the stakeholders process gone they answer 503.
func TestSealingAcrossProcesses(t *testing.T) {
	passwords, err := busauth.GeneratePasswords()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := embednats.Start(embednats.Config{StoreDir: t.TempDir(), Listen: "127.0.0.1:0", Passwords: passwords, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	ctx := context.Background()
	procs := map[app.Part]*app.App{}
	for _, p := range []app.Part{app.Recorder, app.Reports, app.Projects, app.Stakeholders, app.Engagements, app.Feedback} {
		st, err := app.Start(ctx, app.Config{
			Parts:    []app.Part{p},
			NATS:     app.NATS{URL: srv.ClientURL(), User: string(p), Password: passwords[busauth.Role(p)]},
			HTTPAddr: "127.0.0.1:0",
			Logger:   zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel),
			KEK:      testKEK(t),
		})
		if err != nil {
			t.Fatalf("start %s: %v", p, err)
		}
		procs[p] = st
		t.Cleanup(func() { shutdown(t, st) })
	}
	_, secret, err := procs[app.Reports].IssueToken(ctx, auth.Admin, "tests")
	if err != nil {
		t.Fatal(err)
	}
	post := func(p app.Part, path, body string) (int, map[string]any) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, procs[p].URL()+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+secret)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		data, _ := io.ReadAll(res.Body)
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("POST %s answered %d: %s", path, res.StatusCode, data)
		}
		return res.StatusCode, m
	}
	create := func(p app.Part, path, body string) string {
		t.Helper()
		code, m := post(p, path, body)
		id, _ := m["id"].(string)
		if code >= 300 || id == "" {
			t.Fatalf("POST %s to the %s process = %d %v", path, p, code, m)
		}
		return id
	}

	project := create(app.Projects, "/api/v1/projects", `{"programme":"South Tyneside","name":"Waiting areas","aim":"A calmer waiting area","lead":"Sarah"}`)
	alice := create(app.Stakeholders, "/api/v1/stakeholders", `{"name":"Alice","contact":"","roles":["service_user"],"current_experience":true,"recruitment_channel":"advert"}`)
	eng := create(app.Engagements, "/api/v1/engagements", `{"project_id":"`+project+`","element_ids":[],"title":"Workshop","method":"workshop","level":"consult","scheduled_for":"2026-03-01T10:00:00Z"}`)
	create(app.Engagements, "/api/v1/engagements/"+eng+"/invitations", `{"stakeholder_id":"`+alice+`","channel":"email"}`)
	create(app.Engagements, "/api/v1/engagements/"+eng+"/answers", `{"stakeholder_id":"`+alice+`","accepted":false,"reason":"The bus does not run on Sundays"}`)
	named := create(app.Feedback, "/api/v1/feedback", `{"project_id":"`+project+`","stakeholder_id":"`+alice+`","channel":"letter","sentiment":"negative","themes":[],"summary":"Too loud"}`)
	anonymous := create(app.Feedback, "/api/v1/feedback", `{"project_id":"`+project+`","channel":"online","sentiment":"mixed","themes":[],"summary":"The signs point two ways"}`)
	create(app.Feedback, "/api/v1/feedback/"+anonymous+"/redact", `{"reason":"It names a member of staff"}`)

	// What was recorded opens with the stakeholders' keys, but for the
	// redacted summary.
	stk, err := srv.ConnectAs(busauth.Stakeholders)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stk.Close)
	js, err := jetstream.New(stk)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := keyring.New(ctx, js, testKEK(t))
	if err != nil {
		t.Fatal(err)
	}
	admin, err := srv.Connect("tests")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(admin.Close)
	opened := map[string]string{}
	for e, err := range recorder.NewClient(admin, 10*time.Second).ReadAll(ctx, 0) {
		if err != nil {
			t.Fatal(err)
		}
		var sealed *stakeholder.Sealed
		switch e.Type {
		case engagement.TypeInvitationAnswered:
			var p engagement.InvitationAnswered
			if err := json.Unmarshal(e.Payload, &p); err != nil {
				t.Fatal(err)
			}
			sealed = p.Reason
		case feedback.TypeGiven:
			var p feedback.Given
			if err := json.Unmarshal(e.Payload, &p); err != nil {
				t.Fatal(err)
			}
			sealed = p.Summary
		default:
			continue
		}
		if sealed == nil {
			t.Fatalf("%s recorded without its sealed text", e.Type)
		}
		if bytes.Contains(e.Payload, []byte("Sundays")) || bytes.Contains(e.Payload, []byte("Too loud")) {
			t.Errorf("%s holds its text in the clear", e.Type)
		}
		plain, err := keys.Open(ctx, sealed.KeyID, *sealed)
		if errors.Is(err, keyring.ErrKeyDestroyed) {
			plain = []byte("(destroyed)")
		} else if err != nil {
			t.Fatal(err)
		}
		opened[sealed.KeyID] += string(plain) + ";"
	}
	want := map[string]string{
		alice:                           "The bus does not run on Sundays;Too loud;",
		feedback.RecordKeyID(anonymous): "(destroyed);",
	}
	for k, v := range want {
		if opened[k] != v {
			t.Errorf("under key %s opened %q, want %q", k, opened[k], v)
		}
	}

	// The feedback process may not destroy a person's key: redacting
	// named feedback is refused by the feedback service before it asks,
	// and asking directly is refused by the keys service (see keyring's
	// tests). Without the stakeholders process, sealing and shredding
	// answer 503 and record nothing.
	if code, m := post(app.Feedback, "/api/v1/feedback/"+named+"/redact", `{"reason":"x"}`); code != http.StatusConflict {
		t.Errorf("redact named feedback = %d %v, want 409", code, m)
	}
	shutdown(t, procs[app.Stakeholders])
	for _, c := range []struct {
		p          app.Part
		path, body string
	}{
		{app.Engagements, "/api/v1/engagements/" + eng + "/answers", `{"stakeholder_id":"` + alice + `","accepted":true,"reason":"I can come after all"}`},
		{app.Feedback, "/api/v1/feedback", `{"project_id":"` + project + `","channel":"online","sentiment":"positive","themes":[],"summary":"Thanks"}`},
	} {
		if code, m := post(c.p, c.path, c.body); code != http.StatusServiceUnavailable {
			t.Errorf("POST %s without the stakeholders process = %d %v, want 503", c.path, code, m)
		}
	}
}
