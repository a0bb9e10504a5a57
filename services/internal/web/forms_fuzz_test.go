package web

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// FuzzFormFields reads whatever a browser could send through the form
// decoders: each either gives a well-formed value or records an error
// beside its field, never both and never a panic.
func FuzzFormFields(f *testing.F) {
	f.Add("27", "3", "2026", "14:30", "3", "yes")
	f.Add("31", "2", "2026", "25:00", "-1", "")
	f.Add("", "", "", "9.5", "1,000", "no")
	f.Add("0x1", "+3", "02026", "14:3", "99999999999999999999", "maybe")
	loc := time.UTC
	day := regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	clock := regexp.MustCompile(`^\d{2}:\d{2}$`)
	f.Fuzz(func(t *testing.T, d, m, y, at, n, yes string) {
		fm := newForm("/", url.Values{"when[day]": {d}, "when[month]": {m}, "when[year]": {y}, "at": {at}, "n": {n}, "yes": {yes}})
		got := fm.day("when", "The day", true, loc)
		if (got == "") == (fm.errs["when"] == "") {
			t.Errorf("day(%q, %q, %q) = %q with error %q", d, m, y, got, fm.errs["when"])
		}
		if got != "" && !day.MatchString(got) {
			t.Errorf("day(%q, %q, %q) = %q", d, m, y, got)
		}
		c := fm.clock("at", "the time")
		if (c == "") == (fm.errs["at"] == "") || c != "" && !clock.MatchString(c) {
			t.Errorf("clock(%q) = %q with error %q", at, c, fm.errs["at"])
		}
		if v := fm.wholeNumber("n", "The number"); v < 0 || v != 0 && fm.errs["n"] != "" {
			t.Errorf("wholeNumber(%q) = %d with error %q", n, v, fm.errs["n"])
		}
		fm.yesNo("yes", "Select yes or no")
		if ok := yes == "yes" || yes == "no"; ok == (fm.errs["yes"] != "") {
			t.Errorf("yesNo(%q): error %q", yes, fm.errs["yes"])
		}
		for _, e := range fm.list {
			if e.Href != "" && !strings.HasPrefix(e.Href, "#when-") && e.Href != "#at" && e.Href != "#n" && e.Href != "#yes" {
				t.Errorf("an error links to %q", e.Href)
			}
		}
	})
}

// FuzzMapErrors places whatever broken rules a problem could list: each
// becomes one message in the summary, linked to a field of the form or to
// none, and never to a field the form does not have.
func FuzzMapErrors(f *testing.F) {
	f.Add("decision_rights[2].holder", "is required", 400)
	f.Add("roles[0]", `"x" is not a role`, 400)
	f.Add("name", "is longer than 10000 bytes", 400)
	f.Add("", "", 409)
	fields := map[string]apiField{
		"name":                     {id: "name", required: "Enter a name", what: "The name"},
		"roles[]":                  {id: "roles", invalid: "Select from the list"},
		"decision_rights[].holder": {id: "right_%d_holder", required: "Enter who"},
	}
	link := regexp.MustCompile(`^(#name|#roles|#right_\d+_holder)?$`)
	f.Fuzz(func(t *testing.T, field, message string, status int) {
		fm := newForm("/", nil)
		p := apiProblem{Status: status, Detail: message}
		if field != "" {
			p.Errors = []fieldError{{Field: field, Message: message}}
		}
		fm.mapErrors(p, fields)
		if len(fm.list) != 1 {
			t.Fatalf("%d messages, want 1", len(fm.list))
		}
		if !link.MatchString(fm.list[0].Href) && !strings.HasPrefix(field, "decision_rights[") {
			t.Errorf("%q links to %q", field, fm.list[0].Href)
		}
		if strings.TrimSpace(fm.list[0].Text) == "" && message != "" {
			t.Errorf("%q %q gives no message", field, message)
		}
	})
}
