// Package bustest checks a NATS server configured with busauth from the
// outside, as a client on the network: that the legitimate paths of every
// process work with their own credentials, and that each of them is
// refused everything else an intruder holding those credentials would
// try. The embedded server's tests and the compose configuration's tests
// both run it.
package bustest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/catalogue"
	"github.com/together-coop/together/events/feedback"
	"github.com/together-coop/together/events/project"
	"github.com/together-coop/together/events/seal"
	"github.com/together-coop/together/services/internal/auth"
	"github.com/together-coop/together/services/internal/busauth"
	"github.com/together-coop/together/services/internal/keyring"
	"github.com/together-coop/together/services/internal/natsjs"
	"github.com/together-coop/together/services/internal/recorder"
	"github.com/together-coop/together/services/internal/reports"
)

// Target is a running server to check.
type Target struct {
	// URL is where the server listens, e.g. nats://127.0.0.1:4222.
	URL string
	// Passwords are the roles' passwords the server was configured with.
	Passwords busauth.Passwords
	// Options are added to every connection (a TLS root CA, say).
	Options []nats.Option
}

// Distinctive is the programme name of the event Legitimate records, a
// string to look for in the server's files.
const Distinctive = "Quokka-Zebra-Programme-7741"

// connect connects as role, recording every asynchronous error the
// connection reports (a permission violation arrives that way).
func (tg Target) connect(t *testing.T, role busauth.Role) (*nats.Conn, func() []error) {
	t.Helper()
	var mu sync.Mutex
	var errs []error
	opts := append([]nats.Option{
		nats.UserInfo(string(role), tg.Passwords[role]),
		nats.Name("bustest-" + string(role)),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}),
	}, tg.Options...)
	nc, err := nats.Connect(tg.URL, opts...)
	if err != nil {
		t.Fatalf("connect as %s: %v", role, err)
	}
	t.Cleanup(nc.Close)
	return nc, func() []error {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(errs)
	}
}

// World is what [Legitimate] set up and recorded.
type World struct {
	// Event is the project event the projects service recorded.
	Event events.AppendResult
	// Stream is that event's stream.
	Stream string
	// Stakeholder has a key in the key stream.
	Stakeholder string
	// Sealed is data sealed under that key.
	Sealed []byte
	// Recorder reaches the recorder as the projects service does.
	Recorder *recorder.Client
	// EventsJS is the recorder's JetStream context on the event stream.
	EventsJS jetstream.JetStream
	// Keys and Snapshots are the stakeholders' and the reports' stores.
	// Keys serves the others until the test ends.
	Keys      *keyring.Keyring
	Snapshots *reports.ObjectStoreSnapshots
	// Identities are the identities the reports service keeps, and
	// serves to the others until the test ends.
	Identities *auth.Service
	// Remote authenticates requests as the projects service does.
	Remote *auth.Remote
	// Sealer seals through the keys service as the engagements service
	// does.
	Sealer *keyring.Remote
	// Token is an API token of the role viewer, and TokenID its id.
	Token, TokenID string
}

