package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// tabTimeout bounds everything one test does in its tab, so that a page
// that never loads fails the test instead of hanging the run.
const tabTimeout = 90 * time.Second

// tab is one test's browser: a browser context of its own (its own
// cookies) with one page in it. Every page it loads is checked for failed
// requests, errors in the console and accessibility violations.
type tab struct {
	t   *testing.T
	h   *harness
	ctx context.Context
	js  bool

	mu       sync.Mutex
	problems []string
}

type tabOption func(*tab)

// withoutJavaScript runs the tab with JavaScript switched off in the page.
func withoutJavaScript(b *tab) { b.js = false }

func newTab(t *testing.T, h *harness, opts ...tabOption) *tab {
	t.Helper()
	b := &tab{t: t, h: h, js: true}
	for _, o := range opts {
		o(b)
	}
	ctx, cancel := chromedp.NewContext(h.browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("together serve's last warnings and errors:\n%s", h.sys.Problems(20))
		}
	})
	// Open the page before bounding its context: the first call's context
	// owns the target.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	if err := chromedp.Listen(ctx, b.observe); err != nil {
		t.Fatal(err)
	}
	ctx, cancelTimeout := context.WithTimeout(ctx, tabTimeout)
	t.Cleanup(cancelTimeout)
	b.ctx = ctx
	if _, err := chromedp.Call(ctx, runtime.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	if !b.js {
		if err := b.scripts(false); err != nil {
			t.Fatalf("switching JavaScript off: %v", err)
		}
	}
	return b
}

// observe notes what went wrong while pages loaded. It runs in the tab's
// event loop, so it only records.
func (b *tab) observe(ev any) {
	var p string
	switch ev := ev.(type) {
	case *network.EventLoadingFailed:
		if !ev.Canceled {
			p = fmt.Sprintf("a %s failed to load: %s %s", ev.Type, ev.ErrorText, ev.BlockedReason)
		}
	case *network.EventResponseReceived:
		// The page itself may answer an error on purpose (a refused
		// sign-in); what it loads may not.
		if ev.Type != network.ResourceTypeDocument && ev.Response != nil && ev.Response.Status >= 400 {
			p = fmt.Sprintf("%s answered %d", ev.Response.URL, ev.Response.Status)
		}
	case *cdplog.EventEntryAdded:
		// Failed requests are reported above; this catches the rest,
		// notably content security policy violations.
		if e := ev.Entry; e != nil && e.Level == cdplog.EntryLevelError && e.Source != cdplog.EntrySourceNetwork {
			p = fmt.Sprintf("console (%s): %s %s", e.Source, e.Text, e.URL)
		}
	case *runtime.EventExceptionThrown:
		if d := ev.ExceptionDetails; d != nil {
			text := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				text += " " + d.Exception.Description
			}
			p = fmt.Sprintf("uncaught exception at %s:%d: %s", d.URL, d.LineNumber+1, text)
		}
	}
	if p != "" {
		b.mu.Lock()
		b.problems = append(b.problems, p)
		b.mu.Unlock()
	}
}

// requireNoProblems fails the test with whatever went wrong loading the
// pages since the last check.
func (b *tab) requireNoProblems(where string) {
	b.t.Helper()
	b.mu.Lock()
	problems := b.problems
	b.problems = nil
	b.mu.Unlock()
	for _, p := range problems {
		b.t.Errorf("%s: %s", where, p)
	}
}

// do runs actions and fails the test if one fails.
func (b *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// url is the address of path on the system under test.
func (b *tab) url(path string) string { return b.h.sys.URL + path }

// visit loads path, requires the status, and checks the page.
func (b *tab) visit(path string, status int64) {
	b.t.Helper()
	res, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(b.url(path)))
	if err != nil {
		b.t.Fatalf("loading %s: %v", path, err)
	}
	if res.Status != status {
		b.t.Fatalf("%s answered %d, want %d", path, res.Status, status)
	}
	b.checkPage(path)
}

// follow runs trigger (a click that submits a form or follows a link)
// and waits for the page it leads to, then checks that page.
func (b *tab) follow(what string, trigger chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.WaitEvent(page.LoadEventFired, nil, trigger)); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	b.checkPage(what)
}

// checkPage checks the page in the tab: nothing failed to load, and axe
// finds no accessibility violation.
func (b *tab) checkPage(where string) {
	b.t.Helper()
	b.requireNoProblems(where)
	b.checkAccessibility(where)
}

