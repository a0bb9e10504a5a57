package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptrace"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/together-coop/together/events/stakeholder"
	"github.com/together-coop/together/services/internal/app"
	"github.com/together-coop/together/services/internal/busauth"
	"github.com/together-coop/together/services/internal/keyring"
)

// The question a privacy review asks: can a crash at any moment of an erasure
// leave a person readable? Each round registers a fresh person, puts them
// everywhere free text can name them, sends their erasure and kills the
// server with SIGKILL at a point spread across the request (or right after
// its answer). Whatever was acknowledged must hold at once, on disk, before
// any restart repairs anything; whatever was not may be erased again. In
// the end nobody's name or contact is anywhere: not in the data directory,
// an export, an API answer or a log, and none of their sealed data opens.
func TestErasureSurvivesSIGKILL(t *testing.T) {
	bin := buildTogether(t)
	root := t.TempDir()
	dir, keyFile := filepath.Join(root, "data"), filepath.Join(root, "key")
	out, err := exec.Command(bin, "token", "create", "--data", dir, "--key-file", keyFile,
		"--role", "admin", "--name", "erasure crash test").Output()
	if err != nil {
		t.Fatalf("together token create: %v", err)
	}
	bearer := "Bearer " + strings.TrimSpace(string(out))
	kek, _, err := keyring.LoadOrCreateKeyFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	logs := &serverLog{}
	srv := startLogged(t, bin, dir, keyFile, logs)
	c := &apiClient{t: t, url: srv.url, bearer: bearer}

	project := c.id(c.post("/api/v1/projects", map[string]any{"programme": "Erasure crash", "name": "Waiting room", "aim": "quieter", "lead": "ops"}))
	element := c.id(c.post("/api/v1/projects/"+project+"/elements", map[string]any{"name": "Reception"}))
	w := &world{project: project, element: element}

	// Somebody who is never erased: what the test must find about them
	// shows that its searches and its opening of sealed data can find.
	control := newPerson(t, "control")
	w.use(c, control)

	// Three erasures run to their answer undisturbed; the quickest says
	// over what span to spread the kills (the first is slowed by what a
	// fresh start still warms up).
	var people []*person
	var span time.Duration
	for i := range 3 {
		p := newPerson(t, fmt.Sprintf("undisturbed %d", i))
		w.use(c, p)
		began := time.Now()
		if st, body := c.post("/api/v1/stakeholders/"+p.id+"/erase", map[string]any{"reason": p.erasureReason()}); st != http.StatusOK {
			t.Fatalf("erasing %s = %d: %s", p.id, st, body)
		}
		if d := time.Since(began); span == 0 || d < span {
			span = d
		}
		p.acked, p.keyState = true, "not killed"
		people = append(people, p)
	}
	t.Logf("an undisturbed erasure took %v", span)

	const rounds = 10
	for round := range rounds {
		p := newPerson(t, fmt.Sprintf("round %d", round))
		w.use(c, p)
		// Rounds 0..rounds-2 kill from 0 to 1.5 times the measured span
		// after the request was written; the last kills right after the
		// answer.
		var delay time.Duration
		afterAnswer := round == rounds-1
		if !afterAnswer {
			delay = time.Duration(int64(span) * 3 * int64(round) / int64(2*(rounds-2)))
		}
		p.acked = eraseAndKill(t, srv, c, p, delay, afterAnswer)
		people = append(people, p)
		p.keyState = checkKeysOnDisk(t, dir, kek, p)
		t.Logf("round %d: killed %v after writing the request (after the answer: %v)", round, delay, afterAnswer)
		srv = startLogged(t, bin, dir, keyFile, logs)
		c.url = srv.url
	}

	// After the last restart: an acknowledged erasure shows; any other
	// person may be erased again, and then shows erased too.
	for _, p := range people {
		st, body := c.get("/api/v1/stakeholders/" + p.id)
		var rec struct {
			Erased bool `json:"erased"`
		}
		if st == http.StatusOK {
			if err := json.Unmarshal(body, &rec); err != nil {
				t.Fatalf("GET stakeholder %s: %v: %s", p.id, err, body)
			}
		}
		if p.acked && !rec.Erased {
			t.Errorf("%s: erasure acknowledged, but after the crash GET = %d: %s", p.label, st, body)
		}
		t.Logf("%s: acknowledged %v; after the restart GET = %d, erased %v; key on disk at the kill: %s", p.label, p.acked, st, rec.Erased, p.keyState)
		if rec.Erased {
			continue
		}
		if st, body := c.post("/api/v1/stakeholders/"+p.id+"/erase", map[string]any{"reason": p.erasureReason()}); st != http.StatusOK {
			t.Errorf("%s: erasing again after an unacknowledged erasure = %d: %s", p.label, st, body)
			continue
		}
		p.erasedAgain = true
		if st, body := c.get("/api/v1/stakeholders/" + p.id); st != http.StatusOK || !bytes.Contains(body, []byte(`"erased":true`)) {
			t.Errorf("%s: after erasing again GET = %d: %s", p.label, st, body)
		}
	}

	// Every answer about them: the people, the lists, the audit log and
	// every report, as JSON and CSV.
	var answers [][]byte
	keep := func(path string) {
		st, body := c.get(path)
		if st >= 500 || st == http.StatusBadRequest {
			t.Errorf("GET %s = %d: %s", path, st, body)
		}
		answers = append(answers, []byte(path+"\n"), body)
	}
	// The reads wait until they reflect the last event, the last erasure.
	history := c.events()
	var head struct {
		Position uint64 `json:"position"`
	}
	if err := json.Unmarshal(history[len(history)-1], &head); err != nil || head.Position == 0 {
		t.Fatalf("last event %s: %v", history[len(history)-1], err)
	}
	upTo := fmt.Sprintf("min_position=%d", head.Position)
	for _, p := range append([]*person{control}, people...) {
		keep("/api/v1/stakeholders/" + p.id)
		keep("/api/v1/stakeholders/" + p.id + "/certificate")
		keep("/api/v1/engagements/" + p.engagement)
		keep("/api/v1/feedback/" + p.feedback)
	}
	for _, list := range []string{"stakeholders", "engagements", "feedback", "actions", "projects", "projects/" + project} {
		keep("/api/v1/" + list + "?" + upTo)
	}
	for _, r := range []string{"participation", "follow-through", "decisions", "programme", "duty", "influence", "representativeness", "reach", "reciprocity"} {
		keep("/api/v1/reports/" + r + "?" + upTo)
		keep("/api/v1/reports/" + r + "?format=csv&" + upTo)
		keep("/api/v1/reports/" + r + "?project=" + project + "&" + upTo)
	}
	answers = append(answers, history...)
	if st, body := c.get("/api/v1/stakeholders/" + control.id); st != http.StatusOK || !bytes.Contains(body, []byte(control.name)) ||
		!bytes.Contains(body, []byte(control.contact)) || !bytes.Contains(body, []byte(control.note())) {
		t.Errorf("the control person is not shown with their name, contact and note: %d %s", st, body)
	}
	for _, p := range people {
		for _, a := range answers {
			p.mustNotContain(t, "an API answer", a)
		}
		if n := countErased(t, history, p.id); n != 1 {
			t.Errorf("%s: %d StakeholderErased events in the history, want 1", p.label, n)
		}
	}
	sealed := sealedByKey(t, history)
	for _, p := range append([]*person{control}, people...) {
		// PII, demographics, the support need's note, the answer's
		// reason and the feedback's summary; the erasure's reason when
		// it was sealed before the key went.
		if n := len(sealed[p.id]); n < 5 {
			t.Errorf("%s: %d values sealed under their key in the history, want at least 5", p.label, n)
		}
	}

	// Stop it cleanly, then read what it logged, export the history, and
	// open the key stream and the data directory themselves.
	stopGracefully(t, srv)
	for _, p := range append([]*person{control}, people...) {
		p.mustNotContain(t, "the server's log", logs.bytes())
	}
	exportDir := filepath.Join(root, "export")
	if out, err := exec.Command(bin, "export", "--data", dir, "--key-file", keyFile, "--out", exportDir).CombinedOutput(); err != nil {
		t.Fatalf("together export: %v\n%s", err, out)
	}
	exported := readTree(t, exportDir)
	if len(exported) == 0 {
		t.Fatal("the export holds no file")
	}
	for _, p := range people {
		for name, b := range exported {
			p.mustNotContain(t, "the export's "+name, b)
		}
	}

	ctx := context.Background()
	nc, closeNATS, err := app.OpenStopped(dir, kek, busauth.Stakeholders)
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range people {
		if s := keyMessages(t, js, p.id); s != keyTombstoneOnly {
			t.Errorf("%s: after the restart the key stream holds %s for them, want only the tombstone", p.label, s)
		}
	}
	keys, err := keyring.New(ctx, js, kek)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range people {
		for _, s := range sealed[p.id] {
			if plain, err := keys.Open(ctx, p.id, s); !errors.Is(err, keyring.ErrKeyDestroyed) {
				t.Errorf("%s: sealed data opened after erasure: %q, %v", p.label, plain, err)
				break
			}
		}
	}
	opened := 0
	for _, s := range sealed[control.id] {
		plain, err := keys.Open(ctx, control.id, s)
		if err != nil {
			t.Errorf("the control person's sealed data does not open: %v", err)
		}
		if bytes.Contains(plain, []byte(control.family)) {
			opened++
		}
	}
	if opened < 4 { // PII, note, reason, summary all name them
		t.Errorf("%d of the control person's sealed values name them, want at least 4", opened)
	}
	closeNATS()

	files := readTree(t, dir)
	if len(files) == 0 {
		t.Fatal("the data directory holds no file")
	}
	for _, p := range people {
		for name, b := range files {
			p.mustNotContain(t, "data file "+name, b)
		}
	}
	unacked := 0
	for _, p := range people {
		if !p.acked {
			unacked++
		}
	}
	t.Logf("%d erasures, %d of them cut short by SIGKILL; %d files in the data directory, %d in the export, %d KiB of logs searched",
		len(people), unacked, len(files), len(exported), len(logs.bytes())/1024)
}

