package e2e

import (
	_ "embed"
	"fmt"
	"strings"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// axeSource is axe-core's browser build (testdata/axe/fetch.sh fetched
// it and checked it against the registry's integrity).
//
//go:embed testdata/axe/axe.min.js
var axeSource string

// axeTags are the rule sets checked: WCAG 2.0, 2.1 and 2.2 at levels A and
// AA, which NHS services must meet.
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"}

// axeRun runs axe on the document and returns its violations in a shape
// that is easy to print.
var axeRun = `axe.run(document, {runOnly: {type: 'tag', values: ['` + strings.Join(axeTags, "','") + `']}, resultTypes: ['violations']})
  .then(r => r.violations.map(v => ({
    id: v.id, impact: v.impact || '', help: v.help, url: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target.map(String).join(' '), summary: n.failureSummary || ''})),
  })))`

type axeViolation struct {
	ID, Impact, Help, URL string
	Nodes                 []struct{ Target, Summary string }
}

func (v axeViolation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s %s", v.ID, v.Impact, v.Help, v.URL)
	for _, n := range v.Nodes {
		fmt.Fprintf(&b, "\n    %s: %s", n.Target, strings.ReplaceAll(n.Summary, "\n", " "))
	}
	return b.String()
}

// axeViolations injects axe into the page through the DevTools protocol
// (Runtime.evaluate: the page's content security policy, which allows no
// script but the site's own files, does not apply to it) and runs it.
//
// axe runs asynchronously, which needs script execution: in a tab without
// JavaScript it is switched on for the run only. The page's own scripts
// were skipped when it loaded and do not run later, so axe checks the page
// as it is without JavaScript.
func (b *tab) axeViolations() ([]axeViolation, error) {
	if !b.js {
		if err := b.scripts(true); err != nil {
			return nil, err
		}
		defer func() { _ = b.scripts(false) }()
	}
	loaded, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`typeof window.axe === 'object'`))
	if err != nil {
		return nil, err
	}
	if !loaded {
		if err := chromedp.Do(b.ctx, chromedp.Evaluate[chromedp.Void](axeSource)); err != nil {
			return nil, fmt.Errorf("injecting axe: %w", err)
		}
	}
	return chromedp.Run(b.ctx, chromedp.Evaluate[[]axeViolation](axeRun, chromedp.EvalAwaitPromise))
}

// checkAccessibility fails the test for every violation axe finds.
func (b *tab) checkAccessibility(where string) {
	b.t.Helper()
	vs, err := b.axeViolations()
	if err != nil {
		b.t.Fatalf("%s: running axe: %v", where, err)
	}
	for _, v := range vs {
		b.t.Errorf("%s: accessibility: %s", where, v)
	}
}

// scripts switches script execution in the page on or off.
func (b *tab) scripts(on bool) error {
	_, err := chromedp.Call(b.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !on})
	return err
}
