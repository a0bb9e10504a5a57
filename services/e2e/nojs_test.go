package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestWithoutJavaScript signs in and reads the overview and a project page
// with JavaScript switched off: every page works without it, and
// nhsuk-frontend's scripts only enhance.
func TestWithoutJavaScript(t *testing.T) {
	b, s := signedIn(t, withoutJavaScript)

	b.requireNoJavaScriptRan()
	if got := b.text("h1"); got != "All programmes" {
		t.Errorf("h1 = %q, want All programmes", got)
	}
	for _, p := range []project{s.Waiting, s.Letters} {
		if got := b.text(`table a[href^="/projects/` + p.ID + `"]`); got != p.Name {
			t.Errorf("project link = %q, want %q", got, p.Name)
		}
	}
	b.screenshot("overview-without-javascript")

	// The filter form is a plain GET form.
	b.choose("programme", s.Programme)
	b.submit("/")
	if got, want := b.text("h1"), "Programme "+s.Programme; got != want {
		t.Errorf("h1 = %q, want %q", got, want)
	}
	if got := b.text("#figure-participants .nhsuk-heading-l"); got != "4" {
		t.Errorf("people taking part = %q, want 4", got)
	}

	b.follow("opening the project", chromedp.Click(chromedp.CSS(`table a[href^="/projects/`+s.Waiting.ID+`"]`)))
	if got := b.text("h2#decisions"); got != "Involvement decisions" {
		t.Errorf("the project page's decisions heading = %q", got)
	}
	if n := b.count(`main svg[role="img"]`); n < 3 {
		t.Errorf("%d charts without JavaScript, want at least 3: they are drawn on the server", n)
	}

	b.requireNoJavaScriptRan()

	// The skip link is a plain link to the main content.
	b.do("pressing Tab", chromedp.KeyEvent("\t"))
	b.do("pressing Enter on the skip link", chromedp.KeyEvent("\r"))
	if got := b.location(); !strings.HasSuffix(got, "#maincontent") {
		t.Errorf("after the skip link the page is at %s, want #maincontent", got)
	}
}

// requireNoJavaScriptRan checks that JavaScript really is off in the page:
// js-enabled.js, the first script on every page, did not mark the body.
// (Read from the DOM, not by running a script.)
func (b *tab) requireNoJavaScriptRan() {
	b.t.Helper()
	attrs, err := chromedp.Run(b.ctx, chromedp.Attributes(chromedp.CSS("body")))
	if err != nil {
		b.t.Fatal(err)
	}
	if strings.Contains(attrs["class"], "js-enabled") {
		b.t.Fatalf("body class %q on %s: JavaScript ran", attrs["class"], b.location())
	}
}
