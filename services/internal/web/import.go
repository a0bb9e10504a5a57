package web

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/together-coop/together/services/internal/auth"
	"github.com/together-coop/together/services/internal/command"
	"github.com/together-coop/together/services/internal/importer"
	"github.com/together-coop/together/services/internal/importer/importapi"
)

// MaxImportUpload bounds the upload of a file to import. A browser sends
// it as a form with the session's CSRF token, and the identity layer
// reads at most 1 MiB of a form to find the token.
const MaxImportUpload = 1 << 20

// uploadSize is [MaxImportUpload] in words.
const uploadSize = "1 MB"

// sentence starts s with a capital letter, leaving the rest as it is.
func sentence(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// ImportOption configures [NewImport].
type ImportOption func(*importOptions) error

type importOptions struct {
	ttl             time.Duration
	perOwner, total int
}

// WithReviewLimits bounds the files waiting for review: each waits at
// most ttl, a person has at most perOwner waiting and everyone together
// total. They hold personal data, in memory only. Default: 30 minutes, 3
// and 32.
func WithReviewLimits(ttl time.Duration, perOwner, total int) ImportOption {
	return func(o *importOptions) error {
		if ttl <= 0 || perOwner < 1 || total < perOwner {
			return fmt.Errorf("%w: review limits need a positive time and 1 <= per person <= total", ErrInvalidOption)
		}
		o.ttl, o.perOwner, o.total = ttl, perOwner, total
		return nil
	}
}

// Import is the import of a spreadsheet for recorders: upload a CSV file
// at /import, check what it would record at /import/{id}, approve. Nothing
// is recorded before the approval; the file is kept in memory until then
// (or until it expires, or is discarded) and is never written to disk.
type Import struct {
	site    *Site
	api     http.Handler
	pages   map[string]*template.Template
	waiting *waitingImports
}

// NewImport returns the import pages of site. api serves the API's
// command and read routes (stakeholders and engagements) in process, as
// the person signed in: each row is a sub-request to it, carrying the
// page request's context and so its identity. Serve api behind the same
// policy as the API. Options: [WithReviewLimits].
func NewImport(site *Site, api http.Handler, opts ...ImportOption) (*Import, error) {
	if site == nil || api == nil {
		return nil, fmt.Errorf("%w: the import needs the site and the API", ErrInvalidOption)
	}
	o := importOptions{ttl: 30 * time.Minute, perOwner: 3, total: 32}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	im := &Import{site: site, api: api, pages: map[string]*template.Template{},
		waiting: &waitingImports{opts: o, now: site.opts.now, m: map[string]*waitingImport{}}}
	for _, page := range []string{"import", "import-review"} {
		t, err := template.Must(site.comps.Clone()).ParseFS(templateFS, "templates/"+page+".tmpl")
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", page, err)
		}
		im.pages[page] = t
	}
	return im, nil
}

// Routes adds the import pages to mux.
func (im *Import) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /import", im.form)
	mux.HandleFunc("POST /import", im.upload)
	mux.HandleFunc("GET /import/{id}", im.review)
	mux.HandleFunc("POST /import/{id}/approve", im.approve)
	mux.HandleFunc("POST /import/{id}/discard", im.discard)
}

// ImportForm is the upload page's content.
type ImportForm struct {
	CSRF    string
	Kind    Choices
	File    Input
	Columns []ImportColumns
}

// ImportColumns describes the columns of one kind of file.
type ImportColumns struct {
	Title   string
	Columns []importer.Column
}

var kindTitles = map[importer.Kind]string{
	importer.Stakeholders: "Stakeholders",
	importer.Attendance:   "Attendance registers",
}

