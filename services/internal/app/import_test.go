package app_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/together-coop/together/services/internal/importer"
	"github.com/together-coop/together/services/internal/importer/importapi"
)

// browser is a person at a browser: a session cookie, and the CSRF token
// the pages put in their forms.
type browser struct {
	t      *testing.T
	base   string
	client *http.Client
	csrf   string
}

func signIn(t *testing.T, a *api, role string) *browser {
	t.Helper()
	const password = "a long enough passphrase for tests"
	body, _ := json.Marshal(map[string]any{"username": "rita", "name": "Rita Recorder", "role": role, "password": password})
	req, _ := http.NewRequest(http.MethodPost, a.base+"/api/v1/users", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", a.authorization)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("add a user = %d", res.StatusCode)
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, base: a.base, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
	res, err = b.client.PostForm(a.base+"/sign-in", url.Values{"username": {"rita"}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in = %d", res.StatusCode)
	}
	page := b.get("/import")
	if page.status != http.StatusOK {
		t.Fatalf("GET /import = %d: %s", page.status, page.body)
	}
	m := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindSubmatch(page.body)
	if m == nil {
		t.Fatalf("the import page has no CSRF token:\n%s", page.body)
	}
	b.csrf = string(m[1])
	return b
}

func (b *browser) do(req *http.Request) response {
	b.t.Helper()
	req.Header.Set("Accept", "text/html")
	res, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: body}
}

func (b *browser) get(path string) response {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.base+path, nil)
	return b.do(req)
}

// form posts a form with the page's CSRF token (unless csrf is false).
func (b *browser) form(path string, csrf bool) response {
	b.t.Helper()
	v := url.Values{}
	if csrf {
		v.Set("csrf_token", b.csrf)
	}
	req, _ := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// upload sends a file to /import and follows to its review.
func (b *browser) upload(kind, name, content string, csrf bool) (string, response) {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if csrf {
		_ = mw.WriteField("csrf_token", b.csrf)
	}
	_ = mw.WriteField("kind", kind)
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = fw.Write([]byte(content))
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, b.base+"/import", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	r := b.do(req)
	if r.status != http.StatusSeeOther {
		return "", r
	}
	loc := r.header.Get("Location")
	return loc, b.get(loc)
}

func says(t *testing.T, r response, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if !strings.Contains(string(r.body), s) {
			t.Errorf("page %d does not say %q:\n%s", r.status, s, r.body)
		}
	}
}

// audit checks the audit log (read once: reads of the whole history are
// rate limited): the imported people registered once each, by the person
// signed in, with the import's keys, and no name in the clear. It
// returns the last position.
func audit(t *testing.T, a *api, want int, names ...string) uint64 {
	t.Helper()
	n, last := 0, uint64(0)
	for _, e := range a.events() {
		for _, name := range names {
			if strings.Contains(string(e.Payload), name) {
				t.Errorf("event %s holds %q in the clear", e.Type, name)
			}
		}
		if e.Type == "StakeholderRegistered" {
			n++
			if e.Idempotency == nil || !strings.HasPrefix(e.Idempotency.Key, "import/stakeholders/") || !strings.HasPrefix(e.Actor, "user:") {
				t.Errorf("imported event %s: key %+v, actor %q; want the import's key and the person signed in", e.ID, e.Idempotency, e.Actor)
			}
		}
		last = e.Position
	}
	if n != want {
		t.Errorf("%d stakeholders registered, want %d", n, want)
	}
	return last
}

// exists reports whether a stakeholder is recorded, from the store
// itself.
func exists(t *testing.T, a *api, id string) bool {
	t.Helper()
	r := a.get("/api/v1/stakeholders/" + id)
	if r.status != http.StatusOK && r.status != http.StatusNotFound {
		t.Fatalf("GET stakeholder %s = %d: %s", id, r.status, r.body)
	}
	return r.status == http.StatusOK
}

// ids returns the ids the rows of a stakeholders file are registered
// under.
func ids(t *testing.T, content string) []string {
	t.Helper()
	f, err := importer.Parse(importer.Stakeholders, []byte(content))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range f.Stakeholders {
		out = append(out, importapi.StakeholderID(s))
	}
	return out
}

