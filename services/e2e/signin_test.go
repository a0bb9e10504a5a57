package e2e

import (
	"strings"
	"testing"
)

// TestSignIn signs in through the form: a wrong password is refused with
// the error shown beside the form, and the right one leads to the
// overview with the account's name in the header and a way to sign out.
func TestSignIn(t *testing.T) {
	h := needWorld(t)
	acc := h.sys.Recorder
	b := newTab(t, h)

	// A page that needs an identity sends the browser to sign in.
	b.visit("/", 200)
	if got := b.location(); got != b.url("/sign-in") {
		t.Fatalf("without a session / leads to %s, want %s", got, b.url("/sign-in"))
	}

	b.fill("username", acc.Username, "password", acc.Password+"-wrong")
	b.submit("/sign-in")
	if got, want := b.text("#error"), "The username or password is wrong."; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
	if n := b.count(`[role="alert"]#error`); n != 1 {
		t.Errorf("%d alerts, want the error announced as one alert", n)
	}
	b.screenshot("sign-in-wrong-password")

	b.signIn(acc)
	if got := b.text("header"); !strings.Contains(got, acc.Name) {
		t.Errorf("header %q does not name the account %q", got, acc.Name)
	}
	if n := b.count(`header form[action="/sign-out"] button`); n != 1 {
		t.Fatalf("%d sign-out buttons in the header, want 1", n)
	}

	// Signing out ends the session: the overview asks to sign in again.
	b.submit("/sign-out")
	if got := b.location(); got != b.url("/sign-in") {
		t.Errorf("signing out leads to %s, want %s", got, b.url("/sign-in"))
	}
	b.visit("/", 200)
	if got := b.location(); got != b.url("/sign-in") {
		t.Errorf("after signing out / leads to %s, want %s", got, b.url("/sign-in"))
	}
}
