package auth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"

	"github.com/together-coop/together/services/internal/auth"
	"github.com/together-coop/together/services/internal/microsvc/microsvctest"
	"github.com/together-coop/together/services/internal/natstest"
)

// seen is what a handler behind Authenticate found in its request.
type seen struct {
	Identity *auth.Identity `json:"identity"`
	CSRF     string         `json:"csrf"`
	Actor    string         `json:"actor"`
	Note     string         `json:"note"`
}

// probe answers what it saw: on /open whatever came, on /closed only an
// identity (401 otherwise).
func probe() http.Handler {
	see := func(w http.ResponseWriter, r *http.Request) {
		var got seen
		if id, ok := auth.FromContext(r.Context()); ok {
			got.Identity = &id
		}
		got.CSRF = auth.CSRFToken(r.Context())
		got.Actor = auth.ActorID(r.Context())
		got.Note = r.PostFormValue("note")
		_ = json.NewEncoder(w).Encode(got)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/open", see)
	mux.Handle("/closed", auth.RequireIdentity(http.HandlerFunc(see)))
	return mux
}

// twins are one Service and a Remote that asks it over NATS, on
// separate connections as in two processes.
type twins struct {
	s       *auth.Service
	clock   *clock
	headers map[auth.Role]string
	remote  *auth.Remote
	nc      *nats.Conn // the remote's
	stop    func() error
}

func newTwins(t *testing.T, st *auth.Stores, remoteOpts ...auth.Option) *twins {
	t.Helper()
	c := newClock()
	var s *auth.Service
	var headers map[auth.Role]string
	if st == nil {
		s, headers = newService(t, c, auth.Recorder)
	} else {
		var err error
		if s, err = auth.New(*st, auth.WithClock(c.Now)); err != nil {
			t.Fatal(err)
		}
	}
	srv, serving := natstest.RunJetStream(t)
	stop := microsvctest.Serve(t, s, serving)
	nc, err := srv.Connect("remote")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	rm, err := auth.NewRemote(nc, remoteOpts...)
	if err != nil {
		t.Fatal(err)
	}
	return &twins{s: s, clock: c, headers: headers, remote: rm, nc: nc, stop: stop}
}

// signIn starts a session for sarah and returns its cookie value and
// CSRF token.
func (tw *twins) signIn(t *testing.T) (cookie, csrf string) {
	t.Helper()
	mux := http.NewServeMux()
	tw.s.Routes(mux)
	b := newBrowser(t, tw.s.Authenticate(mux))
	if code := b.signIn("sarah@example.org", password); code != http.StatusSeeOther {
		t.Fatalf("sign in = %d", code)
	}
	u, _ := url.Parse(b.srv.URL)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == auth.SessionCookie {
			cookie = c.Value
		}
	}
	if cookie == "" || b.csrf == "" {
		t.Fatal("no session after sign-in")
	}
	return cookie, b.csrf
}

// signOut starts a session for sarah, ends it and returns its cookie
// value.
func (tw *twins) signOut(t *testing.T) string {
	t.Helper()
	mux := http.NewServeMux()
	tw.s.Routes(mux)
	b := newBrowser(t, tw.s.Authenticate(mux))
	if code := b.signIn("sarah@example.org", password); code != http.StatusSeeOther {
		t.Fatalf("sign in = %d", code)
	}
	u, _ := url.Parse(b.srv.URL)
	stolen := b.c.Jar.Cookies(u)
	if code, _, _ := b.post("/sign-out", url.Values{auth.CSRFField: {b.csrf}}, nil); code != http.StatusSeeOther {
		t.Fatalf("sign out = %d", code)
	}
	for _, c := range stolen {
		if c.Name == auth.SessionCookie {
			return c.Value
		}
	}
	t.Fatal("no session cookie")
	return ""
}

// request is one request to put to both sides.
type request struct {
	method, path string
	header       map[string]string
	cookie       *string
	form         url.Values
}

func (rq request) build() *http.Request {
	var r *http.Request
	if rq.form != nil {
		r = httptest.NewRequest(rq.method, rq.path, strings.NewReader(rq.form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		r = httptest.NewRequest(rq.method, rq.path, nil)
	}
	for k, v := range rq.header {
		r.Header.Set(k, v)
	}
	if rq.cookie != nil {
		r.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: *rq.cookie})
	}
	return r
}

// answer is what a client sees of a response.
type answer struct {
	Status                                        int
	ContentType, WWWAuthenticate, SetCookie, Body string
}

func serve(h http.Handler, rq request) answer {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, rq.build())
	return answer{
		Status: w.Code, ContentType: w.Header().Get("Content-Type"), WWWAuthenticate: w.Header().Get("WWW-Authenticate"),
		SetCookie: w.Header().Get("Set-Cookie"), Body: w.Body.String(),
	}
}

