package web

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/together-coop/together/projections/historytest"
	"github.com/together-coop/together/services/internal/importer"
)

// TestWaitingImports checks what bounds the files waiting for review:
// only their owner finds them, they expire, and each person and everyone
// together have a limit.
func TestWaitingImports(t *testing.T) {
	now := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	wm := &waitingImports{opts: importOptions{ttl: 30 * time.Minute, perOwner: 2, total: 3}, now: func() time.Time { return now },
		m: map[string]*waitingImport{}}
	file := &importer.File{Kind: importer.Stakeholders}
	add := func(owner string) (string, error) { return wm.add(owner, &waitingImport{file: file}) }

	ann1, err := add("user:ann")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := wm.get("user:ben", ann1); ok {
		t.Error("someone else finds Ann's file")
	}
	if wi, ok := wm.get("user:ann", ann1); !ok || wi.file != file {
		t.Error("Ann does not find her file")
	}
	if _, err := add("user:ann"); err != nil {
		t.Fatal(err)
	}
	if _, err := add("user:ann"); !errors.Is(err, errTooManyWaiting) {
		t.Errorf("a third file of Ann's = %v, want errTooManyWaiting", err)
	}
	if _, err := add("user:ben"); err != nil {
		t.Fatal(err)
	}
	if _, err := add("user:cat"); !errors.Is(err, errTooManyWaiting) {
		t.Errorf("a fourth file in all = %v, want errTooManyWaiting", err)
	}
	wm.remove("user:ben", ann1) // not Ben's to remove
	if _, ok := wm.get("user:ann", ann1); !ok {
		t.Error("Ben removed Ann's file")
	}

	now = now.Add(30 * time.Minute)
	if _, ok := wm.get("user:ann", ann1); ok {
		t.Error("a file is found after it expired")
	}
	if _, err := add("user:cat"); err != nil {
		t.Errorf("adding once the others expired = %v", err)
	}
	if len(wm.m) != 1 {
		t.Errorf("%d files kept after the others expired, want 1", len(wm.m))
	}
}

func TestImportOptions(t *testing.T) {
	for name, opt := range map[string]ImportOption{
		"no time":            WithReviewLimits(0, 1, 1),
		"none per person":    WithReviewLimits(time.Minute, 0, 1),
		"total under person": WithReviewLimits(time.Minute, 3, 2),
	} {
		t.Run(name, func(t *testing.T) {
			var o importOptions
			if err := opt(&o); !errors.Is(err, ErrInvalidOption) {
				t.Errorf("option = %v, want ErrInvalidOption", err)
			}
		})
	}
}

// TestImportReviewRowWithoutID renders the review of a file with a bad
// row: the row has no id (nothing would be recorded from it), so its id
// cell says so instead of holding an empty code box.
func TestImportReviewRowWithoutID(t *testing.T) {
	l := historytest.Story().Ledger()
	site, err := New(&storyReports{l: l, now: now}, WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	im, err := NewImport(site, http.NotFoundHandler())
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/import/f1", nil)
	w := httptest.NewRecorder()
	im.render(w, r, http.StatusOK, "import-review", site.page(r, "Check the import", ImportReview{
		ID: "f1", Kind: "Stakeholders", Rows: 2, Summary: "1 new, 0 already recorded, 1 row with problems",
		Items: []ImportItem{
			{Rows: "2", ID: "0b7e5c1a-2f0e-4f8e-9a59-1c1d2e3f4a5b", Status: Tag{Content: Content{Text: "New"}}},
			{Rows: "3", Status: Tag{Content: Content{Text: "Problem"}}},
		},
	}))
	page := w.Body.String()
	if strings.Contains(page, "<code></code>") {
		t.Error("the row without an id has an empty code element")
	}
	if !strings.Contains(page, "<code>0b7e5c1a-2f0e-4f8e-9a59-1c1d2e3f4a5b</code>") {
		t.Error("the row with an id does not show it")
	}
	if !strings.Contains(page, `<span class="nhsuk-table__heading" aria-hidden="true">Id </span>None</td>`) {
		t.Error("the row without an id does not say it has none")
	}
}
