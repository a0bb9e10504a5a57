package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestNarrowScreen reads the pages 320 CSS pixels wide, as on a small
// phone or zoomed to 400%: the content reflows into one column without
// scrolling sideways (WCAG 2.2, 1.4.10 Reflow).
func TestNarrowScreen(t *testing.T) {
	b, s := signedIn(t)
	b.do("narrowing the window", chromedp.EmulateViewport(320, 800))
	pages := []struct{ name, path string }{
		{"overview", "/"},
		{"project", "/projects/" + s.Waiting.ID},
		{"you-said-we-did", "/projects/" + s.Waiting.ID + "/you-said-we-did"},
	}
	for _, p := range pages {
		b.visit(p.path, 200)
		wide, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, document.documentElement.clientWidth]`))
		if err != nil {
			t.Fatal(err)
		}
		if wide[0] > wide[1] {
			t.Errorf("%s is %d pixels wide in a window of %d: it scrolls sideways", p.name, wide[0], wide[1])
		}
		b.screenshot(p.name + "-narrow")
	}
}
