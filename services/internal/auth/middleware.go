package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/rs/zerolog"

	"github.com/together-coop/together/services/internal/problem"
)

// CSRF carriers: a form field for HTML forms, a header for scripts in the
// page.
const (
	CSRFField  = "csrf_token"
	CSRFHeader = "X-CSRF-Token"
)

// failure says why a request carries no identity, for the 401's detail.
type failure int

const (
	noCredentials failure = iota
	badToken
	expiredSession
)

// Authenticator puts the identity of a request's credentials in its
// context: a [Service] in the process that keeps the identities, a
// [Remote] in one that asks that process over NATS. Both answer alike.
type Authenticator interface {
	Authenticate(next http.Handler) http.Handler
}

var (
	_ Authenticator = (*Service)(nil)
	_ Authenticator = (*Remote)(nil)
)

// Authenticate puts the identity of the request's credentials in its
// context, for [FromContext] and [Require]: an "Authorization: Bearer"
// API token if there is an Authorization header (the session cookie is
// then ignored), otherwise the session cookie. A request without valid
// credentials passes on without an identity, so public routes keep
// working; [Require] refuses it where an identity is needed.
//
// A request authenticated by the session cookie with a method that may
// change state (anything but GET, HEAD, OPTIONS and TRACE) must carry the
// session's CSRF token in the csrf_token form field or the X-CSRF-Token
// header; otherwise it is refused here with 403. Bearer requests need
// none: a browser never adds an Authorization header by itself.
func (s *Service) Authenticate(next http.Handler) http.Handler {
	return authenticate(s, next)
}

// checker is what [authenticate] asks whom credentials belong to: the
// Service itself, or a [Remote] that asks the Service over NATS. All the
// rest of authenticating a request is the same code for both, so that
// the two cannot drift apart.
type checker interface {
	check(ctx context.Context, c credentials) (verdict, error)
	refusalCounter
	secure(r *http.Request) bool
	// logger is where errors go when the request's context has no logger.
	logger() *zerolog.Logger
}

// authenticate is [Service.Authenticate] and [Remote.Authenticate].
func authenticate(c checker, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), countersKey, refusalCounter(c))
		r = r.WithContext(ctx)
		creds, v, decided := readCredentials(r)
		if !decided {
			var err error
			if v, err = c.check(ctx, creds); err != nil {
				what := "checking a session"
				if creds.Kind == kindBearer {
					what = "checking a bearer token"
				}
				log := zerolog.Ctx(ctx)
				if log.GetLevel() == zerolog.Disabled {
					log = c.logger()
				}
				if r.Context().Err() != nil {
					// The client left while it was checked: nothing failed
					// that an operator could mend.
					log.Debug().Err(err).Msg("the request ended while " + what)
				} else {
					log.Error().Err(err).Msg(what)
				}
				problem.Write(w, r, http.StatusServiceUnavailable, "identities cannot be checked just now; try again")
				return
			}
		}
		switch v.Outcome {
		case outcomeNone:
			next.ServeHTTP(w, r)
		case outcomeBadToken:
			next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, failureKey, badToken)))
		case outcomeExpired:
			clearSessionCookie(w, c.secure(r))
			next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, failureKey, expiredSession)))
		case outcomeOK:
			ctx = WithIdentity(ctx, *v.Identity)
			if creds.Kind == kindSession {
				if changesState(r.Method) && !validCSRF(r, v.CSRF) {
					c.refused("csrf")
					problem.Write(w, r, http.StatusForbidden,
						"this request came with a session cookie but without the session's CSRF token (form field csrf_token or header X-CSRF-Token); reload the page and try again")
					return
				}
				ctx = context.WithValue(ctx, sessionCtxKey, &session{Identity: *v.Identity, CSRF: v.CSRF})
			}
			next.ServeHTTP(w, r.WithContext(ctx))
		}
	})
}

// readCredentials reads the credentials of r. decided is true when they
// need no checking against the stores (there are none, or they cannot be
// valid), and v is then the verdict.
func readCredentials(r *http.Request) (c credentials, v verdict, decided bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, secret, _ := strings.Cut(h, " ")
		secret = strings.TrimSpace(secret)
		if !strings.EqualFold(scheme, "Bearer") || len(secret) > maxTokenLen {
			return credentials{}, verdict{Outcome: outcomeBadToken}, true
		}
		return credentials{Kind: kindBearer, Secret: secret}, verdict{}, false
	}
	cookie, err := r.Cookie(SessionCookie)
	if err != nil {
		return credentials{}, verdict{Outcome: outcomeNone}, true
	}
	if cookie.Value == "" || len(cookie.Value) > maxSessionIDLen {
		return credentials{}, verdict{Outcome: outcomeExpired}, true
	}
	return credentials{Kind: kindSession, Secret: cookie.Value}, verdict{}, false
}