// world is what every round's person takes part in.
type world struct{ project, element string }

// person is one stakeholder the test registers and erases.
type person struct {
	label, id, name, family, contact string
	engagement, feedback             string
	acked, erasedAgain               bool
	keyState                         string
}

func newPerson(t *testing.T, label string) *person {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	family := "Quarrendonvex" + hex.EncodeToString(b)
	return &person{label: label, name: "Ottoline " + family, family: family, contact: "ottoline." + hex.EncodeToString(b) + "@erasure-crash.example"}
}

// The free text about p: each names them, as such text does.
func (p *person) note() string   { return p.name + " needs a hearing loop; her neighbour drives her" }
func (p *person) reason() string { return p.name + " can only come after her dialysis" }
func (p *person) summary() string {
	return p.name + " said the room was too loud to hear her name called"
}
func (p *person) erasureReason() string {
	return "Right to erasure request from " + p.name + ", " + p.contact
}

// use registers p and puts them in every place free text can name them:
// a support need's note, an invitation answered with a reason, named
// feedback with a summary, and the register of an engagement held.
func (w *world) use(c *apiClient, p *person) {
	t := c.t
	t.Helper()
	p.id = c.id(c.post("/api/v1/stakeholders", map[string]any{"name": p.name, "contact": p.contact,
		"roles": []string{"service_user"}, "current_experience": true, "recruitment_channel": "community_organisation"}))
	c.ok(c.post("/api/v1/stakeholders/"+p.id+"/demographics", map[string]any{"age_band": "35_44", "disability": "yes"}))
	c.ok(c.post("/api/v1/stakeholders/"+p.id+"/support-needs", map[string]any{"need": "accessibility", "note": p.note()}))
	c.ok(c.post("/api/v1/stakeholders/"+p.id+"/consent", map[string]any{"scope": "quotes"}))
	day := time.Now().UTC().AddDate(0, 0, -7)
	p.engagement = c.id(c.post("/api/v1/engagements", map[string]any{"project_id": w.project, "element_ids": []string{w.element},
		"title": "Waiting room workshop", "method": "workshop", "level": "co_design", "scheduled_for": day.Format(time.RFC3339)}))
	c.ok(c.post("/api/v1/engagements/"+p.engagement+"/invitations", map[string]any{"stakeholder_id": p.id, "channel": "email"}))
	c.ok(c.post("/api/v1/engagements/"+p.engagement+"/answers", map[string]any{"stakeholder_id": p.id, "accepted": true, "reason": p.reason()}))
	c.ok(c.post("/api/v1/engagements/"+p.engagement+"/held", map[string]any{"held_on": day.Format(time.DateOnly), "attendee_ids": []string{p.id}, "unnamed_attendees": 2}))
	c.ok(c.post("/api/v1/engagements/"+p.engagement+"/support", map[string]any{"stakeholder_id": p.id, "kind": "travel", "amount_pence": 450}))
	p.feedback = c.id(c.post("/api/v1/feedback", map[string]any{"project_id": w.project, "engagement_id": p.engagement, "element_id": w.element,
		"stakeholder_id": p.id, "channel": "engagement", "sentiment": "negative", "themes": []string{"noise"}, "summary": p.summary()}))
}