// fill types into form fields, given as pairs of a field's id and what to
// type, in that order (as a person tabbing through the form would).
func (b *tab) fill(idValue ...string) {
	b.t.Helper()
	if len(idValue)%2 != 0 {
		b.t.Fatalf("fill wants pairs of an id and a value, got %d strings", len(idValue))
	}
	for i := 0; i < len(idValue); i += 2 {
		id := idValue[i]
		if b.count("#"+id) != 1 {
			b.t.Fatalf("no single field #%s on %s", id, b.location())
		}
		b.do("typing into #"+id, chromedp.SendKeys(chromedp.CSS("#"+id), idValue[i+1]))
	}
}

// choose picks the option with value in the select with id.
func (b *tab) choose(id, value string) {
	b.t.Helper()
	if b.count("#"+id+` option[value="`+value+`"]`) != 1 {
		b.t.Fatalf("#%s has no option %q on %s", id, value, b.location())
	}
	b.do("choosing "+value+" in #"+id, chromedp.SetValue(chromedp.CSS("#"+id), value))
}

// submit clicks the button of the form whose action is action (the one
// form on the page that posts or gets there), waits for the page it leads
// to and checks that page.
func (b *tab) submit(action string) {
	b.t.Helper()
	sel := `form[action="` + action + `"] button`
	if n := b.count(sel); n != 1 {
		b.t.Fatalf("%d buttons match %s on %s, want 1", n, sel, b.location())
	}
	b.follow("submitting the form to "+action, chromedp.Click(chromedp.CSS(sel)))
}

// errorSummary returns the links of the page's error summary, by the
// field they lead to, or nil when the page has none.
func (b *tab) errorSummary() map[string]string {
	b.t.Helper()
	if b.count(".nhsuk-error-summary") == 0 {
		return nil
	}
	links, err := chromedp.Run(b.ctx, chromedp.AttributesAll(chromedp.CSSAll(".nhsuk-error-summary a")))
	if err != nil {
		b.t.Fatal(err)
	}
	out := map[string]string{}
	for _, l := range links {
		href := l["href"]
		out[href] = b.text(`.nhsuk-error-summary a[href="` + href + `"]`)
	}
	return out
}

// signIn signs in through the sign-in form and lands on the overview.
func (b *tab) signIn(acc account) {
	b.t.Helper()
	b.visit("/sign-in", 200)
	b.fill("username", acc.Username, "password", acc.Password)
	b.submit("/sign-in")
	if got := b.location(); got != b.url("/") {
		b.t.Fatalf("after signing in the browser is at %s, want the overview %s", got, b.url("/"))
	}
}

// location is the address of the page in the tab.
func (b *tab) location() string {
	b.t.Helper()
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	return loc
}

// text is the text of the first element sel matches, with its spaces
// collapsed. The page has loaded, so an element that is not there fails
// the test at once rather than being waited for.
func (b *tab) text(sel string) string {
	b.t.Helper()
	if b.count(sel) == 0 {
		b.t.Fatalf("nothing on %s matches %s", b.location(), sel)
	}
	s, err := chromedp.Run(b.ctx, chromedp.TextContent(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("reading %s: %v", sel, err)
	}
	return strings.Join(strings.Fields(s), " ")
}

// count is how many elements sel matches.
func (b *tab) count(sel string) int {
	b.t.Helper()
	ids, err := chromedp.Run(b.ctx, chromedp.QueryNodeIDs(chromedp.CSSAll(sel), chromedp.AtLeast(0)))
	if err != nil {
		b.t.Fatalf("finding %s: %v", sel, err)
	}
	return len(ids)
}

// screenshot saves the whole page as a PNG in the screenshots folder.
func (b *tab) screenshot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(b.h.shots, name+".png")
	// Pages can show what people said: readable by the owner alone.
	if err := os.WriteFile(path, png, 0o600); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", path)
}

