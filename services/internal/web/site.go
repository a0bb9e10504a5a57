package web

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"time"

	"github.com/rs/zerolog"
	"github.com/together-coop/together/projections"
)

// ContentSecurityPolicy is the policy the pages need, and the gateway
// should send with them: nothing but the site's own files. nhsuk's inline
// js-enabled snippet is served as a file (static/together/js-enabled.js),
// so no script hash is needed, and charts use presentation attributes
// rather than inline styles.
const ContentSecurityPolicy = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"

// ServiceName is the name in the header.
const ServiceName = "together"

// ErrInvalidOption is returned by [New] for an option that cannot work.
var ErrInvalidOption = errors.New("invalid option")

// Option configures [New].
type Option func(*options) error

type options struct {
	commands http.Handler
	reads    http.Handler
	audit    http.Handler
	actions  Actions
	packs    Packs
	account  func(*http.Request) *HeaderAccount
	log      zerolog.Logger
	now      func() time.Time
	loc      *time.Location
	months   int
	footer   []FooterLink
	services bool
}

// WithActions lists a project's actions for the overdue list. Default:
// none, and the project page says the list is not available.
func WithActions(a Actions) Option {
	return func(o *options) error {
		if a == nil {
			return fmt.Errorf("%w: actions is nil", ErrInvalidOption)
		}
		o.actions = a
		return nil
	}
}

// WithCommands lets the site record: h serves the command routes
// (POST /api/v1/projects …, and GET /api/v1/stakeholders/{id}, which opens
// a person's details), and each form runs its command through h in
// process, as the signed-in caller. Default: no forms, and the pages say
// that recording is done elsewhere.
func WithCommands(h http.Handler) Option {
	return func(o *options) error {
		if h == nil {
			return fmt.Errorf("%w: commands handler is nil", ErrInvalidOption)
		}
		o.commands = h
		return nil
	}
}

// WithReads gives the site the read API (GET /api/v1/projects,
// /engagements, /feedback, /actions, /stakeholders and their details), for
// the lists, the pages of what was recorded and the forms' choices.
// Default: none, and those pages are not served.
func WithReads(h http.Handler) Option {
	return func(o *options) error {
		if h == nil {
			return fmt.Errorf("%w: reads handler is nil", ErrInvalidOption)
		}
		o.reads = h
		return nil
	}
}

// WithAudit gives the auditor's page the verification of the hash chains
// (GET /api/v1/audit/verify). Default: none, and the page says so.
func WithAudit(h http.Handler) Option {
	return func(o *options) error {
		if h == nil {
			return fmt.Errorf("%w: audit handler is nil", ErrInvalidOption)
		}
		o.audit = h
		return nil
	}
}

// WithAccount says who is signed in, for the header: their name and a
// sign-out form (an [AccountItem] with Action and the CSRF token in
// Fields). Default: no account links.
func WithAccount(f func(*http.Request) *HeaderAccount) Option {
	return func(o *options) error {
		o.account = f
		return nil
	}
}

// WithLogger logs pages that fail. Default: zerolog.Nop().
func WithLogger(l zerolog.Logger) Option {
	return func(o *options) error {
		o.log = l
		return nil
	}
}

// WithClock sets the clock. Default: time.Now.
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return fmt.Errorf("%w: clock is nil", ErrInvalidOption)
		}
		o.now = now
		return nil
	}
}

// WithLocation sets the programme's time zone, in which typed dates are
// read; it must be the reports'. Default: Europe/London.
func WithLocation(loc *time.Location) Option {
	return func(o *options) error {
		if loc == nil {
			return fmt.Errorf("%w: location is nil", ErrInvalidOption)
		}
		o.loc = loc
		return nil
	}
}

// WithMonths sets how many months of new and returning voices a project
// page shows when no period is chosen. Default: 6; at most 24.
func WithMonths(n int) Option {
	return func(o *options) error {
		if n < 1 || n > 24 {
			return fmt.Errorf("%w: months must be from 1 to 24, not %d", ErrInvalidOption, n)
		}
		o.months = n
		return nil
	}
}

