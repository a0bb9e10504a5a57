package inproc_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/together-coop/together/services/internal/inproc"
)

func TestDoKeepsTheAnswer(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusConflict)
		w.WriteHeader(http.StatusOK) // ignored, as net/http does
		_, _ = io.WriteString(w, `{"title":"Conflict"}`)
	})
	req, _ := http.NewRequest(http.MethodGet, "/x", nil)
	res := inproc.Do(h, req)
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusConflict || res.Header.Get("Content-Type") != "application/problem+json" || string(body) != `{"title":"Conflict"}` {
		t.Errorf("Do = %d %q %s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	res = inproc.Do(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), req)
	if res.StatusCode != http.StatusOK {
		t.Errorf("Do of a handler that writes nothing = %d, want 200", res.StatusCode)
	}
}
