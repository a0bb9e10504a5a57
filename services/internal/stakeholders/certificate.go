package stakeholders

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/stakeholder"
	"github.com/together-coop/together/projections/ledger"
	"github.com/together-coop/together/services/internal/command"
	"github.com/together-coop/together/services/internal/problem"
)

// Attended is one engagement a person came to, as their certificate
// lists it.
type Attended struct {
	EngagementID string
	Title        string
	Method       string
	HeldOn       events.Date
	Project      string
}

// Attendance answers which held engagements a stakeholder was named
// among the attendees of, in the order they were held. The stakeholder's
// own stream does not say: attendance is recorded on each engagement.
type Attendance interface {
	Attended(ctx context.Context, stakeholderID string) ([]Attended, error)
}

// LedgerAttendance answers from the reports' ledger; read runs f under
// the ledger's owner's lock (reports.Runner.Read). The ledger follows the
// store, so an attendance recorded a moment ago may not be listed yet.
func LedgerAttendance(read func(f func(*ledger.Ledger))) Attendance {
	return ledgerAttendance(read)
}

type ledgerAttendance func(f func(*ledger.Ledger))

func (read ledgerAttendance) Attended(_ context.Context, stakeholderID string) ([]Attended, error) {
	var out []Attended
	read(func(l *ledger.Ledger) {
		for _, id := range l.EngagementOrder {
			en := l.Engagements.Get(id)
			if en == nil || en.Held == nil || !en.Held.Attended(stakeholderID) {
				continue
			}
			a := Attended{EngagementID: en.ID, Title: en.Title, Method: en.Method, HeldOn: en.Held.HeldOn}
			if p := l.Projects.Get(en.ProjectID); p != nil {
				a.Project = p.Name
			}
			out = append(out, a)
		}
	})
	slices.SortStableFunc(out, func(a, b Attended) int { return a.HeldOn.Time().Compare(b.HeldOn.Time()) })
	return out, nil
}

// Certificates serves GET /api/v1/stakeholders/{id}/certificate: a
// printable certificate of participation naming the person and listing
// the engagements they came to. It opens the person's name with their key,
// as the stakeholder record does, so it needs the same permission.
type Certificates struct {
	x          *command.Executor
	keys       Keyring
	attendance Attendance
	opts       certificateOptions
}

type certificateOptions struct {
	now    func() time.Time
	loc    *time.Location
	issuer string
	log    zerolog.Logger
}

// CertificateOption changes how certificates are made.
type CertificateOption func(*certificateOptions) error

// WithCertificateClock sets the clock that dates a certificate.
func WithCertificateClock(now func() time.Time) CertificateOption {
	return func(o *certificateOptions) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", events.ErrInvalidOption)
		}
		o.now = now
		return nil
	}
}

// WithCertificateLocation sets the time zone a certificate is dated in
// (default Europe/London).
func WithCertificateLocation(loc *time.Location) CertificateOption {
	return func(o *certificateOptions) error {
		if loc == nil {
			return fmt.Errorf("%w: nil location", events.ErrInvalidOption)
		}
		o.loc = loc
		return nil
	}
}

// WithIssuer names who issues the certificates ("South Tyneside
// co-production programme"); without it the certificate names nobody.
func WithIssuer(name string) CertificateOption {
	return func(o *certificateOptions) error {
		if len(name) > 200 {
			return fmt.Errorf("%w: issuer longer than 200 bytes", events.ErrInvalidOption)
		}
		o.issuer = strings.TrimSpace(name)
		return nil
	}
}

// WithCertificateLogger sets the logger (default none). Nothing personal
// is logged.
func WithCertificateLogger(l zerolog.Logger) CertificateOption {
	return func(o *certificateOptions) error { o.log = l; return nil }
}

