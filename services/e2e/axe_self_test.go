package e2e

import (
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/chromedp/chromedp"
)

// sitePolicy is the content security policy together serves its pages
// with: no script but the site's own files.
const sitePolicy = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"

// TestAxeFindsViolationsUnderTheSitePolicy checks the checker: on a page
// served with the site's content security policy and two known faults,
// injected axe runs and reports both. Were injection blocked or axe not
// running, every page would pass unchecked.
func TestAxeFindsViolationsUnderTheSitePolicy(t *testing.T) {
	h := needWorld(t)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", sitePolicy)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		// No lang on html, and an image without a text alternative.
		_, _ = w.Write([]byte(`<!doctype html><html><head><title>Faulty</title></head><body><script>document.title = 'inline script ran'</script><main><h1>Faulty</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></main></body></html>`))
	}))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = l
	srv.Start()
	defer srv.Close()

	b := newTab(t, h)
	b.do("loading the faulty page", chromedp.Navigate(srv.URL))
	// The policy is in force: the inline script did not run.
	if title, err := chromedp.Run(b.ctx, chromedp.Title()); err != nil || title != "Faulty" {
		t.Fatalf("title = %q, %v; want Faulty (the inline script must be blocked by the policy)", title, err)
	}
	vs, err := b.axeViolations()
	if err != nil {
		t.Fatalf("running axe under the policy: %v", err)
	}
	var ids []string
	for _, v := range vs {
		ids = append(ids, v.ID)
	}
	for _, want := range []string{"html-has-lang", "image-alt"} {
		if !slices.Contains(ids, want) {
			t.Errorf("axe found %v, want %s among them", ids, want)
		}
	}
}
