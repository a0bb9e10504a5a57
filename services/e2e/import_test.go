package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

const (
	importHeader = "name,contact,roles,current_experience,recruitment_channel\n"
	// Row 3 (the spreadsheet's numbering, the header being row 1) says
	// maybe where yes or no belongs.
	importBad = importHeader +
		"Gita Rao,gita@example.org,service_user,yes,community_organisation\n" +
		"Hal Price,,carer;public,maybe,advert\n" +
		"Ines Costa,,Frontline staff,no,staff_referral\n"
	importFixed = importHeader +
		"Gita Rao,gita@example.org,service_user,yes,community_organisation\n" +
		"Hal Price,,carer;public,yes,advert\n" +
		"Ines Costa,,Frontline staff,no,staff_referral\n"
)

// TestImport imports people from a spreadsheet: a file with a bad row
// shows the problem under its row number and cannot be approved, even by
// posting the approval anyway; the corrected file is approved and records
// its three people; the same file again records nothing twice.
func TestImport(t *testing.T) {
	b, _ := signedIn(t)
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	people := func() int {
		b.visit("/stakeholders", 200)
		if b.count(`a[rel="next"], .nhsuk-pagination__link--next`) > 0 {
			t.Fatalf("the list of people runs to a second page: count them another way")
		}
		return b.count("main table tbody tr")
	}
	before := people()

	b.visit("/import", 200)
	b.upload(write("people.csv", importBad))
	if got, want := b.text("#summary"), "2 new, 0 already recorded, 1 row with problems"; got != want {
		t.Errorf("the review says %q, want %q", got, want)
	}
	problems := b.rows("Each problem under its row number in the spreadsheet")
	if len(problems) != 1 || problems[0][0] != "3" || problems[0][1] != "current_experience" || !strings.Contains(problems[0][2], "maybe") {
		t.Errorf("the problems are %q, want row 3's current_experience, maybe", problems)
	}
	if n := b.count(`form[action$="/approve"]`); n != 0 {
		t.Errorf("a file with problems offers %d approve buttons, want none", n)
	}
	b.screenshot("import-problems")

	// Posting the approval anyway (an old tab, a crafted request) is
	// refused, and records nothing.
	review := pathOf(t, b.location())
	b.follow("posting the approval anyway", chromedp.Evaluate[chromedp.Void](`(() => {
  const f = document.createElement('form');
  f.method = 'post';
  f.action = `+js(review+"/approve")+`;
  const c = document.querySelector('input[name="csrf_token"]').cloneNode();
  f.append(c);
  document.body.append(f);
  f.submit();
})()`))
	if got := b.text("h1"); got != "Check the import" {
		t.Errorf("approving a file with problems leads to %q", got)
	}
	if title, _ := chromedp.Run(b.ctx, chromedp.Title()); !strings.HasPrefix(title, "Error: ") {
		t.Errorf("approving a file with problems is titled %q, want an error", title)
	}
	if got := people(); got != before {
		t.Fatalf("refusing the file recorded %d people", got-before)
	}

	// The corrected file: approved, its three people are recorded.
	fixed := write("people-corrected.csv", importFixed)
	b.visit("/import", 200)
	b.upload(fixed)
	if got, want := b.text("#summary"), "3 new, 0 already recorded, 0 rows with problems"; !strings.HasPrefix(got, "3 new, 0 already recorded") {
		t.Errorf("the review of the corrected file says %q, want %q", got, want)
	}
	b.approve()
	b.screenshot("import-finished")
	if got := people(); got != before+3 {
		t.Errorf("the import recorded %d people, want 3", got-before)
	}

	// The same file again: every row was recorded already.
	b.visit("/import", 200)
	b.upload(fixed)
	if got := b.text("#summary"); !strings.HasPrefix(got, "0 new, 3 already recorded") {
		t.Errorf("the review of the same file again says %q, want 0 new, 3 already recorded", got)
	}
	if b.count(`form[action$="/approve"]`) == 1 {
		b.approve()
	}
	if got := people(); got != before+3 {
		t.Errorf("importing the same file twice recorded %d people, want 3", got-before)
	}
}

// upload chooses the stakeholders file at path on the import page and
// sends it to be checked.
func (b *tab) upload(path string) {
	b.t.Helper()
	b.tick("kind", "Stakeholders")
	b.do("choosing "+filepath.Base(path), chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{path}))
	b.submit("/import")
	if got := b.text("h1"); got != "Check the import" {
		b.t.Fatalf("sending %s led to %q, want the review", filepath.Base(path), got)
	}
}

// approve approves the file under review.
func (b *tab) approve() {
	b.t.Helper()
	sel := `form[action$="/approve"] button`
	if n := b.count(sel); n != 1 {
		b.t.Fatalf("%d approve buttons on %s, want 1", n, b.location())
	}
	b.follow("approving the import", chromedp.Click(chromedp.CSS(sel)))
	if got := b.text("h1"); got != "Import finished" {
		b.t.Fatalf("approving led to %q", got)
	}
}

// rows is the text of the cells of each row of the table with caption,
// without the headings the responsive tables repeat for narrow screens.
func (b *tab) rows(caption string) [][]string {
	b.t.Helper()
	rows, err := chromedp.Run(b.ctx, chromedp.Evaluate[[][]string](`[...document.querySelectorAll('main table')]
  .filter(t => t.caption && t.caption.textContent.trim() === `+js(caption)+`)
  .flatMap(t => [...t.tBodies[0].rows]).map(tr =>
  [...tr.children].map(c => {
    const d = c.cloneNode(true);
    d.querySelectorAll('.nhsuk-table__heading').forEach(h => h.remove());
    return d.textContent.trim().replace(/\s+/g, ' ');
  }))`))
	if err != nil {
		b.t.Fatalf("reading the table %q: %v", caption, err)
	}
	return rows
}
