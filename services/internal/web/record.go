package web

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/together-coop/together/services/internal/auth"
)

// maxFormBytes bounds a form's body; the largest command body is 64 KiB.
const maxFormBytes = 128 << 10

// recordForm is one form that records something through the API.
type recordForm struct {
	// load finds what the form is about (the engagement with its
	// invitees, the project with its elements); nil for nothing.
	load func(s *Site, r *http.Request) (any, error)
	// page lays out the form's fields on f for what load found.
	page func(s *Site, r *http.Request, f *Form, about any) FormPage
	// commands turns the form into the commands to send, recording on f
	// what is wrong with what was typed; nothing is sent if anything is.
	commands func(s *Site, r *http.Request, f *Form, about any) []commandCall
	// fields places the commands' broken field rules on the form.
	fields map[string]apiField
	// rejections say in plain English, beside the field at fault, what
	// the API refused for the state of things (a day in the future, an
	// action already done).
	rejections []rejection
	// done is where the browser goes once it is recorded, given what
	// load found and the last command's answer.
	done func(r *http.Request, about any, res commandResult) string
}

// commandCall is one command a form sends.
type commandCall struct {
	path string
	body map[string]any
	// key tells apart each of several commands of one form (the person
	// invited): it is added to the form's Idempotency-Key.
	key string
	// who names what the command is about, in front of its errors, for a
	// form that sends several.
	who string
	// field, if set, renames a broken rule's field before it is placed:
	// a form that leaves out empty rows sends a list whose indexes are
	// not the rows'.
	field func(string) string
}

// rejection is a refusal of the API, told apart by its detail.
type rejection struct {
	detail        *regexp.Regexp
	id, href, msg string
}

// rejected places a refusal the form knows on its field, and reports
// whether it did.
func (f *Form) rejected(p apiProblem, rs []rejection) bool {
	if len(p.Errors) > 0 {
		return false
	}
	for _, rj := range rs {
		if rj.detail.MatchString(p.Detail) {
			href := rj.href
			if href == "" {
				href = rj.id
			}
			f.fail(rj.id, href, rj.msg)
			return true
		}
	}
	return false
}

// commandResult is a command's answer.
type commandResult struct {
	ID       string `json:"id"`
	Position uint64 `json:"position"`
	Replayed bool   `json:"replayed"`
}

// serveForm serves a form: GET shows it with a fresh Idempotency-Key, POST
// sends its commands and, once they are recorded, sends the browser on
// with 303 See Other; otherwise it shows the form again with what is
// wrong, keeping the key, so that correcting it and sending it again
// records once.
func (s *Site) serveForm(rf recordForm) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var about any
		if rf.load != nil {
			var err error
			if about, err = rf.load(s, r); err != nil {
				s.problem(w, r, err)
				return
			}
		}
		f := newForm(r.URL.RequestURI(), nil)
		status := http.StatusOK
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
			if err := r.ParseForm(); err != nil {
				s.render(w, r, http.StatusBadRequest, "problem", s.page(r, "The form could not be read", Problem{
					Heading: "The form could not be read", Detail: "What was sent is too long, or is not a form. Go back and try again.", Back: "/"}))
				return
			}
			f = newForm(r.URL.RequestURI(), r.PostForm)
			calls := rf.commands(s, r, f, about)
			if !f.HasErrors() {
				res, code := s.send(r, f, calls, rf)
				if !f.HasErrors() {
					http.Redirect(w, r, rf.done(r, about, res), http.StatusSeeOther)
					return
				}
				status = code
			} else {
				status = http.StatusBadRequest
			}
		}
		f.CSRF = auth.CSRFToken(r.Context())
		fp := rf.page(s, r, f, about)
		fp.Form = f
		p := s.page(r, fp.Title, fp)
		if fp.Back != nil {
			p.Back = &BackLink{Href: fp.Back.Href, Content: Content{Text: fp.Back.Text}}
		}
		if f.HasErrors() {
			p.Errors, p.Title = f.Summary(), "Error: "+p.Title
		}
		s.render(w, r, status, "form", p)
	}
}

// send runs the commands in order through the command routes, as the
// caller, each with the form's Idempotency-Key. It records on f what the
// API refused, and returns the last answer and the status to show the
// form again with.
func (s *Site) send(r *http.Request, f *Form, calls []commandCall, rf recordForm) (commandResult, int) {
	var last commandResult
	status := http.StatusOK
	for _, c := range calls {
		key := f.Key
		if c.key != "" {
			key += "-" + c.key
		}
		a, err := callAPI(s.opts.commands, r, http.MethodPost, c.path, nil, c.body, key)
		if err != nil {
			s.opts.log.Error().Err(err).Str("path", c.path).Msg("send a command")
			f.failForm(problemText(apiProblem{Status: http.StatusInternalServerError}))
			return last, http.StatusInternalServerError
		}
		if !a.OK() {
			p := a.Problem()
			if c.field != nil {
				for i := range p.Errors {
					p.Errors[i].Field = c.field(p.Errors[i].Field)
				}
			}
			before := len(f.list)
			if !f.rejected(p, rf.rejections) {
				f.mapErrors(p, rf.fields)
			}
			if c.who != "" {
				for i := before; i < len(f.list); i++ {
					f.list[i].Text = c.who + ": " + lowerFirst(f.list[i].Text)
				}
			}
			status = a.Status
			continue
		}
		if err := json.Unmarshal(a.Body, &last); err != nil {
			f.failForm(problemText(apiProblem{Status: http.StatusInternalServerError}))
			return last, http.StatusInternalServerError
		}
	}
	return last, status
}

// forms are the forms by path; each is served for GET (show) and POST
// (record).
var forms = map[string]recordForm{
	"/stakeholders/new":                           registerForm,
	"/engagements/new":                            planForm,
	"/engagements/{id}/invite":                    inviteForm,
	"/engagements/{id}/answer":                    answerForm,
	"/engagements/{id}/attendance":                attendanceForm,
	"/feedback/new":                               feedbackForm,
	"/actions/new":                                agreeForm,
	"/actions/{id}/complete":                      completeForm,
	"/actions/{id}/reschedule":                    rescheduleForm,
	"/actions/{id}/drop":                          dropForm,
	"/actions/{id}/communicate":                   communicateForm,
	"/projects/{id}/elements/{element_id}/decide": decideForm,
	"/projects/{id}/duty":                         dutyForm,
}

// formPaths are the paths of the forms, for the route policy.
var formPaths = func() []string {
	out := make([]string, 0, len(forms))
	for p := range forms {
		out = append(out, p)
	}
	return out
}()

// recordRoutes adds the forms.
func (s *Site) recordRoutes(mux *http.ServeMux) {
	for path, rf := range forms {
		h := s.serveForm(rf)
		mux.Handle("GET "+path, h)
		mux.Handle("POST "+path, h)
	}
}

// queryID reads an id from the form's address, such as the
// project a new engagement is for.
func queryID(r *http.Request, key string) string { return strings.TrimSpace(r.URL.Query().Get(key)) }

func optionsOf[T ~string](values []T, name func(string) string) []option {
	out := make([]option, len(values))
	for i, v := range values {
		out[i] = option{value: string(v), text: name(string(v))}
	}
	return out
}

func yesNoOptions(yes, no string) []option {
	return []option{{"yes", yes, ""}, {"no", no, ""}}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
