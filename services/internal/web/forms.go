package web

import (
	"crypto/rand"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Form is a form as a page shows it: where it posts, the hidden fields
// every form carries, what was typed and what is wrong with it.
type Form struct {
	Action string
	// CSRF is the session's anti-forgery token (empty for a caller that
	// did not sign in with a browser session, which needs none).
	CSRF string
	// Key is the Idempotency-Key the commands of this form are sent with:
	// made when the form is first shown and carried on through every
	// correction, so that a second click, or a retry after an error,
	// records once.
	Key    string
	Submit string
	Cancel string
	// Fields are the form's fields in order.
	Fields []Field
	// Intro is shown above the fields: what the form is about.
	Intro *SummaryList

	values url.Values
	errs   map[string]string
	list   []ErrorLink
}

// Field is one field of a form: exactly one of its members is set.
type Field struct {
	Input    *Input
	Textarea *Textarea
	Select   *Select
	Choices  *Choices
	Date     *DateInput
	// Group is a fieldset of fields, such as one decision right's holder
	// and right.
	Group *FieldGroup
	// Para is a paragraph between fields.
	Para string
}

// FieldGroup is fields under a legend.
type FieldGroup struct {
	ID     string
	Legend string
	Hint   string
	Fields []Field
}

func newForm(action string, v url.Values) *Form {
	if v == nil {
		v = url.Values{}
	}
	f := &Form{Action: action, values: v, errs: map[string]string{}}
	if k := v.Get("idempotency_key"); validKey(k) {
		f.Key = k
	} else {
		f.Key = rand.Text()
	}
	return f
}

var keyPattern = regexp.MustCompile(`^[A-Z2-7]{16,64}$`)

// validKey reports whether k looks like a key this package made; anything
// else is replaced, so that no value a page did not make reaches a header.
func validKey(k string) bool { return keyPattern.MatchString(k) }

// Errors returns the error summary, or nil.
func (f *Form) Summary() *ErrorSummary {
	if len(f.list) == 0 {
		return nil
	}
	return &ErrorSummary{Heading: &Content{Text: "There is a problem"}, ErrorList: f.list}
}

// HasErrors reports whether anything is wrong.
func (f *Form) HasErrors() bool { return len(f.list) > 0 }

// fail records what is wrong with the field id; href is what the summary
// links to (the id, or a date's first box). The first message of a field
// wins.
func (f *Form) fail(id, href, msg string) {
	if strings.TrimSpace(msg) == "" {
		msg = "Check your answers"
	}
	if _, ok := f.errs[id]; ok && id != "" {
		return
	}
	if id != "" {
		f.errs[id] = msg
	}
	l := ErrorLink{Content: Content{Text: msg}}
	if href != "" {
		l.Href = "#" + href
	}
	f.list = append(f.list, l)
}

// failForm records a problem with the whole form, linked to no field.
func (f *Form) failForm(msg string) { f.fail("", "", msg) }

func (f *Form) errorFor(id string) *ErrorMessage {
	if m, ok := f.errs[id]; ok {
		return &ErrorMessage{Content: Content{Text: m}}
	}
	return nil
}

func (f *Form) get(name string) string { return strings.TrimSpace(f.values.Get(name)) }

func (f *Form) all(name string) []string {
	var out []string
	for _, v := range f.values[name] {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func hint(text string) *Hint {
	if text == "" {
		return nil
	}
	return &Hint{Content: Content{Text: text}}
}

// text is a text input.
func (f *Form) text(name, label, hintText string) Field {
	in := &Input{Value: f.values.Get(name)}
	in.ID, in.Name = name, name
	in.Label = Label{Content: Content{Text: label}, Size: "s"}
	in.Hint, in.ErrorMessage = hint(hintText), f.errorFor(name)
	return Field{Input: in}
}

// number is a text input for a whole number, as nhsuk asks for numbers.
func (f *Form) number(name, label, hintText string) Field {
	fl := f.text(name, label, hintText)
	fl.Input.Inputmode, fl.Input.Width, fl.Input.Spellcheck = "numeric", 5, ptr(false)
	return fl
}

// area is a textarea.
func (f *Form) area(name, label, hintText string) Field {
	t := &Textarea{Value: f.values.Get(name)}
	t.ID, t.Name = name, name
	t.Label = Label{Content: Content{Text: label}, Size: "s"}
	t.Hint, t.ErrorMessage = hint(hintText), f.errorFor(name)
	return Field{Textarea: t}
}

// option is one choice of a select, radios or checkboxes.
type option struct {
	value, text, hint string
}

// choose is a select; the first option is an empty "Choose …" when
// placeholder is set.
func (f *Form) choose(name, label, hintText, placeholder string, opts []option) Field {
	s := &Select{Value: f.values.Get(name)}
	s.ID, s.Name = name, name
	s.Label = Label{Content: Content{Text: label}, Size: "s"}
	s.Hint, s.ErrorMessage = hint(hintText), f.errorFor(name)
	if placeholder != "" {
		s.Items = append(s.Items, SelectItem{Value: ptr(""), Text: placeholder})
	}
	for _, o := range opts {
		s.Items = append(s.Items, SelectItem{Value: ptr(o.value), Text: o.text})
	}
	return Field{Select: s}
}

func (f *Form) choices(name, legend, hintText string, opts []option, radio bool) Field {
	c := &Choices{Name: name, IDPrefix: name, Radio: radio, Values: f.values[name], Value: f.values.Get(name)}
	c.Fieldset = &Fieldset{Legend: &Legend{Content: Content{Text: legend}, Size: "s"}}
	c.Hint, c.ErrorMessage = hint(hintText), f.errorFor(name)
	for _, o := range opts {
		it := ChoiceItem{Content: Content{Text: o.text}, Value: o.value}
		if o.hint != "" {
			it.Hint = &Hint{Content: Content{Text: o.hint}}
		}
		c.Items = append(c.Items, it)
	}
	return Field{Choices: c}
}

// radios are radios in a fieldset.
func (f *Form) radios(name, legend, hintText string, opts []option) Field {
	return f.choices(name, legend, hintText, opts, true)
}

// checks are checkboxes in a fieldset.
func (f *Form) checks(name, legend, hintText string, opts []option) Field {
	return f.choices(name, legend, hintText, opts, false)
}

// date is nhsuk's date input: day, month and year boxes named
// name[day], name[month] and name[year].
func (f *Form) date(name, legend, hintText string) Field {
	v := f.dateValues(name)
	return Field{Date: &DateInput{
		ID: name, NamePrefix: name, Values: &v,
		Fieldset:     &Fieldset{Legend: &Legend{Content: Content{Text: legend}, Size: "s"}},
		Hint:         hint(hintText),
		ErrorMessage: f.errorFor(name),
	}}
}

func (f *Form) dateValues(name string) DateValues {
	return DateValues{Day: f.get(name + "[day]"), Month: f.get(name + "[month]"), Year: f.get(name + "[year]")}
}

// day reads the date input name as a day: what says what the date is,
// for the messages ("The day it was held"). A missing date is an error
// when required. It returns the day as YYYY-MM-DD, or "".
func (f *Form) day(name, what string, required bool, loc *time.Location) string {
	d := f.dateValues(name)
	if d == (DateValues{}) {
		if required {
			f.fail(name, name+"-day", "Enter "+lowerFirst(what))
		}
		return ""
	}
	t, msg := parseDate(d, loc)
	if msg != "" {
		f.fail(name, name+"-"+firstBad(d), what+" "+msg)
		return ""
	}
	return t.Format(time.DateOnly)
}

// wholeNumber reads a whole number from 0 up; empty is 0.
func (f *Form) wholeNumber(name, what string) int {
	raw := strings.ReplaceAll(f.get(name), ",", "")
	if raw == "" {
		return 0
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 0 {
		f.fail(name, name, what+" must be a whole number, like 3")
		return 0
	}
	return n
}

// yesNo reads radios of "yes" and "no"; with neither it records msg.
func (f *Form) yesNo(name, msg string) bool {
	switch f.get(name) {
	case "yes":
		return true
	case "no":
		return false
	}
	f.fail(name, name, msg)
	return false
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// apiField says where a field of a command's body is on the form, and how
// to say in plain English that it is missing or wrong.
type apiField struct {
	// id is the form field; href what the error summary links to
	// (default the id).
	id, href string
	// required is the message for a missing value; invalid, if set, for
	// any other broken rule (else what names the field before the API's
	// own words).
	required, invalid, what string
}

var indexPattern = regexp.MustCompile(`\[(\d+)\]`)

// mapErrors puts a command's broken field rules on the form: each API
// field found in fields (list indexes written [] in its key, and %d in
// its id for the index counted from 1) beside its form field, anything
// else at the top.
func (f *Form) mapErrors(p apiProblem, fields map[string]apiField) {
	for _, e := range p.Errors {
		key := indexPattern.ReplaceAllString(e.Field, "[]")
		af, ok := fields[key]
		m := indexPattern.FindStringSubmatch(e.Field)
		if ok && m == nil && strings.Contains(af.id, "%d") {
			ok = false // a list field without its index names no row
		}
		if !ok {
			f.failForm(strings.TrimSpace(upperFirst(strings.ReplaceAll(e.Field, "_", " ")) + " " + e.Message))
			continue
		}
		if m != nil && strings.Contains(af.id, "%d") {
			n, _ := strconv.Atoi(m[1])
			af.id = strings.Replace(af.id, "%d", strconv.Itoa(n+1), 1)
			af.href = strings.Replace(af.href, "%d", strconv.Itoa(n+1), 1)
		}
		href := af.href
		if href == "" {
			href = af.id
		}
		msg := af.invalid
		switch {
		case strings.HasPrefix(e.Message, "is required"), strings.HasPrefix(e.Message, "needs at least one"):
			msg = af.required
		case strings.HasPrefix(e.Message, "is longer than"):
			msg = af.what + " " + strings.Replace(e.Message, "is longer than", "must be at most", 1) + " long"
		case msg == "":
			msg = af.what + " " + e.Message
		}
		if strings.TrimSpace(msg) == "" {
			msg = "Check this answer"
		}
		f.fail(af.id, href, upperFirst(strings.TrimSpace(msg)))
	}
	if len(p.Errors) == 0 {
		f.failForm(problemText(p))
	}
}

// problemText says in plain words what a problem without field errors
// means for the person at the form.
func problemText(p apiProblem) string {
	switch p.Status {
	case 404:
		return "This has not been recorded, or was recorded so recently that it is not shown yet: " + p.Detail
	case 409:
		return upperFirst(p.Detail) + ". Nothing was recorded"
	case 422:
		return "This form was sent before with different answers, so it was not recorded again. Go back to the page it came from and start again"
	case 503, 500, 0:
		return "Sorry, the answers could not be recorded just now. Nothing has been lost: select the button again and they will be recorded once"
	}
	if p.Detail == "" {
		return "The answers could not be recorded"
	}
	return upperFirst(p.Detail)
}

// hiddenFields are the hidden fields every form carries.
func (f *Form) Hidden() map[string]string {
	h := map[string]string{"idempotency_key": f.Key}
	if f.CSRF != "" {
		h["csrf_token"] = f.CSRF
	}
	return h
}

// para is a paragraph between fields.
func para(s string) Field { return Field{Para: s} }

// group puts fields under a legend.
func group(id, legend, hintText string, fields ...Field) Field {
	return Field{Group: &FieldGroup{ID: id, Legend: legend, Hint: hintText, Fields: fields}}
}
