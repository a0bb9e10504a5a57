package web

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/together-coop/together/events/catalogue"
	"github.com/together-coop/together/events/memstore"
	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/services/internal/actions"
	"github.com/together-coop/together/services/internal/audit"
	"github.com/together-coop/together/services/internal/auth"
	"github.com/together-coop/together/services/internal/auth/authtest"
	"github.com/together-coop/together/services/internal/browse"
	"github.com/together-coop/together/services/internal/command"
	"github.com/together-coop/together/services/internal/engagements"
	"github.com/together-coop/together/services/internal/feedback"
	"github.com/together-coop/together/services/internal/keyring"
	"github.com/together-coop/together/services/internal/natstest"
	"github.com/together-coop/together/services/internal/projects"
	"github.com/together-coop/together/services/internal/recorder"
	"github.com/together-coop/together/services/internal/reports"
	"github.com/together-coop/together/services/internal/stakeholders"
)

// stack is the site over the real command services, read API, reports
// and audit service, on a memstore, with real per-person keys (a keyring
// on an in-process JetStream), behind the real authentication and the
// site's route policy, served on 127.0.0.1.
type stack struct {
	t      *testing.T
	srv    *httptest.Server
	store  *memstore.Store
	runner *reports.Runner
	auth   *auth.Service
	// bearer are Authorization headers for each role.
	bearer   map[auth.Role]string
	commands http.Handler
}

const password = "correct horse battery"

