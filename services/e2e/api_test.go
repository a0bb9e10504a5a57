package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// api records through the JSON API with the recorder token, for what the
// web pages cannot record yet.
type api struct {
	t      testing.TB
	sys    *system
	client *http.Client
	// position is the highest store position a command answered.
	position uint64
}

func newAPI(t testing.TB, sys *system) *api {
	return &api{t: t, sys: sys, client: &http.Client{Timeout: 30 * time.Second}}
}

// post sends a command and returns the id it answers; anything but
// success fails the test.
func (a *api) post(path string, body any) string {
	a.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		a.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, a.sys.URL+path, bytes.NewReader(b))
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+a.sys.Token)
	res, err := a.client.Do(req)
	if err != nil {
		a.t.Fatalf("POST %s: %v", path, err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusCreated {
		a.t.Fatalf("POST %s = %d: %s", path, res.StatusCode, out)
	}
	var ans struct {
		ID       string `json:"id"`
		Position uint64 `json:"position"`
	}
	if err := json.Unmarshal(out, &ans); err != nil {
		a.t.Fatalf("POST %s: %v in %s", path, err, out)
	}
	a.position = max(a.position, ans.Position)
	return ans.ID
}

// sync returns once the reports (and so the web pages, which read them)
// reflect every command sent so far: the report endpoint waits for
// min_position rather than the test guessing how long that takes.
func (a *api) sync() {
	a.t.Helper()
	req, err := http.NewRequest(http.MethodGet, a.sys.URL+"/api/v1/reports/programme?min_position="+strconv.FormatUint(a.position, 10), nil)
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+a.sys.Token)
	res, err := a.client.Do(req)
	if err != nil {
		a.t.Fatalf("waiting for the reports: %v", err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		a.t.Fatalf("waiting for the reports to reach position %d = %d: %s", a.position, res.StatusCode, out)
	}
}