// Legitimate runs every process's legitimate path with its own
// credentials: the recorder creates the event stream, serves appends and
// appends a seal, the projects service appends an event through it, the
// stakeholders service creates, uses and destroys keys and serves them to
// the engagements and feedback services (see keys), and the reports
// service reads through the recorder, hears the append notification,
// saves and loads its snapshot twice and reads the event stream with a
// direct get. The reports service also keeps the identities: it creates
// their buckets, an API token and an account, signs the account in, and
// serves the identities to the projects service, which authenticates a
// token and a session through the export; then the session is signed out
// and the token revoked and made anew. None of them may see a permission
// error. The recorder and the identities service run until the test ends.
func Legitimate(t *testing.T, tg Target) *World {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	w := &World{}
	var checks []func() []error

	rec, recErrs := tg.connect(t, busauth.Recorder)
	checks = append(checks, recErrs)
	store, err := natsjs.New(ctx, rec)
	if err != nil {
		t.Fatalf("recorder: open the event stream: %v", err)
	}
	if w.EventsJS, err = jetstream.New(rec); err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	svc, err := recorder.New(rec, store, catalogue.New(), recorder.WithSeals(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- svc.Run(runCtx) }()
	select {
	case <-svc.Ready():
	case err := <-done:
		t.Fatalf("recorder stopped: %v", err)
	}
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("recorder Run: %v", err)
		}
	})

	rep, repErrs := tg.connect(t, busauth.Reports)
	checks = append(checks, repErrs)
	notified := make(chan struct{}, 16)
	if _, err := rep.Subscribe(busauth.SubjectAppended, func(*nats.Msg) { notified <- struct{}{} }); err != nil {
		t.Fatal(err)
	}
	if err := rep.Flush(); err != nil {
		t.Fatal(err)
	}

	proj, projErrs := tg.connect(t, busauth.Projects)
	checks = append(checks, projErrs)
	w.Recorder = recorder.NewClient(proj, 10*time.Second)
	waitForRecorder(ctx, t, w.Recorder)
	id, _ := events.NewEventID()
	w.Stream = project.Stream(id.String())
	env := envelope(t, &project.Registered{Programme: Distinctive, Name: "Waiting areas", Aim: "A calmer waiting area", Lead: "Sarah"})
	if w.Event, err = w.Recorder.Append(ctx, w.Stream, 0, []events.Envelope{env}); err != nil {
		t.Fatalf("projects: append through the recorder: %v", err)
	}
	n := 0
	for e, err := range w.Recorder.ReadStream(ctx, w.Stream, 1) {
		if err != nil {
			t.Fatalf("projects: read back: %v", err)
		}
		n += len(e.Payload)
	}
	if n == 0 {
		t.Fatal("projects: read back nothing")
	}
	select {
	case <-notified:
	case <-ctx.Done():
		t.Fatal("reports: no append notification")
	}
	// The recorder's seals are appends of its own to the event stream;
	// write one the way it does. (Its sealing runs off here: a seal
	// written in the background would look like an intruder's.)
	if _, err := store.Append(ctx, seal.Stream, 0, []events.Envelope{
		envelope(t, &seal.LedgerSealed{ThroughPosition: w.Event.Position, Events: 1, ChainHash: strings.Repeat("0", 64)}),
	}); err != nil {
		t.Fatalf("recorder: append a seal: %v", err)
	}

	stk, stkErrs := tg.connect(t, busauth.Stakeholders)
	checks = append(checks, stkErrs)
	stkJS, err := jetstream.New(stk)
	if err != nil {
		t.Fatal(err)
	}
	kek, err := keyring.GenerateKEK()
	if err != nil {
		t.Fatal(err)
	}
	if w.Keys, err = keyring.New(ctx, stkJS, kek); err != nil {
		t.Fatalf("stakeholders: open the key stream: %v", err)
	}
	w.Stakeholder = id.String()
	sealed, err := w.Keys.Seal(ctx, w.Stakeholder, []byte("Jo Bloggs"))
	if err != nil {
		t.Fatalf("stakeholders: seal: %v", err)
	}
	w.Sealed = sealed.Ciphertext
	if plain, err := w.Keys.Open(ctx, w.Stakeholder, sealed); err != nil || string(plain) != "Jo Bloggs" {
		t.Fatalf("stakeholders: open = %q, %v", plain, err)
	}
	erased, _ := events.NewEventID()
	if _, err := w.Keys.Seal(ctx, erased.String(), []byte("Someone")); err != nil {
		t.Fatal(err)
	}
	if err := w.Keys.Destroy(ctx, erased.String()); err != nil {
		t.Fatalf("stakeholders: destroy a key: %v", err)
	}
	eng, engErrs := tg.connect(t, busauth.Engagements)
	fb, fbErrs := tg.connect(t, busauth.Feedback)
	checks = append(checks, engErrs, fbErrs)
	keys(ctx, t, w, stk, eng, fb)

	repJS, err := jetstream.New(rep)
	if err != nil {
		t.Fatal(err)
	}
	if w.Snapshots, err = reports.NewObjectStoreSnapshots(ctx, repJS, kek.Derive(keyring.PurposeSnapshotMAC), 1); err != nil {
		t.Fatalf("reports: open the snapshot bucket: %v", err)
	}
	for _, s := range []string{"first snapshot", "second snapshot"} {
		if err := w.Snapshots.Save(ctx, []byte(s)); err != nil {
			t.Fatalf("reports: save a snapshot: %v", err)
		}
		if got, err := w.Snapshots.Load(ctx); err != nil || string(got) != s {
			t.Fatalf("reports: load the snapshot = %q, %v; want %q", got, err, s)
		}
	}
	reader := recorder.NewClient(rep, 10*time.Second)
	all := 0
	for _, err := range reader.ReadAll(ctx, 0) {
		if err != nil {
			t.Fatalf("reports: read all through the recorder: %v", err)
		}
		all++
	}
	if all < 1 {
		t.Fatal("reports: read nothing through the recorder")
	}
	// The reports' projection reads the event stream itself, through the
	// imported stream info and direct gets.
	direct, err := natsjs.NewReader(rep, natsjs.ReaderConfig{APIPrefix: busauth.RecorderAPIPrefix, Stream: busauth.EventStream})
	if err != nil {
		t.Fatal(err)
	}
	read := 0
	for _, err := range direct.ReadAll(ctx, 0) {
		if err != nil {
			t.Fatalf("reports: read all through the imported direct gets: %v", err)
		}
		read++
	}
	if read != all {
		t.Fatalf("reports: read %d events through the imported direct gets, %d through the recorder", read, all)
	}
	imported, err := jetstream.NewWithAPIPrefix(rep, busauth.RecorderAPIPrefix)
	if err != nil {
		t.Fatal(err)
	}
	events, err := imported.Stream(ctx, busauth.EventStream)
	if err != nil {
		t.Fatalf("reports: event stream info through the import: %v", err)
	}
	m, err := events.GetMsg(ctx, w.Event.Position)
	if err != nil || !strings.Contains(string(m.Data), Distinctive) {
		t.Fatalf("reports: direct get of the event = %v; want the event", err)
	}

	// A batched direct get answers with several messages, ending with an
	// end-of-batch status: all of them cross the accounts.
	inbox := rep.NewRespInbox()
	batch, err := rep.SubscribeSync(inbox)
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.PublishRequest(busauth.RecorderAPIPrefix+".DIRECT.GET."+busauth.EventStream, inbox, []byte(`{"seq":1,"batch":10}`)); err != nil {
		t.Fatal(err)
	}
	got := 0
	for {
		m, err := batch.NextMsg(10 * time.Second)
		if err != nil {
			t.Fatalf("reports: batched direct get after %d messages: %v", got, err)
		}
		if m.Header.Get("Status") == "204" {
			break
		}
		got++
	}
	if got != 2 { // the event and the seal
		t.Errorf("reports: batched direct get gave %d messages; want 2", got)
	}

	identities(ctx, t, w, rep, repJS, proj)

	// Every connection has seen the server's answers to all it sent.
	for _, nc := range []*nats.Conn{rec, proj, stk, eng, fb, rep} {
		if err := nc.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	for _, errs := range checks {
		if e := errs(); len(e) > 0 {
			t.Errorf("a legitimate path met errors: %v", e)
		}
	}
	return w
}