func (im *Import) formOf(r *http.Request, kind string, kindErr, fileErr string) ImportForm {
	f := ImportForm{CSRF: auth.CSRFToken(r.Context())}
	f.Kind = Choices{IDPrefix: "kind", Name: "kind", Radio: true, Value: kind,
		Fieldset: &Fieldset{Legend: &Legend{Content: Content{Text: "What does the file list?"}, Size: "m"}}}
	for _, k := range importer.Kinds() {
		f.Kind.Items = append(f.Kind.Items, ChoiceItem{Content: Content{Text: kindTitles[k]}, Value: string(k)})
		f.Columns = append(f.Columns, ImportColumns{Title: kindTitles[k], Columns: importer.Columns(k)})
	}
	f.Kind.Items[0].Hint = &Hint{Content: Content{Text: "People to register, one a row."}}
	f.Kind.Items[1].Hint = &Hint{Content: Content{Text: "Who came to engagements that were held: a row per person, and rows counting those not named."}}
	f.File = Input{Type: "file", field: field{ID: "file", Name: "file",
		Label:      Label{Content: Content{Text: "The file"}, Size: "m"},
		Hint:       &Hint{Content: Content{Text: "A CSV file of up to " + uploadSize + ". In Excel choose File, Save a copy, and “CSV UTF-8 (Comma delimited)”."}},
		Attributes: Attributes{"accept": ".csv,text/csv"}}}
	if kindErr != "" {
		f.Kind.ErrorMessage = &ErrorMessage{Content: Content{Text: kindErr}}
	}
	if fileErr != "" {
		f.File.ErrorMessage = &ErrorMessage{Content: Content{Text: fileErr}}
	}
	return f
}

func (im *Import) form(w http.ResponseWriter, r *http.Request) {
	im.render(w, r, http.StatusOK, "import", im.site.page(r, "Import a spreadsheet", im.formOf(r, "", "", "")))
}

func (im *Import) refuse(w http.ResponseWriter, r *http.Request, status int, kind, kindErr, fileErr string) {
	p := im.site.page(r, "Error: Import a spreadsheet", im.formOf(r, kind, kindErr, fileErr))
	p.Errors = &ErrorSummary{TitleText: "There is a problem"}
	if kindErr != "" {
		p.Errors.ErrorList = append(p.Errors.ErrorList, ErrorLink{Content: Content{Text: kindErr}, Href: "#kind"})
	}
	if fileErr != "" {
		p.Errors.ErrorList = append(p.Errors.ErrorList, ErrorLink{Content: Content{Text: fileErr}, Href: "#file"})
	}
	im.render(w, r, status, "import", p)
}

func (im *Import) upload(w http.ResponseWriter, r *http.Request) {
	if r.MultipartForm == nil {
		// Within the bound the whole form stays in memory: a file of
		// personal data never lands in a temporary file.
		r.Body = http.MaxBytesReader(w, r.Body, MaxImportUpload)
		if err := r.ParseMultipartForm(MaxImportUpload); err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				im.refuse(w, r, http.StatusRequestEntityTooLarge, "", "", "The file is larger than "+uploadSize+"; split it into several files")
				return
			}
			im.refuse(w, r, http.StatusBadRequest, "", "", "Choose a file to import")
			return
		}
	}
	defer r.MultipartForm.RemoveAll()
	kindValue := r.PostFormValue("kind")
	kind, kindErr := importer.ParseKind(kindValue)
	file, header, fileErr := r.FormFile("file")
	switch {
	case kindErr != nil && fileErr != nil:
		im.refuse(w, r, http.StatusBadRequest, "", "Choose what the file lists", "Choose a file to import")
		return
	case kindErr != nil:
		im.refuse(w, r, http.StatusBadRequest, "", "Choose what the file lists", "")
		return
	case fileErr != nil:
		im.refuse(w, r, http.StatusBadRequest, kindValue, "", "Choose a file to import")
		return
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, importer.MaxFileBytes+1))
	if err != nil {
		im.refuse(w, r, http.StatusBadRequest, kindValue, "", "The file could not be read; choose it again")
		return
	}
	f, err := importer.Parse(kind, data)
	if err != nil {
		im.refuse(w, r, http.StatusBadRequest, kindValue, "", sentence(err.Error()))
		return
	}
	id, err := im.waiting.add(auth.ActorID(r.Context()), &waitingImport{file: f, name: header.Filename})
	if err != nil {
		im.refuse(w, r, http.StatusTooManyRequests, kindValue, "", err.Error())
		return
	}
	http.Redirect(w, r, "/import/"+id, http.StatusSeeOther)
}