// TestRemoteAuthenticatesAsTheService puts every kind of request through
// Service.Authenticate and through a Remote asking that Service over
// NATS: both must answer the same, and as expected.
func TestRemoteAuthenticatesAsTheService(t *testing.T) {
	tw := newTwins(t, nil)
	ctx := context.Background()
	session, csrf := tw.signIn(t)
	revoked, revokedSecret, err := tw.s.CreateToken(ctx, "old script", auth.Admin, "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tw.s.RevokeToken(ctx, revoked.ID, "test"); err != nil {
		t.Fatal(err)
	}
	signedOut := tw.signOut(t)
	str := func(s string) *string { return &s }
	bearer := tw.headers[auth.Recorder]
	tests := []struct {
		name string
		rq   request
		want int
		// saw is the identity ID the handler saw, if it ran.
		saw string
	}{
		{"nothing, open", request{method: "GET", path: "/open"}, 200, auth.Anonymous},
		{"nothing, closed", request{method: "GET", path: "/closed"}, 401, ""},
		{"token", request{method: "POST", path: "/closed", header: map[string]string{"Authorization": bearer}}, 200, "token:"},
		{"token, lower-case scheme", request{method: "GET", path: "/closed", header: map[string]string{"Authorization": "bearer " + strings.TrimPrefix(bearer, "Bearer ")}}, 200, "token:"},
		{"token wins over a cookie", request{method: "POST", path: "/closed", header: map[string]string{"Authorization": bearer}, cookie: &session}, 200, "token:"},
		{"revoked token", request{method: "GET", path: "/closed", header: map[string]string{"Authorization": "Bearer " + revokedSecret}}, 401, ""},
		{"revoked token, open", request{method: "GET", path: "/open", header: map[string]string{"Authorization": "Bearer " + revokedSecret}}, 200, auth.Anonymous},
		{"tampered token", request{method: "GET", path: "/closed", header: map[string]string{"Authorization": bearer[:len(bearer)-2] + "zz"}}, 401, ""},
		{"garbage token", request{method: "GET", path: "/closed", header: map[string]string{"Authorization": "Bearer nonsense"}}, 401, ""},
		{"empty token", request{method: "GET", path: "/closed", header: map[string]string{"Authorization": "Bearer "}}, 401, ""},
		{"overlong token", request{method: "GET", path: "/closed", header: map[string]string{"Authorization": "Bearer together_" + strings.Repeat("a", 5000)}}, 401, ""},
		{"basic scheme", request{method: "GET", path: "/closed", header: map[string]string{"Authorization": "Basic dXNlcjpwYXNz"}}, 401, ""},
		{"session, safe method", request{method: "GET", path: "/closed", cookie: &session}, 200, "user:"},
		{"session, POST without a CSRF token", request{method: "POST", path: "/closed", cookie: &session}, 403, ""},
		{"session, POST with a wrong CSRF token", request{method: "POST", path: "/closed", cookie: &session, header: map[string]string{auth.CSRFHeader: "forged"}}, 403, ""},
		{"session, POST with the CSRF header", request{method: "POST", path: "/closed", cookie: &session, header: map[string]string{auth.CSRFHeader: csrf}}, 200, "user:"},
		{"session, form with the CSRF field", request{method: "POST", path: "/closed", cookie: &session, form: url.Values{auth.CSRFField: {csrf}, "note": {"kept for the handler"}}}, 200, "user:"},
		{"session, form with a wrong CSRF field", request{method: "POST", path: "/closed", cookie: &session, form: url.Values{auth.CSRFField: {"forged"}}}, 403, ""},
		{"session, DELETE without a token", request{method: "DELETE", path: "/open", cookie: &session}, 403, ""},
		{"unknown session", request{method: "GET", path: "/closed", cookie: str("bm90IGEgc2Vzc2lvbg")}, 401, ""},
		{"unknown session, open", request{method: "GET", path: "/open", cookie: str("bm90IGEgc2Vzc2lvbg")}, 200, auth.Anonymous},
		{"signed-out session", request{method: "GET", path: "/closed", cookie: &signedOut}, 401, ""},
		{"empty cookie", request{method: "GET", path: "/closed", cookie: str("")}, 401, ""},
		{"overlong cookie", request{method: "GET", path: "/closed", cookie: str(strings.Repeat("x", 101))}, 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			local := serve(tw.s.Authenticate(probe()), tt.rq)
			remote := serve(tw.remote.Authenticate(probe()), tt.rq)
			if diff := cmp.Diff(local, remote); diff != "" {
				t.Fatalf("local and remote differ (-local +remote):\n%s", diff)
			}
			if local.Status != tt.want {
				t.Fatalf("status %d, want %d: %s", local.Status, tt.want, local.Body)
			}
			if tt.want != 200 {
				if local.ContentType != "application/problem+json" {
					t.Errorf("Content-Type %q, want problem+json", local.ContentType)
				}
				return
			}
			var got seen
			if err := json.Unmarshal([]byte(local.Body), &got); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(got.Actor, tt.saw) {
				t.Errorf("the handler saw %q, want %s…", got.Actor, tt.saw)
			}
			if tt.saw == "user:" && got.CSRF != csrf {
				t.Errorf("CSRFToken in a session's request = %q, want the session's", got.CSRF)
			}
			if tt.saw != "user:" && got.CSRF != "" {
				t.Errorf("CSRFToken without a session = %q, want none", got.CSRF)
			}
			if tt.rq.form.Has("note") && got.Note != tt.rq.form.Get("note") {
				t.Errorf("the handler read note %q from the form, want %q", got.Note, tt.rq.form.Get("note"))
			}
		})
	}
}