// WithFooterLinks sets the footer's support links (accessibility
// statement, privacy notice, …). Default: none.
func WithFooterLinks(links ...FooterLink) Option {
	return func(o *options) error {
		o.footer = links
		return nil
	}
}

// Site is the web front end: the pages and their static files. It is
// safe for concurrent use.
type Site struct {
	reports Reports
	opts    options
	assets  *assets
	pages   map[string]*template.Template
	comps   *template.Template
}

// New returns the site over reports. Options: [WithCommands], [WithReads],
// [WithAudit], [WithActions], [WithPacks],
// [WithAccount], [WithLogger], [WithClock], [WithLocation], [WithMonths],
// [WithFooterLinks].
func New(reports Reports, opts ...Option) (*Site, error) {
	if reports == nil {
		return nil, fmt.Errorf("%w: reports is nil", ErrInvalidOption)
	}
	o := options{log: zerolog.Nop(), now: time.Now, loc: projections.DefaultLocation(), months: 6}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	a, err := newAssets()
	if err != nil {
		return nil, fmt.Errorf("static files: %w", err)
	}
	s := &Site{reports: reports, opts: o, assets: a, pages: map[string]*template.Template{}}
	base, err := template.New("site").Funcs(funcs(a.URL)).ParseFS(templateFS, "templates/components.tmpl", "templates/layout.tmpl", "templates/charts.tmpl", "templates/fields.tmpl")
	if err != nil {
		return nil, fmt.Errorf("parse templates: %w", err)
	}
	s.comps = base
	for _, page := range []string{"overview", "project", "you-said-we-did", "problem", "form", "list", "record", "audit", "timeline", "duty", "definitions", "annual-pack"} {
		t, err := template.Must(base.Clone()).ParseFS(templateFS, "templates/"+page+".tmpl")
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", page, err)
		}
		s.pages[page] = t
	}
	return s, nil
}

// Routes adds the pages to mux: the programme overview at /, a project at
// /projects/{id}, its printable "You said, we did" at
// /projects/{id}/you-said-we-did, the statutory reports (duty to involve,
// influence, representativeness, reach, reciprocity) at /reports with
// their definitions at /reports/definitions, the annual pack at
// /reports/annual-pack (with [WithPacks]), and the static files under
// /static/.
func (s *Site) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", s.overview)
	mux.HandleFunc("GET /projects/{id}", s.project)
	mux.HandleFunc("GET /projects/{id}/you-said-we-did", s.youSaid)
	mux.Handle("GET /static/", s.assets)
	mux.HandleFunc("GET "+dutyPath, s.duty)
	mux.HandleFunc("GET "+definitionsPath, s.definitions)
	if s.opts.packs != nil {
		mux.HandleFunc("GET "+annualPackPath, s.annualPack)
		mux.HandleFunc("GET "+packDocPath, s.packDocument)
		mux.HandleFunc("GET "+packCSVPath, s.packSpreadsheets)
	}
	if s.opts.reads != nil {
		s.readRoutes(mux)
		s.auditRoutes(mux)
	}
	if s.opts.reads != nil && s.opts.commands != nil {
		s.recordRoutes(mux)
	}
}

// Page is what the layout needs around a page's content.
type Page struct {
	Title      string
	Skip       SkipLink
	Header     Header
	Footer     Footer
	Breadcrumb *Breadcrumb
	Back       *BackLink
	Banner     *Banner
	Errors     *ErrorSummary
	Print      bool
	Content    any
}

// Banner is a notification banner: with Success, what was just recorded.
type Banner struct {
	Success bool
	Text    string
}

func (s *Site) page(r *http.Request, title string, content any) Page {
	h := Header{Logo: HeaderLogo{Href: "/"}, Service: HeaderService{Text: ServiceName, Href: "/"}}
	if s.opts.account != nil {
		h.Account = s.opts.account(r)
	}
	h.Navigation = s.navigation(r)
	return Page{Title: title, Header: h, Footer: Footer{Meta: FooterMeta{Items: s.opts.footer}}, Content: content,
		Banner: recordedBanner(r)}
}