// ImportReview is the review page's content, before or after the
// approval.
type ImportReview struct {
	ID       string
	CSRF     string
	Kind     string
	FileName string
	Rows     int
	Summary  string
	// Done says the file was approved: the statuses are what happened.
	Done       bool
	CanApprove bool
	// Failure says why an approval stopped before the end.
	Failure string
	// Ignored names the columns left out.
	Ignored  string
	Problems []importer.Problem
	Items    []ImportItem
}

// ImportItem is one stakeholder or engagement of the file.
type ImportItem struct {
	Rows   string
	ID     string
	Status Tag
}

var statusColours = map[importapi.Status]string{
	importapi.StatusNew: "blue", importapi.StatusAlreadyRecorded: "grey", importapi.StatusRecorded: "green", importapi.StatusProblem: "red",
}

func (im *Import) reviewOf(r *http.Request, id string, wi *waitingImport, rev *importapi.Review, done bool) ImportReview {
	v := ImportReview{ID: id, CSRF: auth.CSRFToken(r.Context()), Kind: kindTitles[rev.File.Kind], FileName: wi.name,
		Rows: rev.File.Rows, Summary: rev.Summary(), Done: done, Ignored: strings.Join(rev.File.Ignored, ", "), Problems: rev.Problems}
	v.CanApprove = !done && len(rev.Problems) == 0 && rev.Count(importapi.StatusNew) > 0
	for _, it := range rev.Items {
		rows := make([]string, len(it.Rows))
		for i, n := range it.Rows {
			rows[i] = strconv.Itoa(n)
		}
		v.Items = append(v.Items, ImportItem{Rows: strings.Join(rows, ", "), ID: it.ID,
			Status: Tag{Content: Content{Text: sentence(string(it.Status))}, Colour: statusColours[it.Status]}})
	}
	return v
}

func (im *Import) client(r *http.Request, f *importer.File) (*importapi.Client, error) {
	return importapi.New(importapi.Handler(im.api), importapi.WithClock(im.site.opts.now),
		importapi.WithHeader(command.HeaderRequestID, r.Header.Get(command.HeaderRequestID)),
		importapi.WithHeader(command.HeaderCorrelationID, "import-"+f.Hash[:32]))
}

// waitingOf finds the caller's import waiting for review, or answers
// that there is none.
func (im *Import) waitingOf(w http.ResponseWriter, r *http.Request) (string, *waitingImport, bool) {
	id := r.PathValue("id")
	wi, ok := im.waiting.get(auth.ActorID(r.Context()), id)
	if !ok {
		im.site.render(w, r, http.StatusNotFound, "problem", im.site.page(r, "This import is not waiting", Problem{
			Heading: "This import is not waiting for review",
			Detail: fmt.Sprintf("It was approved or discarded, or it waited more than %s, or it was started by someone else. Nothing more was recorded from it; import the file again to check it.",
				im.waiting.opts.ttl),
			Back: "/import"}))
		return "", nil, false
	}
	return id, wi, true
}

func (im *Import) review(w http.ResponseWriter, r *http.Request) {
	id, wi, ok := im.waitingOf(w, r)
	if !ok {
		return
	}
	c, err := im.client(r, wi.file)
	if err != nil {
		im.site.problem(w, r, err)
		return
	}
	rev, err := c.Review(r.Context(), wi.file)
	if err != nil {
		im.site.problem(w, r, err)
		return
	}
	im.render(w, r, http.StatusOK, "import-review", im.site.page(r, "Check the import", im.reviewOf(r, id, wi, rev, false)))
}