// check is the decision itself, made where the identities are kept.
func (s *Service) check(ctx context.Context, c credentials) (verdict, error) {
	switch c.Kind {
	case kindBearer:
		id, err := s.VerifyToken(ctx, c.Secret)
		switch {
		case errors.Is(err, ErrInvalidToken) || errors.Is(err, ErrRevoked):
			return verdict{Outcome: outcomeBadToken}, nil
		case err != nil:
			return verdict{}, err
		}
		return verdict{Outcome: outcomeOK, Identity: &id}, nil
	case kindSession:
		sess, err := s.session(ctx, c.Secret)
		switch {
		case errors.Is(err, ErrNotFound) || errors.Is(err, ErrSessionExpired):
			return verdict{Outcome: outcomeExpired}, nil
		case err != nil:
			return verdict{}, err
		}
		return verdict{Outcome: outcomeOK, Identity: &sess.Identity, CSRF: sess.CSRF}, nil
	}
	return verdict{}, fmt.Errorf("%w: credentials of kind %q", ErrMalformed, c.Kind)
}

func changesState(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return false
	}
	return true
}

// validCSRF compares the request's token with the session's in constant
// time. The form is read only for form bodies, so a JSON body is left for
// its handler.
func validCSRF(r *http.Request, want string) bool {
	got := r.Header.Get(CSRFHeader)
	if got == "" {
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if mt == "application/x-www-form-urlencoded" || mt == "multipart/form-data" {
			r.Body = http.MaxBytesReader(nil, r.Body, 1<<20)
			got = r.PostFormValue(CSRFField)
		}
	}
	return got != "" && want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// Require serves h only to an identity that holds perm: a request without
// one is answered 401 with "WWW-Authenticate: Bearer", one whose role
// lacks perm 403, both as problem+json. Wrap each route in the permission
// it needs, and the whole mux in [Service.Authenticate].
func Require(perm Permission, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := FromContext(r.Context())
		if !ok {
			unauthenticated(w, r)
			return
		}
		if !id.Can(perm) {
			refuse(r.Context(), "forbidden")
			problem.Write(w, r, http.StatusForbidden, "the role "+string(id.Role)+" does not allow you to "+string(perm))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// RequireIdentity serves h to any authenticated identity, whatever its
// role.
func RequireIdentity(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := FromContext(r.Context()); !ok {
			unauthenticated(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func unauthenticated(w http.ResponseWriter, r *http.Request) {
	refuse(r.Context(), "unauthenticated")
	why, _ := r.Context().Value(failureKey).(failure)
	// A person at a browser is sent to sign in; a program gets the problem.
	if (r.Method == http.MethodGet || r.Method == http.MethodHead) && strings.Contains(r.Header.Get("Accept"), "text/html") {
		http.Redirect(w, r, "/sign-in", http.StatusSeeOther)
		return
	}
	switch why {
	case badToken:
		w.Header().Set("WWW-Authenticate", `Bearer realm="together", error="invalid_token"`)
		problem.Write(w, r, http.StatusUnauthorized, "the Authorization header does not hold a valid bearer token (unknown, revoked or malformed)")
	case expiredSession:
		w.Header().Set("WWW-Authenticate", `Bearer realm="together"`)
		problem.Write(w, r, http.StatusUnauthorized, "your session has expired; sign in again at /sign-in")
	default:
		w.Header().Set("WWW-Authenticate", `Bearer realm="together"`)
		problem.Write(w, r, http.StatusUnauthorized, "this needs an identity: send Authorization: Bearer <API token>, or sign in at /sign-in")
	}
}

// refusalCounter lets the package-level Require count refusals in the
// metrics of the Service that authenticated the request.
type refusalCounter interface{ refused(reason string) }

func refuse(ctx context.Context, reason string) {
	if c, ok := ctx.Value(countersKey).(refusalCounter); ok {
		c.refused(reason)
	}
}

func (s *Service) refused(reason string) { s.m.refusals.WithLabelValues(reason).Inc() }
