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
	"github.com/together-coop/together/projections/representativeness"
	"github.com/together-coop/together/services/internal/audit"
)

// storyConfig is how the story's reports are computed: the story's
// demographics opened as the stakeholder service would, against an
// area's baseline.
func storyConfig() report.Config {
	c := report.DefaultConfig()
	c.Demographics = historytest.Open
	c.Baseline = representativeness.Baseline{Area: "North Tyneside", Source: "Census 2021",
		Ethnicity:         map[string]float64{"White British": 0.85, "Pakistani": 0.05, "Other": 0.10},
		Disability:        map[string]float64{"yes": 0.22, "no": 0.78},
		DeprivationDecile: map[string]float64{"1": 0.15, "2": 0.15, "3": 0.1, "4": 0.1, "5": 0.1, "6": 0.1, "7": 0.1, "8": 0.1, "9": 0.05, "10": 0.05}}
	return c
}

// storyPacks computes the annual pack from the story's ledger as the app
// does: suppressed always, whoever asks.
type storyPacks struct{ l *ledger.Ledger }

func (s storyPacks) AnnualPack(_ *http.Request, programme string, year int) ([]audit.PackFile, error) {
	files, err := audit.ProgrammePack(s.l, programme, year, now, nil, disclosure.NHSEngland(), storyConfig())
	if errors.Is(err, audit.ErrNothingSelected) {
		return nil, errors.Join(err, ErrNotFound)
	}
	return files, err
}

