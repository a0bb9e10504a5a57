package web

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/together-coop/together/projections/disclosure"
	"github.com/together-coop/together/projections/historytest"
	"github.com/together-coop/together/projections/ledger"
	"github.com/together-coop/together/projections/report"
	"github.com/together-coop/together/services/internal/audit"
)

// storyPacks computes the annual pack from the story's ledger as the app
// does: suppressed always, whoever asks.
type storyPacks struct{ l *ledger.Ledger }

func (s storyPacks) AnnualPack(_ *http.Request, programme string, year int) ([]audit.PackFile, error) {
	files, err := audit.ProgrammePack(s.l, programme, year, now, nil, disclosure.NHSEngland(), report.DefaultConfig())
	if errors.Is(err, audit.ErrNothingSelected) {
		return nil, errors.Join(err, ErrNotFound)
	}
	return files, err
}

func TestStatutoryPagesDump(t *testing.T) {
	srv, _ := newTestSite(t, WithPacks(storyPacks{historytest.Story().Ledger()}))
	for _, p := range []string{"/reports", "/reports?programme=North", "/reports/definitions", "/reports/annual-pack", "/reports/annual-pack?programme=North&year=2026"} {
		for _, exact := range []bool{true, false} {
			status, _, page := get(t, srv, p, exact)
			t.Logf("%s exact=%v %d\n%s", p, exact, status, text(page))
		}
	}
	_ = bytes.NewReader
	_ = zip.NewReader
	_ = io.ReadAll
	_ = cmp.Diff
	_ = strings.Contains
}
