package e2e

import (
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// anID matches the ids together gives things (UUIDs): what a page shows a
// person should name things instead.
var anID = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// TestAuditor signs in as an auditor, checks the history from /audit
// (intact) and reads the story's decision timeline: who decided what,
// why and who holds which rights, by name; no id on either page.
func TestAuditor(t *testing.T) {
	h := needWorld(t)
	s := seeded(t, h)
	b := newTab(t, h)
	b.signIn(h.sys.Auditor)
	if got := b.text("header"); !strings.Contains(got, h.sys.Auditor.Name) {
		t.Errorf("the header %q does not name the auditor", got)
	}

	b.follow("opening Audit from the header", chromedp.Click(chromedp.CSS(`header a[href="/audit"]`)))
	b.submit("/audit")
	if got := b.text("#chain-result h3"); got != "The history is intact" {
		t.Errorf("the check of the history says %q, want The history is intact", got)
	}
	checked := b.text("#chain-result")
	if !strings.Contains(checked, "Events checked") {
		t.Errorf("the check's result does not say how many events it checked: %q", checked)
	}
	if main := b.text("main"); anID.MatchString(main) {
		t.Errorf("/audit shows an id: %q", anID.FindString(main))
	}
	b.screenshot("audit")

	b.open("/audit/projects/" + s.Waiting.ID)
	if got, want := b.text("h1"), s.Programme+"Decision timeline: "+s.Waiting.Name; got != want && got != s.Programme+" Decision timeline: "+s.Waiting.Name {
		t.Errorf("h1 = %q, want %q", got, want)
	}
	main := b.text("main")
	for _, want := range []string{
		"Reception desk", "Co-design", "Project board", "Patients see the desk every day", "patients: choose the layout", "Two workshops",
		"Seating", "Consult", "Estates", "Fixed by the fire regulations",
		"NHS Act 2006 s242", "Governance lead",
	} {
		if !strings.Contains(main, want) {
			t.Errorf("the decision timeline does not show %q", want)
		}
	}
	if anID.MatchString(main) {
		t.Errorf("the decision timeline shows an id: %q", anID.FindString(main))
	}
	b.screenshot("audit-timeline")
}