func TestStatutoryPages(t *testing.T) {
	srv, _ := newTestSite(t, WithPacks(storyPacks{historytest.Story().Ledger()}))
	tests := []pageCase{
		{
			name: "duty to involve, everything, exact", path: "/reports", exact: true, status: http.StatusOK,
			want: []string{"Duty to involve: All programmes", "as the system knew it now (31 March 2026, 11:00)",
				// duty
				"Projects 3", "Assessed 2", "The duty applies 1", "The duty does not apply 1", "Not assessed 1", "Need an assessment now 1",
				"Waiting: 0 involvement decisions and 1 engagement in the period, but no assessment of whether the duty to involve applies.",
				"Letters (North) The duty applies s14Z45 Programme office 2 March 2026 assessed for p-letters 3 2",
				"Waiting (North) Not assessed 0 1",
				// influence
				"Feedback 4", "Adopted 1", "Partly adopted 1", "Not adopted 1", "No response yet 1", "Median days to a response 4 days",
				"Letters 3 1 1 1 0 4", "Letters Letter template Not adopted Budget not approved 10 March 2026 1",
				// representativeness
				"The area is North Tyneside (Census 2021).", "From the most deprived fifth of areas (Core20) 67%",
				"Pakistani 1 33% 5%", "White British 2 67% 85% −18 points", "1 (most deprived) 1 33% 15%",
				"Prefer not to say 1 Not recorded 2", "65 to 74 1 50%",
				// reach
				"Invited 5", "Accepted 2", "Came 3", "Gave feedback 2", "Heard back 1",
				"Everyone 5 2 3 2 1", "With lived experience 3 2 2 2 1", "Service users 2 1 1 1 1",
				// reciprocity
				"Support given 3", "People supported 3", "Total paid £49.50", "Needs not met 2",
				"2 of 2 people with a support need came to an engagement and were given no support there.",
				"Travel 1 £4.50", "Childcare 1 £20.00", "Payment 1 £25.00", "Service users 2 2 £29.50", "Letters 3 3 £49.50 1",
				"Download the annual involvement pack"},
			html: []string{`href="/api/v1/reports/duty?format=csv"`, `href="/api/v1/reports/influence?format=csv"`,
				`href="/api/v1/reports/representativeness?format=csv"`, `href="/api/v1/reports/reach?format=csv"`,
				`href="/api/v1/reports/reciprocity?format=csv"`, `href="/reports/definitions#reach"`, `href="/reports/annual-pack"`,
				`Core20 gap against the area</h3>`, `&#43;37 points`, `aria-labelledby="reach-chart-title reach-chart-desc"`,
				`<th class="nhsuk-table__header" scope="row" role="rowheader">`, `href="/projects/p-waiting"`},
			not: []string{"*", "Counts are rounded"},
		},
		{
			name: "duty to involve, as published", path: "/reports", status: http.StatusOK,
			want: []string{"Counts are rounded to the nearest 5 and a count from 1 to 7 is shown as *",
				"A * stands for a count from 1 to 7", "Projects 3", "Feedback *", "Invited *", "Everyone * * * * *",
				"Total paid *", "White British * * 85% *", "Not recorded *"},
			html: []string{`href="/reports/definitions#suppressed"`},
			not:  []string{"£49.50", "67%", "Invited 5"},
		},
		{
			name: "duty to involve of a programme for a month", path: "/reports?programme=South&from%5Bday%5D=1&from%5Bmonth%5D=3&from%5Byear%5D=2026&to%5Bday%5D=31&to%5Bmonth%5D=3&to%5Byear%5D=2026", exact: true, status: http.StatusOK,
			want: []string{"Duty to involve: Programme South", "1 March 2026 to 31 March 2026", "Projects 1", "The duty does not apply 1",
				"Parking (South) The duty does not apply not a change to services"},
			html: []string{`href="/api/v1/reports/reach?format=csv&amp;from=2026-03-01&amp;programme=South&amp;to=2026-04-01"`,
				`<option value="South" selected>South</option>`},
			not: []string{"Letters", "Waiting"},
		},
		{
			name: "duty to involve of a programme nobody knows", path: "/reports?programme=Nowhere", status: http.StatusBadRequest,
			want: []string{"There is a problem", "There is no programme called Nowhere at that time"},
			html: []string{`<a href="#programme">`},
			not:  []string{"Need an assessment now"},
		},
		{
			name: "duty to involve with a date that is not a date", path: "/reports?to%5Bday%5D=1&to%5Bmonth%5D=13&to%5Byear%5D=2026", status: http.StatusBadRequest,
			want: []string{"There is a problem", "The end of the period must be a real date"},
			html: []string{`<a href="#to-day">`},
		},
		{
			name: "definitions", path: "/reports/definitions", status: http.StatusOK,
			want: []string{"What the figures mean", "Need an assessment now Projects with no decision on the duty",
				"Median days to a response Half of the feedback", "Core20", "Heard back Of those who gave feedback",
				"Needs not met Of them, people who were given no support", "Counts are rounded to the nearest 5"},
			html: []string{`<h2 class="nhsuk-heading-l" id="reach">`, `id="suppressed"`, `id="duty_flagged"`},
		},
		{
			name: "annual pack, nothing chosen", path: "/reports/annual-pack", exact: true, status: http.StatusOK,
			want: []string{"Annual involvement pack", "small numbers are always suppressed", "Choose a programme North South"},
			html: []string{`name="year" type="text" value="2025"`, `<label class="nhsuk-label nhsuk-label--s" for="year">`},
			not:  []string{"Download the printable document"},
		},
		{
			name: "annual pack chosen", path: "/reports/annual-pack?programme=north&year=2026", status: http.StatusOK,
			want: []string{"Download the pack of North for 2026", "Download the printable document (HTML)",
				"Download every report as a spreadsheet (CSV files in a zip)"},
			html: []string{`href="/reports/annual-pack/document?programme=North&amp;year=2026"`,
				`href="/reports/annual-pack/spreadsheets?programme=North&amp;year=2026"`, `<option value="North" selected>North</option>`},
		},
		{
			name: "annual pack with errors", path: "/reports/annual-pack?programme=Nowhere&year=26", status: http.StatusBadRequest,
			want: []string{"There is a problem", "There is no programme called Nowhere", "The year must be 4 digits, like 2025"},
			html: []string{`<a href="#programme">`, `<a href="#year">`},
			not:  []string{"Download the printable document"},
		},
		{
			name: "annual pack of a year to come", path: "/reports/annual-pack?programme=North&year=2027", status: http.StatusBadRequest,
			want: []string{"The year must be this year or in the past"},
		},
		{
			name: "annual pack download that no longer works", path: "/reports/annual-pack/spreadsheets?programme=West&year=2026", status: http.StatusBadRequest,
			want: []string{"There is no programme called West"},
		},
		{
			name: "overview links the duty to involve", path: "/?programme=North", exact: true, status: http.StatusOK,
			html: []string{`href="/reports?programme=North"`},
		},
	}
	checkPages(t, srv, tests)
}