// keys runs the keys service's legitimate path: the stakeholders service
// serves its key stream on stk; the engagements service seals a person's
// reason through the export on eng; the feedback service, on fb, seals a
// person's summary and an anonymous one under its record key, and
// shreds the latter. What they sealed opens only with the stakeholders'
// keys. The feedback service asking to destroy a person's key passes the
// bus (the subject is its own) and is refused by the service, which keeps
// the key. The keys service runs until the test ends.
func keys(ctx context.Context, t *testing.T, w *World, stk, eng, fb *nats.Conn) {
	t.Helper()
	sctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Keys.ServeNATS(sctx, stk) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("stakeholders: ServeNATS: %v", err)
		}
	})
	select {
	case <-w.Keys.Ready():
	case err := <-done:
		t.Fatalf("stakeholders: serve the keys: %v", err)
	}
	var err error
	if w.Sealer, err = keyring.NewRemote(eng); err != nil {
		t.Fatal(err)
	}
	shredder, err := keyring.NewRemote(fb)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := events.NewEventID()
	record := feedback.RecordKeyID(id.String())
	for _, c := range []struct {
		who    string
		remote *keyring.Remote
		keyID  string
	}{
		{"engagements", w.Sealer, w.Stakeholder},
		{"feedback", shredder, w.Stakeholder},
		{"feedback", shredder, record},
	} {
		sealed, err := c.remote.Seal(ctx, c.keyID, []byte("The bus does not run on Sundays"))
		if err != nil {
			t.Fatalf("%s: seal through the keys service: %v", c.who, err)
		}
		if plain, err := w.Keys.Open(ctx, c.keyID, sealed); err != nil || string(plain) != "The bus does not run on Sundays" {
			t.Fatalf("stakeholders: open what %s sealed = %q, %v", c.who, plain, err)
		}
	}
	if err := shredder.Destroy(ctx, record); err != nil {
		t.Fatalf("feedback: destroy a record key through the keys service: %v", err)
	}
	if _, err := w.Keys.Seal(ctx, record, []byte("x")); !errors.Is(err, keyring.ErrKeyDestroyed) {
		t.Fatalf("stakeholders: the record key after feedback shredded it: %v; want it destroyed", err)
	}
	if err := shredder.Destroy(ctx, w.Stakeholder); !errors.Is(err, keyring.ErrNotAllowed) {
		t.Fatalf("feedback: destroy a person's key = %v; want the keys service to refuse it", err)
	}
	if _, err := w.Keys.Seal(ctx, w.Stakeholder, []byte("x")); err != nil {
		t.Fatalf("stakeholders: the person's key after feedback asked to destroy it: %v", err)
	}
}