func newStack(t *testing.T) *stack {
	t.Helper()
	ctx := context.Background()
	store := memstore.New()
	registry := catalogue.New()
	nc, js := natstest.JetStream(t)
	kek, err := keyring.GenerateKEK()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := keyring.New(ctx, js, kek)
	if err != nil {
		t.Fatal(err)
	}
	// The recorder holds the store and chains every event's hash, as in
	// the app; everything else reaches the store through its client.
	rec, err := recorder.New(nc, store, registry, recorder.WithLogger(zerolog.New(zerolog.NewTestWriter(t))))
	if err != nil {
		t.Fatal(err)
	}
	recCtx, recCancel := context.WithCancel(ctx)
	recDone := make(chan error, 1)
	go func() { recDone <- rec.Run(recCtx) }()
	select {
	case <-rec.Ready():
	case err := <-recDone:
		recCancel()
		t.Fatalf("recorder stopped while starting: %v", err)
	}
	t.Cleanup(func() {
		recCancel()
		if err := <-recDone; err != nil {
			t.Error(err)
		}
	})
	client := recorder.NewClient(nc, 10*time.Second)
	x, err := command.NewExecutor(client, registry)
	if err != nil {
		t.Fatal(err)
	}
	commands := http.NewServeMux()
	projects.New(x).Routes(commands)
	stakeholders.New(x, keys).Routes(commands)
	engagements.New(x, engagements.WithSealer(keys)).Routes(commands)
	feedback.New(x, feedback.WithKeyring(keys)).Routes(commands)
	actions.New(x).Routes(commands)

	runner, err := reports.NewRunner(client, registry)
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- runner.Run(rctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	rep, err := reports.New(runner, reports.WithExactCounts(func(r *http.Request) bool {
		id, ok := auth.FromContext(r.Context())
		return ok && id.Can(auth.ReadPersonalData)
	}))
	if err != nil {
		t.Fatal(err)
	}
	reportRoutes := http.NewServeMux()
	rep.Routes(reportRoutes)
	reads := http.NewServeMux()
	b, err := browse.New(runner)
	if err != nil {
		t.Fatal(err)
	}
	b.Routes(reads)
	auditRoutes := http.NewServeMux()
	audit.NewService(client).Routes(auditRoutes)

	authSvc, bearer := authtest.Service(t)
	for _, u := range []struct {
		name string
		role auth.Role
	}{{"recorder", auth.Recorder}, {"auditor", auth.Auditor}, {"viewer", auth.Viewer}} {
		if _, err := authSvc.AddUser(ctx, u.name+"@example.org", "Test "+u.name, u.role, password, "test"); err != nil {
			t.Fatal(err)
		}
	}
	site, err := New(HandlerReports(reportRoutes), WithCommands(commands), WithReads(reads), WithAudit(auditRoutes),
		WithLogger(zerolog.New(zerolog.NewTestWriter(t))))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	site.Routes(mux)
	authSvc.Routes(mux)
	policy := RoutesPolicy()
	maps.Copy(policy, auth.RoutesPolicy())
	srv := httptest.NewServer(authSvc.Authenticate(auth.Guard(policy, mux)))
	t.Cleanup(srv.Close)
	return &stack{t: t, srv: srv, store: store, runner: runner, auth: authSvc, bearer: bearer, commands: commands}
}

// command runs a command of the API in process as a recorder, for what no
// form records (projects and their elements), and returns its id once the
// reads know it: a page read straight after must show it, as a form's
// redirect carrying the position makes it show.
func (s *stack) command(path string, body map[string]any) string {
	s.t.Helper()
	r := httptest.NewRequestWithContext(auth.WithIdentity(context.Background(), auth.Identity{ID: "test:seed", Role: auth.Recorder}),
		http.MethodPost, path, nil)
	a, err := callAPI(s.commands, r, http.MethodPost, path, nil, body, "")
	if err != nil || !a.OK() {
		s.t.Fatalf("POST %s: %v %d %s", path, err, a.Status, a.Body)
	}
	var res commandResult
	if err := json.Unmarshal(a.Body, &res); err != nil {
		s.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.runner.WaitFor(ctx, res.Position); err != nil {
		s.t.Fatalf("the reads did not reach %s's position %d: %v", path, res.Position, err)
	}
	return res.ID
}

// seedProject registers a project with elements, and returns its id and
// theirs.
func (s *stack) seedProject(programme, name string, elements ...string) (string, []string) {
	s.t.Helper()
	id := s.command("/api/v1/projects", map[string]any{"programme": programme, "name": name, "aim": "A calmer " + name, "lead": "Sarah"})
	var els []string
	for _, el := range elements {
		els = append(els, s.command("/api/v1/projects/"+id+"/elements", map[string]any{"name": el}))
	}
	return id, els
}

// count returns how many events of type typ the store holds; "" counts
// them all.
func (s *stack) count(typ string) int {
	s.t.Helper()
	n := 0
	for e, err := range s.store.ReadAll(context.Background(), 0) {
		if err != nil {
			s.t.Fatal(err)
		}
		if typ == "" || e.Type == typ {
			n++
		}
	}
	return n
}

// browser is a person at a browser: a cookie jar, signed in with a
// session, that does not follow redirects (so that a test sees each).
type browser struct {
	s    *stack
	c    *http.Client
	csrf string
}

func (s *stack) signIn(role string) *browser {
	s.t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &browser{s: s, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	res := b.do(http.MethodPost, "/sign-in", url.Values{"username": {role + "@example.org"}, "password": {password}}, nil)
	if res.status != http.StatusSeeOther {
		s.t.Fatalf("sign in as %s: status %d\n%s", role, res.status, res.body)
	}
	return b
}

// answer is a page as the browser got it.
type answer struct {
	status int
	header http.Header
	body   string
}

// location is where a redirect sends the browser.
func (a answer) location() string { return a.header.Get("Location") }

func (b *browser) do(method, path string, form url.Values, header http.Header) answer {
	b.s.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.s.srv.URL+path, body)
	if err != nil {
		b.s.t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	maps.Copy(req.Header, header)
	res, err := b.c.Do(req)
	if err != nil {
		b.s.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		b.s.t.Fatal(err)
	}
	return answer{status: res.StatusCode, header: res.Header, body: string(raw)}
}

func (b *browser) get(path string) answer {
	b.s.t.Helper()
	return b.do(http.MethodGet, path, nil, nil)
}

var hiddenPattern = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)

// open shows the form at path and returns its hidden fields (the CSRF
// token and the Idempotency-Key), failing unless it is shown.
func (b *browser) open(path string) url.Values {
	b.s.t.Helper()
	a := b.get(path)
	if a.status != http.StatusOK {
		b.s.t.Fatalf("GET %s: status %d\n%s", path, a.status, text(a.body))
	}
	checkAccessible(b.s.t, path, a.body)
	v := url.Values{}
	for _, m := range hiddenPattern.FindAllStringSubmatch(a.body, -1) {
		if m[1] == "csrf_token" || m[1] == "idempotency_key" {
			v.Set(m[1], m[2])
		}
	}
	if v.Get("csrf_token") == "" || v.Get("idempotency_key") == "" {
		b.s.t.Fatalf("GET %s: the form carries no CSRF token or no Idempotency-Key", path)
	}
	return v
}

// submit opens the form at path and sends it with the values given.
func (b *browser) submit(path string, values url.Values) answer {
	b.s.t.Helper()
	v := b.open(path)
	for k, vs := range values {
		v[k] = vs
	}
	return b.do(http.MethodPost, path, v, nil)
}

// record submits a form that must be recorded: 303 to a page that shows
// it, which it then loads. It returns the page's path and its id (the
// last segment of the path).
func (b *browser) record(path string, values url.Values) (string, string, answer) {
	b.s.t.Helper()
	a := b.submit(path, values)
	if a.status != http.StatusSeeOther {
		b.s.t.Fatalf("POST %s: status %d, want 303\n%s", path, a.status, text(a.body))
	}
	loc := a.location()
	page := b.get(loc)
	if page.status != http.StatusOK {
		b.s.t.Fatalf("GET %s after POST %s: status %d\n%s", loc, path, page.status, text(page.body))
	}
	checkAccessible(b.s.t, loc, page.body)
	u, err := url.Parse(loc)
	if err != nil {
		b.s.t.Fatal(err)
	}
	segs := strings.Split(strings.TrimSuffix(u.Path, "/involvement"), "/")
	return u.Path, segs[len(segs)-1], page
}

// today is the day in the programme's zone, and days before it.
func day(daysAgo int) (string, string, string) {
	t := time.Now().In(projections.DefaultLocation()).AddDate(0, 0, -daysAgo)
	return t.Format("2"), t.Format("1"), t.Format("2006")
}

func dateValues(name string, daysAgo int) url.Values {
	d, m, y := day(daysAgo)
	return url.Values{name + "[day]": {d}, name + "[month]": {m}, name + "[year]": {y}}
}

func merge(vs ...url.Values) url.Values {
	out := url.Values{}
	for _, v := range vs {
		maps.Copy(out, v)
	}
	return out
}