// eraseAndKill sends p's erasure and kills the server delay after the
// request was written, or right after the answer; it reports whether the
// erasure was acknowledged.
func eraseAndKill(t *testing.T, srv *server, c *apiClient, p *person, delay time.Duration, afterAnswer bool) bool {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"reason": p.erasureReason()})
	wrote := make(chan struct{})
	ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { close(wrote) },
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url+"/api/v1/stakeholders/"+p.id+"/erase", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", c.bearer)
	acked := make(chan bool, 1)
	go func() {
		// A fresh connection each time: the kill must not find the
		// request waiting for one.
		client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		res, err := client.Do(req)
		if err != nil {
			acked <- false
			return
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK && res.StatusCode < 500 {
			t.Errorf("%s: erase = %d: %s", p.label, res.StatusCode, b)
		}
		acked <- res.StatusCode == http.StatusOK
	}()
	var ok bool
	if afterAnswer {
		ok = <-acked
	} else {
		<-wrote
		time.Sleep(delay)
	}
	srv.kill(t)
	if !afterAnswer {
		ok = <-acked
	}
	return ok
}

const keyTombstoneOnly = "only the tombstone"

// checkKeysOnDisk reads the key stream of the killed server as the crash
// left it, before any start repairs it, and requires that an acknowledged
// erasure left nothing of the key: its subject holds the tombstone alone.
func checkKeysOnDisk(t *testing.T, dir string, kek keyring.KEK, p *person) string {
	t.Helper()
	nc, closeFn, err := app.OpenStopped(dir, kek, busauth.Stakeholders)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	s := keyMessages(t, js, p.id)
	if p.acked && s != keyTombstoneOnly {
		t.Errorf("%s: erasure acknowledged, but the key stream holds %s for them when the server died", p.label, s)
	}
	return s
}