// TestImportThroughThePages imports a spreadsheet as a recorder at a
// browser: upload, review, approve, and the same file again, recording
// nothing twice; then an attendance register of the people imported.
func TestImportThroughThePages(t *testing.T) {
	_, a := startStack(t, t.TempDir())
	b := signIn(t, a, "recorder")
	const people = "\ufeffName;Contact;Roles;Current experience;Recruitment channel\r\n" +
		"Ann Lee;ann@example.org;Service user;yes;advert\r\n" +
		"Ben Ode;;carer, public;no;word of mouth\r\n" +
		"Cat Roe;0191 000 0000;frontline_staff;no;staff_referral\r\n"
	names := []string{"Ann Lee", "Ben Ode", "Cat Roe", "ann@example.org"}

	// Without the session's CSRF token the upload is refused outright.
	if _, r := b.upload("stakeholders", "people.csv", people, false); r.status != http.StatusForbidden {
		t.Fatalf("upload without the CSRF token = %d, want 403", r.status)
	}
	// A file not in UTF-8 is refused with what to do about it.
	_, r := b.upload("stakeholders", "people.csv", "name,roles,current_experience,recruitment_channel\nSi\xe2n,carer,no,other\n", true)
	if r.status != http.StatusBadRequest {
		t.Fatalf("upload of Latin-1 = %d", r.status)
	}
	says(t, r, "The file is not UTF-8", "CSV UTF-8")

	// A row with a problem: the review says which, and approving
	// records nothing.
	loc, r := b.upload("stakeholders", "people.csv", strings.Replace(people, "staff_referral", "poster", 1), true)
	if r.status != http.StatusOK {
		t.Fatalf("review = %d: %s", r.status, r.body)
	}
	says(t, r, "2 new, 0 already recorded, 1 row with problems", `&#34;poster&#34; is not allowed`)
	if strings.Contains(string(r.body), "Approve and record") {
		t.Error("a file with problems can be approved")
	}
	if r := b.form(loc+"/approve", true); r.status != http.StatusConflict {
		t.Errorf("approving a file with problems = %d, want 409", r.status)
	}
	for _, id := range ids(t, strings.Replace(people, "staff_referral", "poster", 1)) {
		if exists(t, a, id) {
			t.Fatalf("stakeholder %s registered from a file with problems", id)
		}
	}

	loc, r = b.upload("stakeholders", "people.csv", people, true)
	says(t, r, "3 new, 0 already recorded, 0 rows with problems", "Approve and record")
	recorded := ids(t, people)
	for _, id := range recorded {
		if exists(t, a, id) {
			t.Fatalf("the review registered stakeholder %s", id)
		}
	}
	if r := b.form(loc+"/approve", false); r.status != http.StatusForbidden {
		t.Fatalf("approving without the CSRF token = %d, want 403", r.status)
	}
	r = b.form(loc+"/approve", true)
	if r.status != http.StatusOK {
		t.Fatalf("approve = %d: %s", r.status, r.body)
	}
	says(t, r, "Import finished", "3 recorded, 0 already recorded, 0 rows with problems")
	for _, id := range recorded {
		if !exists(t, a, id) {
			t.Fatalf("stakeholder %s was not registered", id)
		}
	}
	// The file is gone once approved.
	if r := b.get(loc); r.status != http.StatusNotFound {
		t.Errorf("the review after approving = %d, want 404", r.status)
	}

	// The same file again: all already recorded, nothing recorded twice.
	again, r := b.upload("stakeholders", "people (1).csv", people, true)
	says(t, r, "0 new, 3 already recorded, 0 rows with problems")
	if r := b.form(again+"/approve", true); r.status != http.StatusOK {
		t.Fatalf("approving the same file again = %d: %s", r.status, r.body)
	}

	// An attendance register of two of them and two people not named.
	ann, ben := recorded[0], recorded[1]
	project := a.post("/api/v1/projects", map[string]any{"programme": "North", "name": "Letters", "aim": "Clear letters", "lead": "Sam"}).id(t)
	yesterday := time.Now().UTC().AddDate(0, 0, -1)
	plan := a.post("/api/v1/engagements", map[string]any{"project_id": project, "title": "Workshop", "method": "workshop", "level": "consult",
		"scheduled_for": yesterday.Format(time.RFC3339)})
	engagement := plan.id(t)
	position := strconv.FormatFloat(plan.json(t)["position"].(float64), 'f', 0, 64)
	if r := a.get("/api/v1/engagements/" + engagement + "?min_position=" + position); r.status != http.StatusOK {
		t.Fatalf("GET the engagement = %d: %s", r.status, r.body)
	}
	day := yesterday.Format("02/01/2006")
	register := "engagement_id,held_on,stakeholder_id,unnamed_attendees\n" +
		engagement + "," + day + "," + ann + ",\n" + engagement + "," + day + "," + ben + ",2\n"
	loc, r = b.upload("attendance", "register.csv", register, true)
	says(t, r, "1 new, 0 already recorded, 0 rows with problems")
	r = b.form(loc+"/approve", true)
	says(t, r, "1 recorded, 0 already recorded, 0 rows with problems")
	// Three people registered, once each, whatever was imported twice.
	head := audit(t, a, 3, names...)
	got := a.get("/api/v1/engagements/" + engagement + "?min_position=" + strconv.FormatUint(head, 10)).json(t)
	if got["status"] != "held" || len(got["attendee_ids"].([]any)) != 2 || got["counts"].(map[string]any)["unnamed_attendees"] != 2.0 {
		t.Errorf("the engagement after the import = %v", got)
	}
	_, r = b.upload("attendance", "register.csv", register, true)
	says(t, r, "0 new, 1 already recorded, 0 rows with problems")
}

// TestImportNeedsRecorder refuses the import to a viewer.
func TestImportNeedsRecorder(t *testing.T) {
	st, a := startStack(t, t.TempDir())
	_, viewer := a.token(st, "viewer", "viewer")
	req, _ := http.NewRequest(http.MethodGet, a.base+"/import", nil)
	req.Header.Set("Authorization", viewer.authorization)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("GET /import as a viewer = %d, want 403", res.StatusCode)
	}
}
