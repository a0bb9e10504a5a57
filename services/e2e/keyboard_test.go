package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestSkipLink uses the keyboard alone: on every page the first Tab
// reaches the skip link, and Enter on it moves the focus to the main
// content, past the header.
func TestSkipLink(t *testing.T) {
	b, s := signedIn(t)
	pages := []struct{ name, path string }{
		{"overview", "/"},
		{"project", "/projects/" + s.Waiting.ID},
		{"you-said-we-did", "/projects/" + s.Waiting.ID + "/you-said-we-did"},
	}
	parent := b.t
	defer func() { b.t = parent }()
	for _, p := range pages {
		path := p.path
		t.Run(p.name, func(t *testing.T) {
			b.t = t // the tab reports to the page's subtest
			b.visit(path, 200)
			if got := b.activeElement(); !strings.HasPrefix(got, "body") {
				t.Fatalf("before any key, focus is on %s, want the page (body)", got)
			}
			b.do("pressing Tab", chromedp.KeyEvent(kb.Tab))
			if got := b.activeElement(); !strings.HasPrefix(got, "a") || !strings.Contains(got, ".nhsuk-skip-link") {
				t.Fatalf("the first Tab reached %s, want the skip link", got)
			}
			if got := b.text(":focus"); got != "Skip to main content" {
				t.Errorf("the skip link says %q", got)
			}
			b.do("pressing Enter on the skip link", chromedp.KeyEvent(kb.Enter))
			if got := b.activeElement(); !strings.HasPrefix(got, "main#maincontent") {
				t.Errorf("after the skip link, focus is on %s, want main#maincontent", got)
			}
		})
	}
}
