package app_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// TestReadsFindWhatWasRecorded records a small programme through the API
// and finds every id again through the read endpoints, each read waiting
// for the write before it (min_position), every exchange checked against
// the OpenAPI document.
func TestReadsFindWhatWasRecorded(t *testing.T) {
	_, a := startStack(t, t.TempDir())
	w := seed(t, a)
	last := a.post("/api/v1/actions/"+w.action+"/complete", map[string]any{"completed_on": time.Now().UTC().Format(time.DateOnly), "outcome": "A screen shows names"})
	if last.status != http.StatusOK {
		t.Fatalf("complete = %d: %s", last.status, last.body)
	}
	position := strconv.FormatUint(uint64(last.json(t)["position"].(float64)), 10)

	list := func(path string) []map[string]any {
		t.Helper()
		r := a.get(path + "&min_position=" + position)
		if r.status != http.StatusOK {
			t.Fatalf("GET %s = %d: %s", path, r.status, r.body)
		}
		var page struct {
			Items []map[string]any `json:"items"`
		}
		if err := json.Unmarshal(r.body, &page); err != nil {
			t.Fatal(err)
		}
		return page.Items
	}
	ids := func(items []map[string]any) []string {
		var out []string
		for _, it := range items {
			out = append(out, it["id"].(string))
		}
		return out
	}
	tests := []struct {
		path string
		want []string
	}{
		{"/api/v1/projects?programme=south%20tyneside", []string{w.project}},
		{"/api/v1/engagements?project=" + w.project, []string{w.engagement}},
		{"/api/v1/feedback?project=" + w.project, []string{w.feedback}},
		{"/api/v1/actions?state=completed&project=" + w.project, []string{w.action}},
		{"/api/v1/actions?state=open&project=" + w.project, nil},
		{"/api/v1/stakeholders?limit=10", []string{w.alice, w.bob}},
	}
	for _, tt := range tests {
		if got := ids(list(tt.path)); !equal(got, tt.want) {
			t.Errorf("GET %s ids = %v, want %v", tt.path, got, tt.want)
		}
	}

	p := a.get("/api/v1/projects/" + w.project + "?min_position=" + position)
	if p.status != http.StatusOK {
		t.Fatalf("GET project = %d: %s", p.status, p.body)
	}
	elements, _ := p.json(t)["elements"].([]any)
	if len(elements) != 1 || elements[0].(map[string]any)["id"] != w.element {
		t.Errorf("project elements = %v, want %s", elements, w.element)
	}
	if r := a.get("/api/v1/engagements/" + w.engagement); r.status != http.StatusOK {
		t.Errorf("GET engagement = %d: %s", r.status, r.body)
	}
	if r := a.get("/api/v1/openapi.json"); r.status != http.StatusOK || r.json(t)["openapi"] != "3.1.0" {
		t.Errorf("GET /api/v1/openapi.json = %d", r.status)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