// identities runs the identities' legitimate path: the reports service
// keeps them on rep and serves them, the projects service asks on proj.
func identities(ctx context.Context, t *testing.T, w *World, rep *nats.Conn, repJS jetstream.JetStream, proj *nats.Conn) {
	t.Helper()
	stores, err := auth.JetStreamStores(ctx, repJS, 1)
	if err != nil {
		t.Fatalf("reports: open the identities' buckets: %v", err)
	}
	cheap := auth.PasswordParams{Memory: 64, Time: 1, Threads: 1}
	if w.Identities, err = auth.New(stores, auth.WithPasswordParams(cheap)); err != nil {
		t.Fatal(err)
	}
	s := w.Identities
	old, oldSecret, err := s.CreateToken(ctx, "bustest", auth.Viewer, "bustest")
	if err != nil {
		t.Fatalf("reports: create a token: %v", err)
	}
	const username, password = "sarah@example.org", "correct horse battery"
	if _, err := s.AddUser(ctx, username, "Sarah Jones", auth.Recorder, password, "bustest"); err != nil {
		t.Fatalf("reports: add an account: %v", err)
	}
	if tokens, err := s.ListTokens(ctx); err != nil || len(tokens) != 1 {
		t.Fatalf("reports: list the tokens = %d, %v", len(tokens), err)
	}
	mux := http.NewServeMux()
	s.Routes(mux)
	site := s.Authenticate(mux)
	form := url.Values{"username": {username}, "password": {password}}
	signIn := httptest.NewRequest(http.MethodPost, "/sign-in", strings.NewReader(form.Encode()))
	signIn.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	site.ServeHTTP(rec, signIn)
	var cookie *http.Cookie
	for _, c := range rec.Result().Cookies() {
		if c.Name == auth.SessionCookie {
			cookie = c
		}
	}
	if rec.Code != http.StatusSeeOther || cookie == nil {
		t.Fatalf("reports: sign in = %d, cookie %v", rec.Code, cookie != nil)
	}

	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.ServeNATS(runCtx, rep) }()
	select {
	case <-s.Ready():
	case err := <-done:
		t.Fatalf("reports: serve the identities: %v", err)
	}
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("identities ServeNATS: %v", err)
		}
	})

	if w.Remote, err = auth.NewRemote(proj); err != nil {
		t.Fatal(err)
	}
	who := func(header string, c *http.Cookie) (int, auth.Identity, string) {
		var id auth.Identity
		var csrf string
		h := w.Remote.Authenticate(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			id, _ = auth.FromContext(r.Context())
			csrf = auth.CSRFToken(r.Context())
		}))
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if header != "" {
			r.Header.Set("Authorization", header)
		}
		if c != nil {
			r.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec.Code, id, csrf
	}
	if code, id, _ := who("Bearer "+oldSecret, nil); code != http.StatusOK || id.ID != auth.TokenID(old.ID) {
		t.Fatalf("projects: authenticate a token through the identities service = %d as %q", code, id.ID)
	}
	code, id, csrf := who("", cookie)
	if code != http.StatusOK || id.Kind != auth.KindUser || id.Role != auth.Recorder || csrf == "" {
		t.Fatalf("projects: authenticate a session through the identities service = %d as %+v", code, id)
	}

	// Signing out deletes the session; revoking a token updates it.
	form = url.Values{auth.CSRFField: {csrf}}
	signOut := httptest.NewRequest(http.MethodPost, "/sign-out", strings.NewReader(form.Encode()))
	signOut.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	signOut.AddCookie(cookie)
	rec = httptest.NewRecorder()
	site.ServeHTTP(rec, signOut)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("reports: sign out = %d", rec.Code)
	}
	if _, err := s.RevokeToken(ctx, old.ID, "bustest"); err != nil {
		t.Fatalf("reports: revoke a token: %v", err)
	}
	tok, secret, err := s.CreateToken(ctx, "bustest", auth.Viewer, "bustest")
	if err != nil {
		t.Fatal(err)
	}
	w.Token, w.TokenID = secret, tok.ID
	for name, c := range map[string]struct {
		header string
		cookie *http.Cookie
	}{"the signed-out session": {cookie: cookie}, "the revoked token": {header: "Bearer " + oldSecret}} {
		if code, id, _ := who(c.header, c.cookie); code != http.StatusOK || id.ID != "" {
			t.Fatalf("projects: %s = %d as %q; want to pass on without an identity", name, code, id.ID)
		}
	}
}