// NewCertificates returns the certificate endpoint over the stakeholder
// streams (x), the keyring and an [Attendance].
func NewCertificates(x *command.Executor, keys Keyring, attendance Attendance, opts ...CertificateOption) (*Certificates, error) {
	if x == nil || keys == nil || attendance == nil {
		return nil, fmt.Errorf("%w: certificates need the executor, the keyring and the attendance", events.ErrInvalidOption)
	}
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		return nil, err
	}
	o := certificateOptions{now: time.Now, loc: loc, log: zerolog.Nop()}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	return &Certificates{x: x, keys: keys, attendance: attendance, opts: o}, nil
}

// Routes adds GET /api/v1/stakeholders/{id}/certificate.
func (c *Certificates) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/stakeholders/{id}/certificate", c.certificate)
}

//go:embed certificate
var certificateFS embed.FS

var (
	certificateTemplate = template.Must(template.ParseFS(certificateFS, "certificate/certificate.html.tmpl"))
	certificateCSS      = template.CSS(mustRead(certificateFS.ReadFile("certificate/certificate.css")))
)

func mustRead(b []byte, err error) []byte {
	if err != nil {
		panic(err) // embedded at build time
	}
	return b
}

type certificatePage struct {
	CSS      template.CSS
	Name     string
	Issuer   string
	IssuedOn string
	Rows     []certificateRow
}

type certificateRow struct{ Title, Date, Method, Project string }

// certificate answers the certificate as HTML: 404 for nobody, 410 for a
// person who was erased (their name is gone), 404 too for someone who
// came to no engagement yet, with a problem saying which.
func (c *Certificates) certificate(w http.ResponseWriter, r *http.Request) {
	id, err := command.PathID(r, "id")
	if err != nil {
		problem.WriteError(w, r, err)
		return
	}
	st, err := Aggregate.Load(r.Context(), c.x, id)
	if err != nil {
		problem.WriteError(w, r, err)
		return
	}
	if st.Erased {
		problem.Write(w, r, http.StatusGone, fmt.Sprintf("stakeholder %s was erased: no certificate can name them", id))
		return
	}
	plain, err := c.keys.Open(r.Context(), id, st.PII)
	if isDestroyed(err) {
		problem.Write(w, r, http.StatusGone, fmt.Sprintf("stakeholder %s was erased: no certificate can name them", id))
		return
	}
	if err != nil {
		problem.WriteError(w, r, err)
		return
	}
	var pii stakeholder.PII
	if err := json.Unmarshal(plain, &pii); err != nil {
		problem.WriteError(w, r, err)
		return
	}
	attended, err := c.attendance.Attended(r.Context(), id)
	if err != nil {
		problem.WriteError(w, r, err)
		return
	}
	if len(attended) == 0 {
		problem.Write(w, r, http.StatusNotFound, fmt.Sprintf("stakeholder %s is not recorded as having come to any engagement yet, so there is nothing to certify", id))
		return
	}
	page := certificatePage{CSS: certificateCSS, Name: pii.Name, Issuer: c.opts.issuer,
		IssuedOn: c.opts.now().In(c.opts.loc).Format("2 January 2006")}
	for _, a := range attended {
		page.Rows = append(page.Rows, certificateRow{Title: a.Title, Date: a.HeldOn.Time().Format("2 January 2006"), Method: methodName(a.Method), Project: a.Project})
	}
	var b bytes.Buffer
	if err := certificateTemplate.Execute(&b, page); err != nil {
		c.opts.log.Error().Err(err).Msg("render a certificate")
		problem.WriteError(w, r, errors.New("the certificate could not be made"))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// A name is personal data: no cache keeps it, and the page loads
	// nothing from anywhere.
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	h.Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(b.Bytes())
}

var methodNames = map[string]string{"workshop": "Workshop", "co_production_event": "Co-production event", "focus_group": "Focus group",
	"survey": "Survey", "interview": "Interview", "online_board": "Online board", "meeting": "Meeting"}

func methodName(m string) string {
	if s, ok := methodNames[m]; ok {
		return s
	}
	return strings.ReplaceAll(m, "_", " ")
}