// The serving side refreshes a session's idle expiry when a Remote uses
// it: three uses 25 minutes apart outlast the 30 idle minutes, and 31
// idle minutes end it.
func TestRemoteKeepsSessionsAlive(t *testing.T) {
	tw := newTwins(t, nil)
	session, _ := tw.signIn(t)
	h := tw.remote.Authenticate(probe())
	rq := request{method: "GET", path: "/closed", cookie: &session}
	for i := range 3 {
		tw.clock.Advance(25 * time.Minute)
		if a := serve(h, rq); a.Status != http.StatusOK {
			t.Fatalf("use %d, %d minutes after sign-in = %d %s", i+1, 25*(i+1), a.Status, a.Body)
		}
	}
	tw.clock.Advance(31 * time.Minute)
	a := serve(h, rq)
	if a.Status != http.StatusUnauthorized || !strings.Contains(a.Body, "expired") || !strings.Contains(a.SetCookie, "Max-Age=0") {
		t.Errorf("after 31 idle minutes = %+v, want 401 session expired, cookie cleared", a)
	}
}

// failingKV fails every read while fail is set.
type failingKV struct {
	auth.KV
	fail atomic.Bool
}

var errDown = errors.New("bucket unavailable")

func (f *failingKV) Get(ctx context.Context, key string) ([]byte, uint64, error) {
	if f.fail.Load() {
		return nil, 0, errDown
	}
	return f.KV.Get(ctx, key)
}

// When the stores fail, both sides answer 503, alike; so does a Remote
// when no identities service answers. A request without credentials
// needs none and passes.
func TestRemoteUnavailable(t *testing.T) {
	state, sessions := &failingKV{KV: auth.NewMemoryKV()}, &failingKV{KV: auth.NewMemoryKV()}
	tw := newTwins(t, &auth.Stores{State: state, Sessions: sessions}, auth.WithNATSTimeout(2*time.Second))
	ctx := context.Background()
	_, secret, err := tw.s.CreateToken(ctx, "script", auth.Viewer, "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tw.s.AddUser(ctx, "sarah@example.org", "Sarah Jones", auth.Viewer, password, "test"); err != nil {
		t.Fatal(err)
	}
	session, _ := tw.signIn(t)
	requests := map[string]request{
		"token":   {method: "GET", path: "/open", header: map[string]string{"Authorization": "Bearer " + secret}},
		"session": {method: "GET", path: "/open", cookie: &session},
	}
	state.fail.Store(true)
	sessions.fail.Store(true)
	for name, rq := range requests {
		local := serve(tw.s.Authenticate(probe()), rq)
		remote := serve(tw.remote.Authenticate(probe()), rq)
		if diff := cmp.Diff(local, remote); diff != "" {
			t.Errorf("%s: local and remote differ (-local +remote):\n%s", name, diff)
		}
		if local.Status != http.StatusServiceUnavailable {
			t.Errorf("%s with the stores down = %d, want 503", name, local.Status)
		}
	}
	state.fail.Store(false)
	sessions.fail.Store(false)
	if err := tw.stop(); err != nil {
		t.Fatalf("ServeNATS: %v", err)
	}
	for name, rq := range requests {
		if a := serve(tw.remote.Authenticate(probe()), rq); a.Status != http.StatusServiceUnavailable {
			t.Errorf("%s with no identities service = %d %s, want 503", name, a.Status, a.Body)
		}
	}
	if a := serve(tw.remote.Authenticate(probe()), request{method: "GET", path: "/open"}); a.Status != http.StatusOK {
		t.Errorf("no credentials with no identities service = %d, want 200", a.Status)
	}
}

