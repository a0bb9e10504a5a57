package auth

import (
	_ "embed"
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"github.com/rs/zerolog"
)

//go:embed signin.html
var signInHTML string

var signInTemplate = template.Must(template.New("signin").Parse(signInHTML))

type signInData struct {
	Message string
	// CSRF is set when the browser already has a session: the form is then
	// a cookie-authenticated request like any other.
	CSRF     string
	OIDC     bool
	Continue string
}

func (s *Service) signInPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	s.page(w, status, signInData{Message: msg, OIDC: s.oidc != nil, CSRF: CSRFToken(r.Context())})
}

func (s *Service) continuePage(w http.ResponseWriter, to string) {
	s.page(w, http.StatusOK, signInData{Continue: to})
}

func (s *Service) page(w http.ResponseWriter, status int, d signInData) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	w.WriteHeader(status)
	_ = signInTemplate.Execute(w, d)
}

// signIn checks a username and password from the sign-in form and starts
// a session. Failures count against the username, and a username with
// too many recent failures is refused without checking its password.
func (s *Service) signIn(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	username, err := normalizeUsername(r.PostFormValue("username"))
	password := r.PostFormValue("password")
	if err != nil || password == "" {
		s.m.signIns.WithLabelValues("password", "refused").Inc()
		s.signInPage(w, r, http.StatusBadRequest, "Enter your username and your password.")
		return
	}
	fail := func(err error) {
		zerolog.Ctx(ctx).Error().Err(err).Msg("sign-in")
		s.m.signIns.WithLabelValues("password", "error").Inc()
		s.signInPage(w, r, http.StatusServiceUnavailable, "Signing in is not possible just now. Please try again.")
	}
	wait, err := s.throttled(ctx, username)
	if err != nil {
		fail(err)
		return
	}
	if wait > 0 {
		s.m.signIns.WithLabelValues("password", "throttled").Inc()
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Round(time.Second)/time.Second)))
		s.signInPage(w, r, http.StatusTooManyRequests, "Too many failed attempts for this username. Please wait "+humanMinutes(wait)+" and try again.")
		return
	}
	u, err := s.checkCredentials(ctx, username, password)
	if errors.Is(err, ErrBadCredentials) {
		if err := s.failed(ctx, username); err != nil {
			fail(err)
			return
		}
		s.m.signIns.WithLabelValues("password", "refused").Inc()
		s.signInPage(w, r, http.StatusUnauthorized, "The username or password is wrong.")
		return
	}
	if err != nil {
		fail(err)
		return
	}
	if err := s.succeeded(ctx, username); err != nil {
		fail(err)
		return
	}
	id := Identity{ID: UserID(u.ID), Name: u.Name, Role: u.Role, Kind: KindUser}
	sid, _, err := s.startSession(ctx, id, u.Generation)
	if err != nil {
		fail(err)
		return
	}
	s.m.signIns.WithLabelValues("password", "ok").Inc()
	s.log.Info().Str("identity", id.ID).Msg("signed in")
	s.setSessionCookie(w, r, sid)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// signOut ends the session of the cookie. [Service.Authenticate] has
// already checked its CSRF token, so another site cannot sign people out.
func (s *Service) signOut(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(SessionCookie); err == nil {
		if err := s.endSession(r.Context(), c.Value); err != nil {
			zerolog.Ctx(r.Context()).Error().Err(err).Msg("sign-out")
		}
	}
	s.clearSessionCookie(w, r)
	http.Redirect(w, r, "/sign-in", http.StatusSeeOther)
}

func humanMinutes(d time.Duration) string {
	m := int((d + time.Minute - 1) / time.Minute)
	if m <= 1 {
		return "a minute"
	}
	return strconv.Itoa(m) + " minutes"
}