// keyMessages describes what the key stream holds for id, reading its
// messages directly (the keyring would finish an interrupted destruction).
func keyMessages(t *testing.T, js jetstream.JetStream, id string) string {
	t.Helper()
	ctx := context.Background()
	s, err := js.Stream(ctx, keyring.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	subj := "keys." + id
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(subj))
	if err != nil {
		t.Fatal(err)
	}
	n := info.State.Subjects[subj]
	if n == 0 {
		return "no message"
	}
	last, err := s.GetLastMsgForSubject(ctx, subj)
	if err != nil {
		t.Fatal(err)
	}
	// What keyring.Destroy writes in place of a key.
	tomb := bytes.Equal(last.Data, []byte("destroyed"))
	switch {
	case n == 1 && tomb:
		return keyTombstoneOnly
	case tomb:
		return fmt.Sprintf("a tombstone with %d earlier messages (a key not yet overwritten)", n-1)
	default:
		return fmt.Sprintf("a key (%d messages)", n)
	}
}

// mustNotContain fails if b holds p's name, family name or contact in
// the clear, in hex or in base64 at any alignment.
func (p *person) mustNotContain(t *testing.T, where string, b []byte) {
	t.Helper()
	for _, s := range []string{p.name, p.family, p.contact} {
		for _, form := range forms(s) {
			if bytes.Contains(b, []byte(form)) {
				t.Errorf("%s (%s, erased: acknowledged %v, again %v): %s holds %q (a form of %q)", p.label, p.id, p.acked, p.erasedAgain, where, form, s)
				return
			}
		}
	}
}

// forms returns s as it may be stored: itself, in hex, and the part of
// its base64 (standard and URL alphabets) that does not depend on the
// bytes around it, at each of the three alignments.
func forms(s string) []string {
	out := []string{s, hex.EncodeToString([]byte(s)), strings.ToUpper(hex.EncodeToString([]byte(s)))}
	for off := range 3 {
		enc := base64.StdEncoding.EncodeToString(append(make([]byte, off), s...))
		from, to := (off+2)/3*4, (off+len(s))/3*4
		mid := enc[from:to]
		out = append(out, mid, strings.NewReplacer("+", "-", "/", "_").Replace(mid))
	}
	return out
}

// countErased counts the StakeholderErased events of id in the audit log.
func countErased(t *testing.T, history [][]byte, id string) int {
	t.Helper()
	n := 0
	for _, line := range history {
		var e struct {
			Type   string `json:"type"`
			Stream string `json:"stream"`
		}
		if err := json.Unmarshal(line, &e); err != nil {
			t.Fatalf("audit log line %q: %v", line, err)
		}
		if e.Type == stakeholder.TypeErased && e.Stream == stakeholder.StreamPrefix+id {
			n++
		}
	}
	return n
}

