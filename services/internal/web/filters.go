package web

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Filters are what a page is about: the programme (on the overview), a
// window of business time and the day the system knew it on, as typed
// into the filter form, with what is wrong with them.
type Filters struct {
	Programme string
	From      DateValues
	To        DateValues
	AsOf      DateValues
	Errors    []ErrorLink
	// Query is the API's query for the filters, when there are no errors.
	Query url.Values
	// from, to (exclusive) and asOf as parsed; zero when not given.
	from, to, asOf time.Time
}

// The filter form's fields: a date input per date, named as nhsuk's
// namePrefix names them.
var dateFields = []struct{ key, label string }{
	{"from", "From"}, {"to", "To"}, {"as_of", "As the system knew it on"},
}

// parseFilters reads the filter form in v: dates are taken in loc, "to"
// includes its day, and "as of" a day means the end of that day (or now,
// for today). now is the site's clock.
func parseFilters(v url.Values, loc *time.Location, now time.Time) Filters {
	f := Filters{Programme: strings.TrimSpace(v.Get("programme")), Query: url.Values{}}
	get := func(key string) DateValues {
		return DateValues{
			Day:   strings.TrimSpace(v.Get(key + "[day]")),
			Month: strings.TrimSpace(v.Get(key + "[month]")),
			Year:  strings.TrimSpace(v.Get(key + "[year]")),
		}
	}
	f.From, f.To, f.AsOf = get("from"), get("to"), get("as_of")
	var fromDay, toDay time.Time
	for _, d := range []struct {
		key, what string
		in        DateValues
		out       *time.Time
	}{{"from", "The start of the period", f.From, &fromDay}, {"to", "The end of the period", f.To, &toDay}, {"as_of", "The day the system knew it on", f.AsOf, &f.asOf}} {
		t, msg := parseDate(d.in, loc)
		if msg != "" {
			f.Errors = append(f.Errors, ErrorLink{Content: Content{Text: d.what + " " + msg}, Href: "#" + d.key + "-" + firstBad(d.in)})
			continue
		}
		*d.out = t
	}
	today := dayStart(now, loc)
	switch {
	case !f.asOf.IsZero() && f.asOf.After(today):
		f.Errors = append(f.Errors, ErrorLink{Content: Content{Text: "The day the system knew it on must be today or in the past"}, Href: "#as_of-day"})
	case !fromDay.IsZero() && !toDay.IsZero() && toDay.Before(fromDay):
		f.Errors = append(f.Errors, ErrorLink{Content: Content{Text: "The end of the period must be the same as or after the start"}, Href: "#to-day"})
	}
	if len(f.Errors) > 0 {
		f.Query = nil
		return f
	}
	if f.Programme != "" {
		f.Query.Set("programme", f.Programme)
	}
	if !fromDay.IsZero() {
		f.from = fromDay
		f.Query.Set("from", fromDay.Format(time.DateOnly))
	}
	if !toDay.IsZero() {
		f.to = toDay.AddDate(0, 0, 1)
		f.Query.Set("to", f.to.Format(time.DateOnly))
	}
	if !f.asOf.IsZero() && f.asOf.Before(today) {
		// Known on that day: everything recorded before the next began.
		f.asOf = f.asOf.AddDate(0, 0, 1)
		f.Query.Set("as_of", f.asOf.Format(time.DateOnly))
	} else {
		f.asOf = time.Time{}
	}
	return f
}

// parseDate reads a date typed as day, month and year: all empty is no
// date. It returns what is wrong, in words for the error message.
func parseDate(d DateValues, loc *time.Location) (time.Time, string) {
	if d.Day == "" && d.Month == "" && d.Year == "" {
		return time.Time{}, ""
	}
	var missing []string
	for _, p := range []struct{ name, v string }{{"day", d.Day}, {"month", d.Month}, {"year", d.Year}} {
		if p.v == "" {
			missing = append(missing, p.name)
		}
	}
	if len(missing) > 0 {
		return time.Time{}, "must include a " + strings.Join(missing, " and a ")
	}
	day, e1 := strconv.Atoi(d.Day)
	month, e2 := strconv.Atoi(d.Month)
	year, e3 := strconv.Atoi(d.Year)
	if e1 != nil || e2 != nil || e3 != nil || len(d.Year) != 4 {
		return time.Time{}, "must be a real date, like 31 3 2026"
	}
	t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, loc)
	if t.Day() != day || int(t.Month()) != month || year < 1990 {
		return time.Time{}, "must be a real date, like 31 3 2026"
	}
	return t, ""
}

// firstBad names the first box of d to fix, for the error summary's link.
func firstBad(d DateValues) string {
	switch {
	case d.Day == "" || !digits(d.Day):
		return "day"
	case d.Month == "" || !digits(d.Month):
		return "month"
	case d.Year == "" || !digits(d.Year) || len(d.Year) != 4:
		return "year"
	}
	return "day"
}

func digits(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}

func dayStart(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// errorFor returns the error message for the date field key, or nil.
func (f Filters) errorFor(key string) *ErrorMessage {
	for _, e := range f.Errors {
		if strings.HasPrefix(e.Href, "#"+key+"-") {
			return &ErrorMessage{Content: e.Content}
		}
	}
	return nil
}

// DateInputs returns the filter form's date inputs.
func (f Filters) DateInputs() []DateInput {
	values := map[string]DateValues{"from": f.From, "to": f.To, "as_of": f.AsOf}
	hints := map[string]string{
		"from":  "Count what happened from this day. For example, 1 4 2026",
		"to":    "Up to and including this day. For example, 31 3 2027",
		"as_of": "Leave empty for today. An earlier day shows the figures exactly as they were known then, before any later corrections",
	}
	var out []DateInput
	for _, d := range dateFields {
		v := values[d.key]
		di := DateInput{
			ID: d.key, NamePrefix: d.key, Values: &v,
			Fieldset:     &Fieldset{Legend: &Legend{Content: Content{Text: d.label}, Size: "s"}},
			Hint:         &Hint{Content: Content{Text: hints[d.key]}},
			ErrorMessage: f.errorFor(d.key),
		}
		out = append(out, di)
	}
	return out
}

// Summary returns the error summary of the filter form, or nil.
func (f Filters) Summary() *ErrorSummary {
	if len(f.Errors) == 0 {
		return nil
	}
	return &ErrorSummary{Heading: &Content{Text: "There is a problem"}, ErrorList: f.Errors}
}

// Window describes the period in words.
func (f Filters) Window() string {
	switch {
	case f.from.IsZero() && f.to.IsZero():
		return "all time"
	case f.to.IsZero():
		return "from " + longDate(f.from)
	case f.from.IsZero():
		return "up to and including " + longDate(f.to.AddDate(0, 0, -1))
	}
	return longDate(f.from) + " to " + longDate(f.to.AddDate(0, 0, -1))
}

func longDate(t time.Time) string { return t.Format("2 January 2006") }

// refusedBy says whether err is the reports refusing the filters (a query
// they cannot answer, or a programme unknown at that time) and, if so,
// shows it on the form and drops the query. Any other error is not the
// filters' and is left to the caller.
func (f *Filters) refusedBy(err error) bool {
	var qe *QueryError
	switch {
	case errors.As(err, &qe):
		f.Errors = append(f.Errors, ErrorLink{Content: Content{Text: qe.Detail}, Href: "#programme"})
	case errors.Is(err, ErrNotFound) && f.Programme != "":
		f.Errors = append(f.Errors, ErrorLink{Content: Content{Text: "There is no programme called " + f.Programme + " at that time"}, Href: "#programme"})
	default:
		return false
	}
	f.Query = nil
	return true
}