// A check that fails is an error for the operator, unless the request
// ended first: a client that leaves mid-request is no failure of the
// stores.
func TestCheckFailureLoggedUnlessTheRequestEnded(t *testing.T) {
	state := &failingKV{KV: auth.NewMemoryKV()}
	var logged bytes.Buffer
	s, err := auth.New(auth.Stores{State: state, Sessions: auth.NewMemoryKV()}, auth.WithLogger(zerolog.New(&logged)))
	if err != nil {
		t.Fatal(err)
	}
	_, secret, err := s.CreateToken(context.Background(), "script", auth.Viewer, "test")
	if err != nil {
		t.Fatal(err)
	}
	state.fail.Store(true)
	rq := request{method: "GET", path: "/open", header: map[string]string{"Authorization": "Bearer " + secret}}

	w := httptest.NewRecorder()
	s.Authenticate(probe()).ServeHTTP(w, rq.build())
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(logged.String(), `"level":"error"`) {
		t.Errorf("stores down: %d, logged %q; want 503 and an error", w.Code, logged.String())
	}

	logged.Reset()
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	w = httptest.NewRecorder()
	s.Authenticate(probe()).ServeHTTP(w, rq.build().WithContext(ended))
	if strings.Contains(logged.String(), `"level":"error"`) || !strings.Contains(logged.String(), "the request ended while checking a bearer token") {
		t.Errorf("the request ended: logged %q; want no error, a debug line", logged.String())
	}
}

// The identities service refuses requests this package would not send.
func TestServeNATSRefusesMalformed(t *testing.T) {
	tw := newTwins(t, nil)
	for _, data := range []string{
		``, `{`, `[]`, `{"kind":"password","secret":"x"}`, `{"kind":"session","secret":""}`,
		`{"kind":"bearer","secret":"` + strings.Repeat("a", 201) + `"}`,
		`{"kind":"bearer","secret":"x","extra":1}`, `{"kind":"bearer","secret":"x"} {}`,
	} {
		msg, err := tw.nc.Request(auth.SubjectAuthenticate, []byte(data), 5*time.Second)
		if err != nil {
			t.Fatalf("%q: %v", data, err)
		}
		if code := msg.Header.Get(micro.ErrorCodeHeader); code != "400" {
			t.Errorf("%q answered %q %s, want error 400", data, code, msg.Data)
		}
	}
}

func TestNATSOptions(t *testing.T) {
	if _, err := auth.NewRemote(nil); !errors.Is(err, auth.ErrInvalidOption) {
		t.Errorf("NewRemote(nil) = %v, want ErrInvalidOption", err)
	}
	s, _ := newService(t, newClock(), auth.Viewer)
	if err := s.ServeNATS(context.Background(), nil); !errors.Is(err, auth.ErrInvalidOption) {
		t.Errorf("ServeNATS(nil) = %v, want ErrInvalidOption", err)
	}
	for _, opt := range []auth.Option{auth.WithNATSWorkers(0), auth.WithNATSWorkers(257), auth.WithNATSTimeout(0)} {
		if _, err := auth.New(auth.MemoryStores(), opt); !errors.Is(err, auth.ErrInvalidOption) {
			t.Errorf("New with a bad NATS option = %v, want ErrInvalidOption", err)
		}
	}
}

func TestRemoteMetrics(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	tw := newTwins(t, nil, auth.WithMetrics(reg))
	session, _ := tw.signIn(t)
	h := tw.remote.Authenticate(probe())
	serve(h, request{method: "POST", path: "/closed", cookie: &session})                                                   // csrf
	serve(h, request{method: "GET", path: "/closed"})                                                                      // unauthenticated, not asked
	serve(h, request{method: "GET", path: "/closed", header: map[string]string{"Authorization": "Bearer nope"}})           // bad token
	serve(h, request{method: "GET", path: "/closed", header: map[string]string{"Authorization": tw.headers[auth.Viewer]}}) // fine
	want := `
# HELP together_auth_refusals_total Requests refused by the identity layer, by reason (unauthenticated, forbidden, csrf).
# TYPE together_auth_refusals_total counter
together_auth_refusals_total{reason="csrf"} 1
together_auth_refusals_total{reason="unauthenticated"} 2
# HELP together_auth_remote_checks_total Credentials checked by the identities service over NATS, by outcome (ok, bad_token, expired_session, error).
# TYPE together_auth_remote_checks_total counter
together_auth_remote_checks_total{outcome="bad_token"} 1
together_auth_remote_checks_total{outcome="ok"} 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "together_auth_refusals_total", "together_auth_remote_checks_total"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(reg, "together_auth_remote_check_seconds"); n != 1 {
		t.Errorf("%d check duration series, want 1", n)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("metric lint: %v %v", problems, err)
	}
}
