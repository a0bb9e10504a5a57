package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestFormErrors submits the form that registers a person with what they
// bring and how they were found left out, then with the name left out:
// each time the page is titled as an error, the error summary takes the
// focus and links to each field left out, each field has its message
// beside it, what was given is kept, and each link moves the focus to its
// field. Completed, the same form registers the person once.
func TestFormErrors(t *testing.T) {
	b, _ := signedIn(t)
	b.visit("/stakeholders/new", 200)
	b.fill("name", "Dev Sharma", "contact", "dev@example.org")
	b.tick("current_experience", "No")
	b.send()
	b.requireErrors(map[string]string{
		"#roles":               "Select what they bring",
		"#recruitment_channel": "Select how they were found",
	})
	if got := b.value("contact"); got != "dev@example.org" {
		t.Errorf("the contact typed became %q", got)
	}
	if n := b.count(`#current_experience-2:checked`); n != 1 {
		t.Errorf("the answer No is no longer selected")
	}
	b.screenshot("register-errors")

	b.tick("roles", "Member of the public")
	b.tick("recruitment_channel", "Advert")
	b.do("clearing the name", chromedp.Clear(chromedp.CSS("#name")))
	b.send()
	b.requireErrors(map[string]string{"#name": "Enter their full name"})
	if n := b.count(`input[name="roles"]:checked`); n != 1 {
		t.Errorf("%d roles selected after the error, want the one selected before", n)
	}

	b.fill("name", "Dev Sharma")
	b.send()
	b.recorded("The person was registered")
	if got := b.text("main"); !strings.Contains(got, "Dev Sharma") || !strings.Contains(got, "dev@example.org") {
		t.Errorf("the person's page does not show what was typed: %q", got)
	}
}

// requireErrors checks a form shown again with errors: its title says
// so, the error summary has the focus and links to each field with
// want's message, the same message is beside the field, and each link
// moves the focus to its field.
func (b *tab) requireErrors(want map[string]string) {
	b.t.Helper()
	title, err := chromedp.Run(b.ctx, chromedp.Title())
	if err != nil {
		b.t.Fatal(err)
	}
	if !strings.HasPrefix(title, "Error: ") {
		b.t.Errorf("title %q does not start with Error:", title)
	}
	if got := b.activeElement(); !strings.Contains(got, "nhsuk-error-summary") {
		b.t.Errorf("focus is on %s, want the error summary", got)
	}
	errs := b.errorSummary()
	for href, msg := range want {
		if errs[href] != msg {
			b.t.Errorf("the error summary's link to %s says %q, want %q", href, errs[href], msg)
		}
	}
	if len(errs) != len(want) {
		b.t.Errorf("the error summary has %d links, want %d: %q", len(errs), len(want), errs)
	}
	// The message beside each field, in the field's group (that of a
	// radio or a checkbox is its fieldset's).
	beside, err := chromedp.Run(b.ctx, chromedp.Evaluate[map[string]string](`Object.fromEntries(
  [...document.querySelectorAll('.nhsuk-error-summary a')].map(a => {
    const f = document.querySelector(a.getAttribute('href'));
    const g = f && f.closest('.nhsuk-form-group--error');
    const m = g && g.querySelector('.nhsuk-error-message');
    return [a.getAttribute('href'), m ? m.textContent.trim().replace(/\s+/g, ' ') : ''];
  }))`))
	if err != nil {
		b.t.Fatal(err)
	}
	for href, msg := range want {
		if got := beside[href]; got != "Error: "+msg {
			b.t.Errorf("beside %s the message is %q, want %q", href, got, "Error: "+msg)
		}
	}
	for href := range want {
		if errs[href] == "" {
			continue // reported above
		}
		b.do("following the error link to "+href, chromedp.Click(chromedp.CSS(`.nhsuk-error-summary a[href="`+href+`"]`)))
		// The field itself: the first choice of a group, not another.
		if got := b.activeElement(); !strings.Contains(got, href) || strings.Contains(got, href+"-") {
			b.t.Errorf("after the error link to %s, focus is on %s", href, got)
		}
	}
}

// value is the value of the field with id.
func (b *tab) value(id string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS("#"+id)))
	if err != nil {
		b.t.Fatalf("reading #%s: %v", id, err)
	}
	return v
}