// render writes the page; a failure to render is the site's fault.
func (s *Site) render(w http.ResponseWriter, r *http.Request, status int, name string, p Page) {
	var b bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&b, "layout", p); err != nil {
		s.opts.log.Error().Err(err).Str("page", name).Msg("render page")
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

// Problem is an error page's content.
type Problem struct {
	Heading string
	Detail  string
	Back    string
}

func (s *Site) problem(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, ErrNotFound):
		s.render(w, r, http.StatusNotFound, "problem", s.page(r, "Page not found", Problem{
			Heading: "Page not found", Detail: "There is no project or programme at this address, or there was none at the moment you asked about.", Back: "/"}))
	default:
		s.opts.log.Error().Err(err).Str("path", r.URL.Path).Msg("page")
		s.render(w, r, http.StatusServiceUnavailable, "problem", s.page(r, "Sorry, there is a problem with the service", Problem{
			Heading: "Sorry, there is a problem with the service", Detail: "Try again later.", Back: "/"}))
	}
}

// get fetches and decodes one report.
func (s *Site) get(r *http.Request, name string, q url.Values, v any) error {
	b, err := s.reports.Report(r, name, q)
	if err != nil {
		return err
	}
	return decode(name, b, v)
}

func (s *Site) overview(w http.ResponseWriter, r *http.Request) {
	now := s.opts.now()
	f := parseFilters(r.URL.Query(), s.opts.loc, now)
	var all programmeDoc
	if err := s.get(r, "programme", url.Values{}, &all); err != nil {
		s.problem(w, r, err)
		return
	}
	var prog programmeDoc
	var part participationDoc
	var ft followThroughDoc
	if f.Query != nil {
		err := s.get(r, "programme", f.Query, &prog)
		if err == nil {
			err = s.get(r, "participation", f.Query, &part)
		}
		if err == nil {
			err = s.get(r, "follow-through", f.Query, &ft)
		}
		if err != nil && !f.refusedBy(err) {
			s.problem(w, r, err)
			return
		}
	}
	o := overviewOf(f, prog, part, ft, all, now)
	p := s.page(r, "Programme overview", o)
	status := http.StatusOK
	if f.Query == nil {
		p.Errors = f.Summary()
		p.Title = "Error: " + p.Title
		status = http.StatusBadRequest
	}
	s.render(w, r, status, "overview", p)
}

func (s *Site) projectInputs(r *http.Request, id string, f Filters) (projectInputs, error) {
	var in projectInputs
	q := withProject(f.Query, id)
	for _, g := range []struct {
		name string
		v    any
	}{{"programme", &in.Programme}, {"participation", &in.Participation}, {"follow-through", &in.FollowThrough},
		{"decisions", &in.Decisions}, {"influence", &in.Influence}} {
		if err := s.get(r, g.name, q, g.v); err != nil {
			return in, err
		}
	}
	for _, m := range s.months(f, in.Participation.AsOf) {
		mq := withProject(f.Query, id)
		mq.Set("from", m.from.Format(time.DateOnly))
		mq.Set("to", m.to.Format(time.DateOnly))
		var doc participationDoc
		if err := s.get(r, "participation", mq, &doc); err != nil {
			return in, err
		}
		in.Months = append(in.Months, Month{Label: m.from.Format("January 2006"), Doc: doc})
	}
	if s.opts.actions != nil {
		as, err := s.opts.actions.ProjectActions(r, id, in.Participation.AsOf)
		if err != nil {
			return in, err
		}
		in.Actions, in.ActionsKnown = as, true
	}
	return in, nil
}

type month struct{ from, to time.Time }

