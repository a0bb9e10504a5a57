package app_test

import (
	"archive/zip"
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/together-coop/together/services/internal/auth"
)

// TestAnnualPackIsSuppressedForEveryone downloads the annual pack from
// the web page as an administrator, who sees exact counts in the API, and
// finds the programme's single piece of feedback, adopted, as "*"; a
// viewer may open the statutory reports' page and the pack's.
func TestAnnualPackIsSuppressedForEveryone(t *testing.T) {
	st, a := startStack(t, t.TempDir())
	w := seed(t, a)
	last := a.post("/api/v1/feedback/"+w.feedback+"/response", map[string]any{"influence": "adopted", "reason": "Screens are being fitted"})
	if last.status != http.StatusOK {
		t.Fatalf("respond = %d: %s", last.status, last.body)
	}
	position := strconv.FormatUint(uint64(last.json(t)["position"].(float64)), 10)
	exact := a.get("/api/v1/reports/influence?programme=South%20Tyneside&min_position=" + position)
	if exact.status != http.StatusOK || exact.json(t)["adopted"] != float64(1) {
		t.Fatalf("the administrator's influence report = %d: %s", exact.status, exact.body)
	}

	page := func(authorization, path string) (int, http.Header, []byte) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, a.base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", authorization)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res.StatusCode, res.Header, b
	}
	year := strconv.Itoa(time.Now().Year())
	choice := "?" + url.Values{"programme": {"South Tyneside"}, "year": {year}}.Encode()
	status, h, body := page(a.authorization, "/reports/annual-pack/spreadsheets"+choice)
	if status != http.StatusOK || h.Get("Content-Type") != "application/zip" {
		t.Fatalf("spreadsheets = %d %s: %.300s", status, h.Get("Content-Type"), body)
	}
	z, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	var influence string
	for _, f := range z.File {
		if f.Name == "south-tyneside/influence.csv" {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(rc)
			rc.Close()
			influence = string(b)
		}
	}
	if influence == "" {
		t.Fatalf("no south-tyneside/influence.csv in the zip")
	}
	if strings.Contains(influence, "exact") || !strings.Contains(influence, "all,,,,,*,*,") {
		t.Errorf("the pack's influence.csv is not suppressed:\n%s", influence)
	}

	_, viewer := a.token(st, auth.Viewer, "Viewer")
	for _, path := range []string{"/reports", "/reports/definitions", "/reports/annual-pack" + choice, "/reports/annual-pack/document" + choice} {
		if status, _, body := page(viewer.authorization, path); status != http.StatusOK {
			t.Errorf("a viewer's GET %s = %d: %.300s", path, status, body)
		}
	}
	if status, _, _ := page("", "/reports/annual-pack/document"+choice); status == http.StatusOK {
		t.Errorf("GET the pack's document without signing in = %d", status)
	}
}
