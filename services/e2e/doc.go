// Package e2e tests together end to end, as the people who use it do: in a
// real browser, against the real binary.
//
// TestMain builds services/cmd/together, makes a local account and an API
// token on a fresh data directory with the binary's own commands, starts
// `together serve` on 127.0.0.1 and one headless Chromium. Each test then
// opens its own browser context (its own cookies), signs in through the
// /sign-in form, and reads the pages. Data the web pages cannot record yet
// is recorded through the API with the token.
//
// Every page a test visits is checked with axe-core against the WCAG 2.2 AA
// rules and must have no violation. axe is injected through the DevTools
// protocol, which the pages' content security policy does not govern, so
// the policy the pages are served with is the one they are tested under.
//
// Without Chromium the tests skip, saying so, except when CI=true, where
// they fail: CI must not pass by testing nothing. TOGETHER_E2E_CHROMIUM
// names the browser binary when it is not chromium on PATH.
// Screenshots of the pages are written to screenshots/ (not committed).
package e2e