// months returns the calendar months to split voices by: those of the
// window (up to 24), or the last few up to the as-of day.
func (s *Site) months(f Filters, asOf time.Time) []month {
	loc := s.opts.loc
	first := func(t time.Time) time.Time {
		y, m, _ := t.In(loc).Date()
		return time.Date(y, m, 1, 0, 0, 0, 0, loc)
	}
	end := first(asOf).AddDate(0, 1, 0)
	if !f.to.IsZero() && f.to.Before(end) {
		end = first(f.to.Add(-time.Nanosecond)).AddDate(0, 1, 0)
	}
	start := end.AddDate(0, -s.opts.months, 0)
	if !f.from.IsZero() {
		start = first(f.from)
		if end.Sub(start) > 24*31*24*time.Hour {
			start = end.AddDate(0, -24, 0)
		}
	}
	var out []month
	for m := start; m.Before(end); m = m.AddDate(0, 1, 0) {
		// A month is cut to the period, so that its figures are the
		// period's.
		from, to := m, m.AddDate(0, 1, 0)
		if !f.from.IsZero() && f.from.After(from) {
			from = f.from
		}
		if !f.to.IsZero() && f.to.Before(to) {
			to = f.to
		}
		out = append(out, month{from, to})
	}
	return out
}

func (s *Site) project(w http.ResponseWriter, r *http.Request) {
	now := s.opts.now()
	id := r.PathValue("id")
	f := parseFilters(r.URL.Query(), s.opts.loc, now)
	f.Programme = ""
	if f.Query == nil {
		// The filters are wrong: show the form and its errors, and
		// nothing computed from them.
		f2 := f
		f2.Query = url.Values{}
		in, err := s.projectInputs(r, id, f2)
		if err != nil {
			s.problem(w, r, err)
			return
		}
		pp := projectOf(id, f, in, projections.DateIn(now, s.opts.loc), now)
		p := s.page(r, "Error: "+pp.Name, pp)
		p.Errors = f.Summary()
		s.render(w, r, http.StatusBadRequest, "project", p)
		return
	}
	in, err := s.projectInputs(r, id, f)
	var qe *QueryError
	if errors.As(err, &qe) {
		f.Errors = append(f.Errors, ErrorLink{Content: Content{Text: qe.Detail}, Href: "#from-day"})
		f.Query = nil
		in, err = s.projectInputs(r, id, Filters{Query: url.Values{}})
	}
	if err != nil {
		s.problem(w, r, err)
		return
	}
	// Overdue is judged on the day of as-of, as the reports judge it.
	pp := projectOf(id, f, in, projections.DateIn(in.Participation.AsOf, s.opts.loc), now)
	p := s.page(r, pp.Name, pp)
	p.Breadcrumb = &Breadcrumb{Items: []BreadcrumbItem{{Content: Content{Text: "Programme overview"}, Href: "/" + queryString(f.Query, "project")}}}
	status := http.StatusOK
	if f.Query == nil {
		p.Errors, p.Title, status = f.Summary(), "Error: "+p.Title, http.StatusBadRequest
	}
	s.render(w, r, status, "project", p)
}

func (s *Site) youSaid(w http.ResponseWriter, r *http.Request) {
	now := s.opts.now()
	id := r.PathValue("id")
	f := parseFilters(r.URL.Query(), s.opts.loc, now)
	f.Programme = ""
	if f.Query == nil {
		f = Filters{Query: url.Values{}}
	}
	q := withProject(f.Query, id)
	var prog programmeDoc
	var inf influenceDoc
	err := s.get(r, "programme", q, &prog)
	if err == nil {
		err = s.get(r, "influence", q, &inf)
	}
	if err != nil {
		s.problem(w, r, err)
		return
	}
	name, programme := "", ""
	if len(prog.Projects) > 0 {
		name, programme = prog.Projects[0].Name, prog.Projects[0].Programme
	}
	y := youSaidOf(id, f, inf, name, programme, knownOn(f, inf.AsOf, now))
	p := s.page(r, "You said, we did: "+name, y)
	p.Print = true
	s.render(w, r, http.StatusOK, "you-said-we-did", p)
}