func (im *Import) approve(w http.ResponseWriter, r *http.Request) {
	id, wi, ok := im.waitingOf(w, r)
	if !ok {
		return
	}
	c, err := im.client(r, wi.file)
	if err != nil {
		im.site.problem(w, r, err)
		return
	}
	rev, err := c.Approve(r.Context(), wi.file)
	switch {
	case errors.Is(err, importapi.ErrProblems):
		im.render(w, r, http.StatusConflict, "import-review", im.site.page(r, "Error: Check the import", im.reviewOf(r, id, wi, rev, false)))
	case err != nil && rev != nil:
		// Stopped part way: keep the file, so that approving again
		// carries on (what was recorded replays).
		im.site.opts.log.Error().Err(err).Msg("import stopped")
		v := im.reviewOf(r, id, wi, rev, false)
		v.Failure = "The import stopped before the end: the service is unavailable. Approve again to carry on; nothing is recorded twice."
		v.CanApprove = true
		im.render(w, r, http.StatusServiceUnavailable, "import-review", im.site.page(r, "Error: Check the import", v))
	case err != nil:
		im.site.problem(w, r, err)
	default:
		im.waiting.remove(auth.ActorID(r.Context()), id)
		im.render(w, r, http.StatusOK, "import-review", im.site.page(r, "Import finished", im.reviewOf(r, id, wi, rev, true)))
	}
}

func (im *Import) discard(w http.ResponseWriter, r *http.Request) {
	im.waiting.remove(auth.ActorID(r.Context()), r.PathValue("id"))
	http.Redirect(w, r, "/import", http.StatusSeeOther)
}

// render writes an import page, as [Site.render] writes the others.
func (im *Import) render(w http.ResponseWriter, r *http.Request, status int, name string, p Page) {
	var b bytes.Buffer
	if err := im.pages[name].ExecuteTemplate(&b, "layout", p); err != nil {
		im.site.opts.log.Error().Err(err).Str("page", name).Msg("render page")
		http.Error(w, "The page could not be shown.", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// waitingImport is a file read and waiting for its review and approval.
type waitingImport struct {
	owner   string
	file    *importer.File
	name    string
	expires time.Time
}

// waitingImports holds the files waiting for review, in memory, bounded
// in number and time.
type waitingImports struct {
	opts importOptions
	now  func() time.Time
	mu   sync.Mutex
	m    map[string]*waitingImport
}

// errTooManyWaiting refuses a file while too many wait.
var errTooManyWaiting = errors.New("too many imports are waiting for review; approve or discard one, or try again later")

func (wm *waitingImports) add(owner string, wi *waitingImport) (string, error) {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails
	id := hex.EncodeToString(b)
	now := wm.now()
	wm.mu.Lock()
	defer wm.mu.Unlock()
	mine := 0
	for k, v := range wm.m {
		switch {
		case !now.Before(v.expires):
			delete(wm.m, k)
		case v.owner == owner:
			mine++
		}
	}
	if mine >= wm.opts.perOwner || len(wm.m) >= wm.opts.total {
		return "", errTooManyWaiting
	}
	wi.owner, wi.expires = owner, now.Add(wm.opts.ttl)
	wm.m[id] = wi
	return id, nil
}

func (wm *waitingImports) get(owner, id string) (*waitingImport, bool) {
	wm.mu.Lock()
	defer wm.mu.Unlock()
	wi, ok := wm.m[id]
	if !ok || wi.owner != owner {
		return nil, false
	}
	if !wm.now().Before(wi.expires) {
		delete(wm.m, id)
		return nil, false
	}
	return wi, true
}

func (wm *waitingImports) remove(owner, id string) {
	wm.mu.Lock()
	defer wm.mu.Unlock()
	if wi, ok := wm.m[id]; ok && wi.owner == owner {
		delete(wm.m, id)
	}
}