// TestAnnualPackDownloads checks that the document and the spreadsheets
// downloaded are the pack's files, byte for byte, as attachments.
func TestAnnualPackDownloads(t *testing.T) {
	l := historytest.Story().Ledger()
	srv, _ := newTestSite(t, WithPacks(storyPacks{l}))
	want, err := audit.ProgrammePack(l, "North", 2026, now, nil, disclosure.NHSEngland(), storyConfig())
	if err != nil {
		t.Fatal(err)
	}
	wantCSV := map[string]string{}
	var wantDoc string
	for _, f := range want {
		if strings.HasSuffix(f.Path, ".csv") {
			wantCSV[f.Path] = string(f.Data)
		} else {
			wantDoc = string(f.Data)
		}
	}
	if len(wantCSV) != len(report.All()) || wantDoc == "" {
		t.Fatalf("the pack has %d spreadsheets and a document of %d bytes", len(wantCSV), len(wantDoc))
	}

	t.Run("document", func(t *testing.T) {
		status, h, body := get(t, srv, "/reports/annual-pack/document?programme=North&year=2026", false)
		if status != http.StatusOK {
			t.Fatalf("status %d: %s", status, text(body))
		}
		if got := h.Get("Content-Disposition"); got != `attachment; filename="north-involvement-2026.html"` {
			t.Errorf("Content-Disposition %q", got)
		}
		if got := h.Get("Content-Type"); got != "text/html; charset=utf-8" {
			t.Errorf("Content-Type %q", got)
		}
		if got := h.Get("Content-Security-Policy"); !strings.HasPrefix(got, "sandbox;") {
			t.Errorf("Content-Security-Policy %q, want a sandbox", got)
		}
		if diff := cmp.Diff(wantDoc, body); diff != "" {
			t.Errorf("document (-pack +downloaded):\n%s", diff)
		}
		for _, w := range []string{"North", "2026"} {
			if !strings.Contains(body, w) {
				t.Errorf("the document does not say %q", w)
			}
		}
	})
	t.Run("spreadsheets", func(t *testing.T) {
		status, h, body := get(t, srv, "/reports/annual-pack/spreadsheets?programme=North&year=2026", false)
		if status != http.StatusOK {
			t.Fatalf("status %d: %s", status, text(body))
		}
		if got := h.Get("Content-Disposition"); got != `attachment; filename="north-involvement-2026.zip"` {
			t.Errorf("Content-Disposition %q", got)
		}
		if got := h.Get("Content-Type"); got != "application/zip" {
			t.Errorf("Content-Type %q", got)
		}
		z, err := zip.NewReader(bytes.NewReader([]byte(body)), int64(len(body)))
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, f := range z.File {
			if !f.Modified.Equal(now) {
				t.Errorf("%s modified %s, want %s", f.Name, f.Modified, now)
			}
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			got[f.Name] = string(b)
		}
		if diff := cmp.Diff(wantCSV, got); diff != "" {
			t.Errorf("spreadsheets (-pack +zip):\n%s", diff)
		}
		// Suppressed, whoever asks: the reach of North is hidden.
		if !strings.Contains(got["north/reach.csv"], "*") {
			t.Errorf("north/reach.csv has no suppressed count:\n%s", got["north/reach.csv"])
		}
	})
}

// TestWithoutPacks checks that a site without packs neither serves nor
// links the annual pack.
func TestWithoutPacks(t *testing.T) {
	srv, _ := newTestSite(t)
	if status, _, _ := get(t, srv, "/reports/annual-pack", true); status != http.StatusNotFound {
		t.Errorf("GET /reports/annual-pack: status %d, want 404", status)
	}
	status, _, page := get(t, srv, "/reports", true)
	if status != http.StatusOK || strings.Contains(page, "annual-pack") {
		t.Errorf("GET /reports: status %d, links the pack: %v", status, strings.Contains(page, "annual-pack"))
	}
	if _, err := New(&storyReports{}, WithPacks(nil)); !errors.Is(err, ErrInvalidOption) {
		t.Errorf("WithPacks(nil): err = %v", err)
	}
}

func TestGapAndMoney(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{gapText(Ratio{V: -0.183}), "−18 points"}, {gapText(Ratio{V: 0.004}), "0 points"}, {gapText(Ratio{V: -0.004}), "0 points"},
		{gapText(Ratio{V: 0.37}), "+37 points"}, {gapText(Ratio{Hidden: true}), "*"}, {gapText(Ratio{Null: true}), "none"},
		{money(Count{N: 4950}), "£49.50"}, {money(Count{N: 5}), "£0.05"}, {money(Count{N: 0}), "£0.00"}, {money(Count{Hidden: true}), "*"},
		{answerText("age_band", "75_plus"), "75 and over"}, {answerText("age_band", "18_24"), "18 to 24"},
		{answerText("deprivation_decile", "10"), "10 (least deprived)"}, {answerText("ethnicity", "prefer_not_to_say"), "Prefer not to say"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
}
