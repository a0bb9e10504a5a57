package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// signedIn is a tab signed in as the recorder, on the overview of a
// system that holds the story.
func signedIn(t *testing.T, opts ...tabOption) (*tab, *story) {
	t.Helper()
	h := needWorld(t)
	s := seeded(t, h)
	b := newTab(t, h, opts...)
	b.signIn(h.sys.Recorder)
	return b, s
}

// TestOverview reads the programme recorded through the API on the
// overview, then narrows it to that programme with the filter form.
func TestOverview(t *testing.T) {
	b, s := signedIn(t)

	if got := b.text("h1"); got != "All programmes" {
		t.Errorf("h1 = %q, want All programmes", got)
	}
	if got := b.text(`#programme option[value="` + s.Programme + `"]`); got != s.Programme {
		t.Errorf("the programme filter offers %q, want %q", got, s.Programme)
	}
	for _, p := range []project{s.Waiting, s.Letters} {
		sel := `table a[href^="/projects/` + p.ID + `"]`
		if got := b.text(sel); got != p.Name {
			t.Errorf("project link %s = %q, want %q", sel, got, p.Name)
		}
	}
	// Waiting areas has an action past its due date; Discharge letters
	// nobody taking part: both need attention, and the reasons say why.
	rows := b.text("table tbody")
	for _, want := range []string{"overdue", "no participation"} {
		if !strings.Contains(strings.ToLower(rows), want) {
			t.Errorf("the projects' reasons %q do not mention %q", rows, want)
		}
	}
	b.screenshot("overview")

	b.choose("programme", s.Programme)
	b.submit("/")
	if got, want := b.text("h1"), "Programme "+s.Programme; got != want {
		t.Errorf("h1 = %q, want %q", got, want)
	}
	if n := b.count("table tbody tr"); n != 2 {
		t.Errorf("%d projects listed for the programme, want 2", n)
	}
	// The story's workshop had four named people. (Checked for the
	// programme: other tests record other programmes.)
	if got := b.text("#figure-participants .nhsuk-heading-l"); got != "4" {
		t.Errorf("people taking part = %q, want 4", got)
	}
}

// TestOverviewFilterErrors submits an impossible date: the page says what
// is wrong in an error summary that links to the field, as NHS.UK forms
// do, and the error summary takes the focus.
func TestOverviewFilterErrors(t *testing.T) {
	b, _ := signedIn(t)
	b.fill("from-day", "31", "from-month", "2", "from-year", "2026")
	b.submit("/")

	title, err := chromedp.Run(b.ctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(title, "Error: ") {
		t.Errorf("title %q does not start with Error:", title)
	}
	if got := b.text(".nhsuk-error-summary__heading"); got != "There is a problem" {
		t.Errorf("error summary title = %q", got)
	}
	// The lede says when the figures were known; with no figures computed
	// it must not make up a date.
	if lede := b.text(".nhsuk-lede-text"); strings.Contains(lede, "0001") {
		t.Errorf("the lede of the page with errors gives the zero date: %q", lede)
	}
	errs := b.errorSummary()
	if len(errs) != 1 || !strings.HasPrefix(errs["#from-day"], "The start of the period") {
		t.Errorf("error summary links %q, want one to #from-day about the start of the period", errs)
	}
	if got := b.text("#from-day-error, .nhsuk-error-message"); !strings.Contains(got, "The start of the period") {
		t.Errorf("error message by the field = %q", got)
	}
	// nhsuk-frontend focuses the summary so that it is read out first.
	if got := b.activeElement(); !strings.Contains(got, "nhsuk-error-summary") {
		t.Errorf("focus is on %s, want the error summary", got)
	}
	b.screenshot("overview-filter-errors")

	b.do("following the error link", chromedp.Click(chromedp.CSS(`.nhsuk-error-summary a[href="#from-day"]`)))
	if got := b.activeElement(); !strings.Contains(got, "#from-day") {
		t.Errorf("after the error link, focus is on %s, want #from-day", got)
	}
}