func waitForRecorder(ctx context.Context, t *testing.T, c *recorder.Client) {
	t.Helper()
	for {
		_, err := c.Head(ctx)
		if err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the recorder did not answer: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func envelope(t *testing.T, p events.Payload) events.Envelope {
	t.Helper()
	typ, version, data, err := catalogue.New().Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := events.NewEventID()
	return events.Envelope{ID: id, Type: typ, SchemaVersion: version, OccurredAt: time.Now().UTC(), Actor: "bustest", CorrelationID: id.String(), Payload: data}
}

// attempt is one thing an intruder tries with some role's credentials.
type attempt struct {
	name string
	// allowed are the roles whose job it is.
	allowed []busauth.Role
	// subject is what the server names in its refusal.
	subject string
	do      func(nc *nats.Conn) error
}

func publish(subject string, data []byte) func(*nats.Conn) error {
	return func(nc *nats.Conn) error { return nc.PublishRequest(subject, nc.NewRespInbox(), data) }
}

func subscribe(subject, queue string) func(*nats.Conn) error {
	return func(nc *nats.Conn) error {
		_, err := nc.QueueSubscribe(subject, queue, func(*nats.Msg) {})
		return err
	}
}

func attempts(w *World) []attempt {
	forged := []byte(`{"id":"01a20000-0000-7000-8000-00000000beef","type":"ProjectClosed","payload":{"summary":"closed by nobody"}}`)
	r, s, rep := busauth.Recorder, busauth.Stakeholders, busauth.Reports
	commands := []busauth.Role{busauth.Projects, s, busauth.Engagements, busauth.Feedback, busauth.Actions}
	authKV, sessionsKV := "KV_"+busauth.StateBucket, "KV_"+busauth.SessionBucket
	tokenKey := "$KV." + busauth.StateBucket + ".tokens." + w.TokenID
	return []attempt{
		{name: "read a key with a direct get", allowed: []busauth.Role{s}, subject: "$JS.API.DIRECT.GET.TOGETHER_KEYS.keys." + w.Stakeholder,
			do: publish("$JS.API.DIRECT.GET.TOGETHER_KEYS.keys."+w.Stakeholder, nil)},
		{name: "read a key with a stream get", allowed: []busauth.Role{s}, subject: "$JS.API.STREAM.MSG.GET.TOGETHER_KEYS",
			do: publish("$JS.API.STREAM.MSG.GET.TOGETHER_KEYS", []byte(`{"seq":1}`))},
		{name: "listen to the keys", subject: "keys.>", do: subscribe("keys.>", "")},
		{name: "write a key", allowed: []busauth.Role{s}, subject: "keys." + w.Stakeholder, do: publish("keys."+w.Stakeholder, []byte("0123456789abcdef0123456789abcdef"))},
		{name: "publish a forged event to the stream", allowed: []busauth.Role{r}, subject: "events." + w.Stream, do: publish("events."+w.Stream, forged)},
		{name: "write a seal", allowed: []busauth.Role{r}, subject: "events." + seal.Stream, do: publish("events."+seal.Stream, forged)},
		{name: "publish junk into the stream", allowed: []busauth.Role{r}, subject: "events.junk", do: publish("events.junk", []byte("junk"))},
		{name: "listen to the events", subject: "events.>", do: subscribe("events.>", "")},
		{name: "join the recorder's queue group", allowed: []busauth.Role{r}, subject: busauth.SubjectAppend, do: subscribe(busauth.SubjectAppend, "recorder")},
		{name: "listen to the recorder's subjects", allowed: []busauth.Role{r}, subject: "together.recorder.>", do: subscribe("together.recorder.>", "")},
		{name: "announce a forged append", allowed: []busauth.Role{r}, subject: busauth.SubjectAppended, do: publish(busauth.SubjectAppended, []byte(`{"position":999}`))},
		// Discovery stays within an account: the recorder's, the
		// identities service's and the keys service's.
		{name: "answer micro's discovery", allowed: []busauth.Role{r, rep, s}, subject: "$SRV.>", do: subscribe("$SRV.>", "")},
		{name: "delete the event stream", subject: "$JS.API.STREAM.DELETE.EVENTS", do: publish("$JS.API.STREAM.DELETE.EVENTS", nil)},
		{name: "update the event stream", subject: "$JS.API.STREAM.UPDATE.EVENTS", do: publish("$JS.API.STREAM.UPDATE.EVENTS", []byte(`{"name":"EVENTS","subjects":["events.>"],"deny_delete":false,"deny_purge":false}`))},
		{name: "purge the event stream", subject: "$JS.API.STREAM.PURGE.EVENTS", do: publish("$JS.API.STREAM.PURGE.EVENTS", nil)},
		{name: "delete an event", subject: "$JS.API.STREAM.MSG.DELETE.EVENTS", do: publish("$JS.API.STREAM.MSG.DELETE.EVENTS", []byte(`{"seq":1}`))},
		{name: "delete the key stream", subject: "$JS.API.STREAM.DELETE.TOGETHER_KEYS", do: publish("$JS.API.STREAM.DELETE.TOGETHER_KEYS", nil)},
		{name: "update the key stream", subject: "$JS.API.STREAM.UPDATE.TOGETHER_KEYS", do: publish("$JS.API.STREAM.UPDATE.TOGETHER_KEYS", []byte(`{"name":"TOGETHER_KEYS"}`))},
		{name: "purge the key stream", subject: "$JS.API.STREAM.PURGE.TOGETHER_KEYS", do: publish("$JS.API.STREAM.PURGE.TOGETHER_KEYS", nil)},
		{name: "delete a key", allowed: []busauth.Role{s}, subject: "$JS.API.STREAM.MSG.DELETE.TOGETHER_KEYS", do: publish("$JS.API.STREAM.MSG.DELETE.TOGETHER_KEYS", []byte(`{"seq":1}`))},
		{name: "delete the snapshot bucket", subject: "$JS.API.STREAM.DELETE." + busauth.SnapshotStream, do: publish("$JS.API.STREAM.DELETE."+busauth.SnapshotStream, nil)},
		{name: "update the snapshot bucket", subject: "$JS.API.STREAM.UPDATE." + busauth.SnapshotStream, do: publish("$JS.API.STREAM.UPDATE."+busauth.SnapshotStream, []byte(`{}`))},
		{name: "purge the account", subject: "$JS.API.ACCOUNT.PURGE.RECORDER", do: publish("$JS.API.ACCOUNT.PURGE.RECORDER", nil)},
		{name: "create a stream copying another", subject: "$JS.API.STREAM.CREATE.COPY", do: publish("$JS.API.STREAM.CREATE.COPY", []byte(`{"name":"COPY","mirror":{"name":"TOGETHER_KEYS"}}`))},
		{name: "create a consumer redirecting the events", allowed: []busauth.Role{r}, subject: "$JS.API.CONSUMER.CREATE.EVENTS.x",
			do: publish("$JS.API.CONSUMER.CREATE.EVENTS.x", []byte(`{"stream_name":"EVENTS","config":{"name":"x","deliver_subject":"keys.x"}}`))},
		{name: "read the event stream through the reports' import", allowed: []busauth.Role{busauth.Reports}, subject: busauth.RecorderAPIPrefix + ".DIRECT.GET.EVENTS",
			do: publish(busauth.RecorderAPIPrefix+".DIRECT.GET.EVENTS", []byte(`{"seq":1}`))},
		{name: "append through the recorder", allowed: commands,
			subject: busauth.SubjectAppend, do: publish(busauth.SubjectAppend, []byte(`{}`))},
		// The identities: only the reports service keeps them, and the
		// others may only ask it.
		{name: "read a token with a direct get", allowed: []busauth.Role{rep}, subject: "$JS.API.DIRECT.GET." + authKV,
			do: publish("$JS.API.DIRECT.GET."+authKV, []byte(`{"last_by_subj":"`+tokenKey+`"}`))},
		{name: "read a token by its subject", allowed: []busauth.Role{rep}, subject: "$JS.API.DIRECT.GET." + authKV + "." + tokenKey,
			do: publish("$JS.API.DIRECT.GET."+authKV+"."+tokenKey, nil)},
		{name: "read a session with a stream get", allowed: []busauth.Role{rep}, subject: "$JS.API.STREAM.MSG.GET." + sessionsKV,
			do: publish("$JS.API.STREAM.MSG.GET."+sessionsKV, []byte(`{"seq":1}`))},
		{name: "read the sessions with a consumer", allowed: []busauth.Role{rep}, subject: "$JS.API.CONSUMER.CREATE." + sessionsKV + ".x",
			do: publish("$JS.API.CONSUMER.CREATE."+sessionsKV+".x", []byte(`{"stream_name":"`+sessionsKV+`","config":{"name":"x","deliver_subject":"_INBOX.x"}}`))},
		{name: "listen to the identities' writes", subject: "$KV." + busauth.StateBucket + ".>", do: subscribe("$KV."+busauth.StateBucket+".>", "")},
		{name: "listen to the sessions' writes", subject: "$KV." + busauth.SessionBucket + ".>", do: subscribe("$KV."+busauth.SessionBucket+".>", "")},
		{name: "write a token", allowed: []busauth.Role{rep}, subject: tokenKey,
			do: publish(tokenKey, []byte(`{"id":"`+w.TokenID+`","role":"admin","hash":"00"}`))},
		{name: "create a stream over the identities' writes", subject: "$JS.API.STREAM.CREATE.SNOOP",
			do: publish("$JS.API.STREAM.CREATE.SNOOP", []byte(`{"name":"SNOOP","subjects":["$KV.`+busauth.StateBucket+`.>"]}`))},
		{name: "create a stream copying the sessions", subject: "$JS.API.STREAM.CREATE.SNOOP",
			do: publish("$JS.API.STREAM.CREATE.SNOOP", []byte(`{"name":"SNOOP","mirror":{"name":"`+sessionsKV+`"}}`))},
		{name: "delete the identities' bucket", subject: "$JS.API.STREAM.DELETE." + authKV, do: publish("$JS.API.STREAM.DELETE."+authKV, nil)},
		{name: "update the sessions' bucket", subject: "$JS.API.STREAM.UPDATE." + sessionsKV,
			do: publish("$JS.API.STREAM.UPDATE."+sessionsKV, []byte(`{"name":"`+sessionsKV+`","max_age":1}`))},
		{name: "purge the sessions", subject: "$JS.API.STREAM.PURGE." + sessionsKV, do: publish("$JS.API.STREAM.PURGE."+sessionsKV, nil)},
		{name: "serve the identities", allowed: []busauth.Role{rep}, subject: busauth.SubjectAuthenticate,
			do: subscribe(busauth.SubjectAuthenticate, "identities")},
		{name: "listen to the identities' requests", subject: "together.identities.>", do: subscribe("together.identities.>", "")},
		{name: "ask the identities service", allowed: append([]busauth.Role{busauth.Recorder}, commands...), subject: busauth.SubjectAuthenticate,
			do: publish(busauth.SubjectAuthenticate, []byte(`{"kind":"bearer","secret":""}`))},
		// The keys: only the stakeholders service serves them; the
		// engagements service may ask it to seal, the feedback service to
		// seal and to destroy (a record key: the service refuses a
		// person's, see keys).
		{name: "seal through the keys service", allowed: []busauth.Role{busauth.Engagements, busauth.Feedback}, subject: busauth.SubjectSeal,
			do: publish(busauth.SubjectSeal, []byte(`{"key_id":"`+w.Stakeholder+`","plaintext":"eA=="}`))},
		{name: "destroy through the keys service", allowed: []busauth.Role{busauth.Feedback}, subject: busauth.SubjectDestroy,
			do: publish(busauth.SubjectDestroy, []byte(`{"key_id":"`+w.Stakeholder+`"}`))},
		{name: "serve the keys", allowed: []busauth.Role{s}, subject: busauth.SubjectSeal, do: subscribe(busauth.SubjectSeal, "keys")},
		{name: "take the destroy requests", allowed: []busauth.Role{s}, subject: busauth.SubjectDestroy, do: subscribe(busauth.SubjectDestroy, "keys")},
		{name: "listen to the keys' requests", subject: "together.keys.>", do: subscribe("together.keys.>", "")},
		{name: "ask the keys service to open", subject: "together.keys.open", do: publish("together.keys.open", []byte(`{"key_id":"`+w.Stakeholder+`"}`))},
		// The stakeholders read it at start, for erasures a crash left unfinished.
		{name: "read everything through the recorder", allowed: []busauth.Role{busauth.Reports, busauth.Stakeholders}, subject: busauth.SubjectReadAll,
			do: publish(busauth.SubjectReadAll, []byte(`{}`))},
	}
}

// Attack tries, with every role's credentials in turn, everything that
// role's job does not need, and requires the server to refuse each with a
// permission violation. A connection without credentials, or with a wrong
// password, must be refused outright. Afterwards the event stream, the
// keys and the snapshot are as w left them.
func Attack(t *testing.T, tg Target, w *World) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	before := streamState(ctx, t, w)

	t.Run("no credentials", func(t *testing.T) {
		for name, opts := range map[string][]nats.Option{
			"none":           nil,
			"wrong password": {nats.UserInfo(string(busauth.Recorder), strings.Repeat("x", 32))},
			"admin":          {nats.UserInfo(busauth.AdminUser, strings.Repeat("x", 32))},
		} {
			nc, err := nats.Connect(tg.URL, append(opts, tg.Options...)...)
			if err == nil {
				nc.Close()
				t.Errorf("%s: connected", name)
			} else if !errors.Is(err, nats.ErrAuthorization) {
				t.Errorf("%s: %v; want an authorization violation", name, err)
			}
		}
	})
	for _, role := range busauth.Roles() {
		t.Run(string(role), func(t *testing.T) {
			for _, a := range attempts(w) {
				if slices.Contains(a.allowed, role) {
					continue
				}
				t.Run(a.name, func(t *testing.T) {
					nc, errs := tg.connect(t, role)
					if err := a.do(nc); err != nil {
						t.Fatal(err)
					}
					// The server answers a refused publish or subscribe
					// before the PONG of this flush, on the same
					// connection, so the refusal has been read by now.
					if err := nc.Flush(); err != nil {
						t.Fatal(err)
					}
					err := nc.LastError()
					if !errors.Is(err, nats.ErrPermissionViolation) || !strings.Contains(err.Error(), `"`+a.subject+`"`) {
						t.Errorf("%s was not refused: last error %v (async %v)", role, err, errs())
					}
				})
			}
		})
	}

	after := streamState(ctx, t, w)
	if before != after {
		t.Errorf("the stores changed under attack:\n before %+v\n after  %+v", before, after)
	}
	sealed, err := w.Keys.Seal(ctx, w.Stakeholder, []byte("x"))
	if err != nil {
		t.Errorf("the key is gone after the attack: %v", err)
	} else if _, err := w.Keys.Open(ctx, w.Stakeholder, sealed); err != nil {
		t.Errorf("the key is unusable after the attack: %v", err)
	}
	if sealed, err := w.Sealer.Seal(ctx, w.Stakeholder, []byte("x")); err != nil {
		t.Errorf("the keys service does not seal after the attack: %v", err)
	} else if _, err := w.Keys.Open(ctx, w.Stakeholder, sealed); err != nil {
		t.Errorf("what the keys service sealed after the attack does not open: %v", err)
	}
	if got, err := w.Snapshots.Load(ctx); err != nil || len(got) == 0 {
		t.Errorf("the snapshot is gone after the attack: %q, %v", got, err)
	}
	if id, err := w.Identities.VerifyToken(ctx, w.Token); err != nil || id.Role != auth.Viewer {
		t.Errorf("the token changed under attack: %+v, %v", id, err)
	}
	if tokens, err := w.Identities.ListTokens(ctx); err != nil || len(tokens) != 2 {
		t.Errorf("the tokens changed under attack: %d tokens, %v", len(tokens), err)
	}
	var seen auth.Identity
	h := w.Remote.Authenticate(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { seen, _ = auth.FromContext(r.Context()) }))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer "+w.Token)
	h.ServeHTTP(httptest.NewRecorder(), r)
	if seen.ID != auth.TokenID(w.TokenID) {
		t.Errorf("the token does not authenticate through the identities service after the attack (as %q)", seen.ID)
	}
}

type state struct {
	Messages, LastSeq uint64
	DenyDelete        bool
	DenyPurge         bool
	Subjects          string
	Head              uint64
}

func streamState(ctx context.Context, t *testing.T, w *World) state {
	t.Helper()
	s, err := w.EventsJS.Stream(ctx, busauth.EventStream)
	if err != nil {
		t.Fatalf("event stream: %v", err)
	}
	info := s.CachedInfo()
	head, err := w.Recorder.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return state{
		Messages: info.State.Msgs, LastSeq: info.State.LastSeq,
		DenyDelete: info.Config.DenyDelete, DenyPurge: info.Config.DenyPurge,
		Subjects: fmt.Sprint(info.Config.Subjects), Head: head,
	}
}
