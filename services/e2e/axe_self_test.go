package e2e

import (
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// sitePolicy is the content security policy together serves its pages
// with: no script but the site's own files.
const sitePolicy = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"

// faultyPage breaks the rules the checks look for: no lang on html, an
// image without a text alternative, an inline script the policy blocks
// and a style sheet that is not there.
const faultyPage = `<!doctype html><html><head><title>Faulty</title><link rel="stylesheet" href="/missing.css"></head>
<body><script>document.title = 'inline script ran'</script>
<main><h1>Faulty</h1><img src="/pixel.gif"></main></body></html>`

// TestChecksFindFaults checks the checkers on a page served with the
// site's content security policy: were axe's injection blocked, or failed
// loads and policy violations not noticed, every page would pass unchecked.
func TestChecksFindFaults(t *testing.T) {
	h := needWorld(t)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Security-Policy", sitePolicy)
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte(faultyPage))
		case "/pixel.gif":
			w.Header().Set("Content-Type", "image/gif")
			_, _ = w.Write([]byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"))
		default:
			http.NotFound(w, r)
		}
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

	t.Run("axe", func(t *testing.T) {
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
	})

	t.Run("loading", func(t *testing.T) {
		b.mu.Lock()
		problems := strings.Join(b.problems, "\n")
		b.problems = nil
		b.mu.Unlock()
		for _, want := range []string{"missing.css answered 404", "Content Security Policy"} {
			if !strings.Contains(problems, want) {
				t.Errorf("the problems noticed do not include %q:\n%s", want, problems)
			}
		}
	})
}
