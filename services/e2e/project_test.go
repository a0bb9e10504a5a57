package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestProjectPage follows a project's link from the overview: its page
// has every section, charts that are described images each beside a
// table of the same figures, the overdue action, what people said and
// the decisions; the printable "You said, we did" is a page of its own.
func TestProjectPage(t *testing.T) {
	b, s := signedIn(t)
	b.follow("opening the project", chromedp.Click(chromedp.CSS(`table a[href^="/projects/`+s.Waiting.ID+`"]`)))
	if got, want := b.location(), b.url("/projects/"+s.Waiting.ID); got != want {
		t.Fatalf("the project link led to %s, want %s", got, want)
	}
	if got := b.text("h1 .nhsuk-caption-l"); got != s.Programme {
		t.Errorf("the heading's caption = %q, want the programme %q", got, s.Programme)
	}
	if got := b.text("h1"); !strings.HasSuffix(got, s.Waiting.Name) {
		t.Errorf("h1 = %q, want the project's name %q", got, s.Waiting.Name)
	}

	sections := map[string]string{
		"who": "Who took part", "funnel": "From invitation to attendance", "voices": "New and returning voices",
		"coverage": "Who was there at each level of involvement", "follow-through": "Follow-through",
		"you-said-we-did": "You said, we did", "decisions": "Involvement decisions",
	}
	for id, heading := range sections {
		if got := b.text("h2#" + id); got != heading {
			t.Errorf("section #%s is headed %q, want %q", id, got, heading)
		}
	}

	// Every chart is an image with a title and a description, and the
	// same figures are in a table.
	charts := b.count(`main svg[role="img"]`)
	if charts < 3 {
		t.Errorf("%d charts, want at least the roles, funnel and voices charts", charts)
	}
	labelled, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('main svg[role="img"]')].map(svg =>
  (svg.getAttribute('aria-labelledby') || '').split(' ').map(id => (document.getElementById(id) || {}).textContent || '').join(' | '))`))
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range labelled {
		if parts := strings.Split(l, " | "); len(parts) != 2 || strings.TrimSpace(parts[0]) == "" || strings.TrimSpace(parts[1]) == "" {
			t.Errorf("chart %d is labelled %q, want a title and a description", i+1, l)
		}
	}
	// Every label and value is inside its chart: text beyond the view box
	// is cut off.
	clipped, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('main svg[role="img"]')].flatMap(svg => {
  const vb = svg.viewBox.baseVal;
  return [...svg.querySelectorAll('text')].filter(t => {
    const r = t.getBBox();
    return r.x < vb.x - 0.5 || r.x + r.width > vb.x + vb.width + 0.5;
  }).map(t => (svg.querySelector('title') || {}).textContent + ': "' + t.textContent + '"');
})`))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range clipped {
		t.Errorf("chart text cut off at the edge: %s", c)
	}
	if tables := b.count("main table"); tables < charts {
		t.Errorf("%d tables for %d charts: every chart needs its table", tables, charts)
	}
	if got := b.text("#figure-participants .nhsuk-heading-l"); got != "4" {
		t.Errorf("people taking part = %q, want 4", got)
	}

	main := b.text("main")
	for _, want := range []string{
		"Add a screen that shows names", "Estates", // the overdue action and its owner
		"noise",                                                                         // what people said
		"Reception desk", "Seating", "Project board", "Patients see the desk every day", // the decisions
	} {
		if !strings.Contains(main, want) {
			t.Errorf("the project page does not show %q", want)
		}
	}
	b.screenshot("project")

	b.follow("opening the printable You said, we did", chromedp.Click(chromedp.CSS(`a[href^="/projects/`+s.Waiting.ID+`/you-said-we-did"]`)))
	if got := b.text("main"); !strings.Contains(got, "Move the desk away from the queue") {
		t.Errorf("You said, we did does not show what was done: %q", got)
	}
	b.screenshot("you-said-we-did")
}