// sealedByKey finds every sealed value in the history's payloads, by the
// id of the key it is sealed under.
func sealedByKey(t *testing.T, history [][]byte) map[string][]stakeholder.Sealed {
	t.Helper()
	found := map[string][]stakeholder.Sealed{}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if id, ok := v["key_id"].(string); ok {
				b, _ := json.Marshal(v)
				var s stakeholder.Sealed
				if err := json.Unmarshal(b, &s); err != nil {
					t.Fatalf("sealed value %s: %v", b, err)
				}
				found[id] = append(found[id], s)
				return
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	for _, line := range history {
		var e struct {
			Payload json.RawMessage `json:"payload"`
		}
		if err := json.Unmarshal(line, &e); err != nil {
			t.Fatalf("audit log line %q: %v", line, err)
		}
		var v any
		if err := json.Unmarshal(e.Payload, &v); err != nil {
			t.Fatalf("payload %s: %v", e.Payload, err)
		}
		walk(v)
	}
	return found
}

// readTree reads every regular file under dir.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		files[rel] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// serverLog keeps everything every run of the server wrote, and spots the
// line that says it is ready.
type serverLog struct {
	mu    sync.Mutex
	all   []byte
	line  []byte
	ready chan string
}

func (l *serverLog) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.all = append(l.all, b...)
	l.line = append(l.line, b...)
	for {
		i := bytes.IndexByte(l.line, '\n')
		if i < 0 {
			break
		}
		var line struct {
			URL string `json:"url"`
		}
		if json.Unmarshal(l.line[:i], &line) == nil && line.URL != "" && l.ready != nil {
			select {
			case l.ready <- line.URL:
			default:
			}
		}
		l.line = l.line[i+1:]
	}
	return len(b), nil
}

func (l *serverLog) bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.all)
}

type server struct {
	cmd  *exec.Cmd
	url  string
	done bool
}

// startLogged runs `together serve` on dir, its output kept in logs, and
// returns once it said it is ready.
func startLogged(t *testing.T, bin, dir, keyFile string, logs *serverLog) *server {
	t.Helper()
	ready := make(chan string, 1)
	logs.mu.Lock()
	logs.ready, logs.line = ready, nil
	logs.mu.Unlock()
	cmd := exec.Command(bin, "serve", "--data", dir, "--http", "127.0.0.1:0", "--key-file", keyFile)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd}
	t.Cleanup(func() {
		if !s.done {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	select {
	case s.url = <-ready:
		return s
	case <-time.After(30 * time.Second):
		t.Fatalf("together serve did not log that it was ready:\n%s", logs.bytes())
	}
	return nil
}

func (s *server) kill(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = s.cmd.Wait()
	s.done = true
}

func stopGracefully(t *testing.T, s *server) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Wait(); err != nil {
		t.Fatalf("together serve after SIGTERM: %v", err)
	}
	s.done = true
}

// apiClient calls the API as the admin.
type apiClient struct {
	t           *testing.T
	url, bearer string
}

func (c *apiClient) do(method, path string, body any) (int, []byte) {
	c.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.url+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", c.bearer)
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	return res.StatusCode, b
}

func (c *apiClient) get(path string) (int, []byte) {
	c.t.Helper()
	return c.do(http.MethodGet, path, nil)
}

func (c *apiClient) post(path string, body any) (int, []byte) {
	c.t.Helper()
	return c.do(http.MethodPost, path, body)
}

func (c *apiClient) ok(status int, body []byte) {
	c.t.Helper()
	if status != http.StatusOK && status != http.StatusCreated {
		c.t.Fatalf("answer %d: %s", status, body)
	}
}

func (c *apiClient) id(status int, body []byte) string {
	c.t.Helper()
	c.ok(status, body)
	var a struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &a); err != nil || a.ID == "" {
		c.t.Fatalf("answer without an id: %s", body)
	}
	return a.ID
}

// events reads the whole audit log, one line per event.
func (c *apiClient) events() [][]byte {
	c.t.Helper()
	var lines [][]byte
	after := "0"
	for {
		req, _ := http.NewRequest(http.MethodGet, c.url+"/api/v1/events?limit=1000&after="+after, nil)
		req.Header.Set("Authorization", c.bearer)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			c.t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			c.t.Fatalf("GET /api/v1/events = %d: %s", res.StatusCode, b)
		}
		if len(bytes.TrimSpace(b)) == 0 {
			return lines
		}
		lines = append(lines, bytes.Split(bytes.TrimSpace(b), []byte("\n"))...)
		if after = res.Trailer.Get("Next-After"); after == "" {
			c.t.Fatal("audit log page without its Next-After trailer: cut short")
		}
	}
}