// activeElement describes the focused element as tag#id.classes.
func (b *tab) activeElement() string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(() => {
  const e = document.activeElement;
  if (!e) return '';
  return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + [...e.classList].map(c => '.' + c).join('');
})()`))
	if err != nil {
		b.t.Fatalf("reading the focused element: %v", err)
	}
	return s
}

// js quotes s as a JavaScript string literal.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// tick selects the checkboxes or the radio of the field named name whose
// labels read labels, by clicking the labels, as a person would.
func (b *tab) tick(name string, labels ...string) {
	b.t.Helper()
	for _, l := range labels {
		ids, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('input[name=`+js(name)+`]')]
  .filter(i => [...i.labels].some(l => l.textContent.trim().replace(/\s+/g, ' ') === `+js(l)+`))
  .map(i => i.id)`))
		if err != nil {
			b.t.Fatalf("finding %q in %s: %v", l, name, err)
		}
		if len(ids) != 1 {
			b.t.Fatalf("%d choices of %s are labelled %q on %s, want 1", len(ids), name, l, b.location())
		}
		b.do("selecting "+l, chromedp.Click(chromedp.CSS(`label[for="`+ids[0]+`"]`)))
	}
}

// chooseText picks the option that reads text in the select with id.
func (b *tab) chooseText(id, text string) {
	b.t.Helper()
	values, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#`+id+` option')]
  .filter(o => o.textContent.trim() === `+js(text)+`).map(o => o.value)`))
	if err != nil || len(values) != 1 {
		b.t.Fatalf("#%s offers %q %d times on %s (%v), want once", id, text, len(values), b.location(), err)
	}
	b.choose(id, values[0])
}

// fillDate types a day into the day, month and year fields of the date
// input with id.
func (b *tab) fillDate(id string, day time.Time) {
	b.t.Helper()
	b.fill(id+"-day", strconv.Itoa(day.Day()), id+"-month", strconv.Itoa(int(day.Month())), id+"-year", strconv.Itoa(day.Year()))
}

// send submits the one form in main that posts (a recording form), waits
// for the page it leads to and checks that page.
func (b *tab) send() {
	b.t.Helper()
	sel := `main form[method="post"] button[type="submit"]`
	if n := b.count(sel); n != 1 {
		b.t.Fatalf("%d buttons match %s on %s, want 1", n, sel, b.location())
	}
	b.follow("submitting the form on "+b.location(), chromedp.Click(chromedp.CSS(sel)))
}

// open follows the link in main whose address starts with href.
func (b *tab) open(href string) {
	b.t.Helper()
	sel := `main a[href^="` + href + `"]`
	if b.count(sel) == 0 {
		b.t.Fatalf("no link to %s on %s", href, b.location())
	}
	b.follow("following the link to "+href, chromedp.Click(chromedp.CSS(sel)))
}

// recorded requires the success banner a form leads to, saying want, and
// returns the store position the form recorded at (the page's at).
func (b *tab) recorded(want string) uint64 {
	b.t.Helper()
	loc := b.location()
	if n := b.count(".nhsuk-notification-banner--success"); n != 1 {
		errs := ""
		if b.count(".nhsuk-error-summary") > 0 {
			errs = b.text(".nhsuk-error-summary")
		}
		b.t.Fatalf("no success banner on %s (want %q); %s", loc, want, errs)
	}
	if got := b.text(".nhsuk-notification-banner__heading"); got != want {
		b.t.Errorf("the banner on %s says %q, want %q", loc, got, want)
	}
	u, err := url.Parse(loc)
	if err != nil {
		b.t.Fatal(err)
	}
	at, err := strconv.ParseUint(u.Query().Get("at"), 10, 64)
	if err != nil {
		b.t.Fatalf("%s has no position: %v", loc, err)
	}
	return at
}

// figures reads the figure cards of the page: their values by id.
func (b *tab) figures() map[string]string {
	b.t.Helper()
	fs, err := chromedp.Run(b.ctx, chromedp.Evaluate[map[string]string](`Object.fromEntries([...document.querySelectorAll('[id^="figure-"]')]
  .map(c => [c.id.slice('figure-'.length), c.querySelector('.nhsuk-heading-l').textContent.trim()]))`))
	if err != nil {
		b.t.Fatalf("reading the figures: %v", err)
	}
	return fs
}

// tickValue selects the checkbox or radio of the field named name whose
// value is value, by clicking its label.
func (b *tab) tickValue(name, value string) {
	b.t.Helper()
	sel := `input[name="` + name + `"][value="` + value + `"]`
	if n := b.count(sel); n != 1 {
		b.t.Fatalf("%d choices match %s on %s, want 1", n, sel, b.location())
	}
	id, err := chromedp.Run(b.ctx, chromedp.AttributeValue(chromedp.CSS(sel), "id"))
	if err != nil {
		b.t.Fatal(err)
	}
	b.do("selecting "+value+" in "+name, chromedp.Click(chromedp.CSS(`label[for="`+id.Value+`"]`)))
}
