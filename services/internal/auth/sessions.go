package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// SessionCookie is the name of the browser session cookie. Its value is
// an opaque random id; the bucket keeps only its SHA-256, so a copy of the
// bucket signs nobody in.
const SessionCookie = "together_session"

// session is a browser session as stored.
type session struct {
	Identity  Identity  `json:"identity"`
	CSRF      string    `json:"csrf"`
	CreatedAt time.Time `json:"created_at"`
	LastSeen  time.Time `json:"last_seen"`
	// Generation is the account's password generation at sign-in (local
	// accounts only); a reset ends the session.
	Generation int `json:"generation"`
}

// ErrSessionExpired is returned when a session is past its idle or
// absolute expiry, or its account was disabled or reset since.
var ErrSessionExpired = errors.New("session expired")

// maxSessionIDLen bounds a session cookie's value: anything longer is
// none this package made.
const maxSessionIDLen = 100

func sessionKey(id string) string { return keyHash("sessions.", id) }

// startSession stores a new session for id and returns its cookie value.
func (s *Service) startSession(ctx context.Context, id Identity, generation int) (string, *session, error) {
	sid := randomString(32)
	now := s.now().UTC()
	sess := &session{Identity: id, CSRF: randomString(32), CreatedAt: now, LastSeen: now, Generation: generation}
	data, err := json.Marshal(sess)
	if err != nil {
		return "", nil, err
	}
	if _, err := s.sessions.Create(ctx, sessionKey(sid), data); err != nil {
		return "", nil, fmt.Errorf("store session: %w", err)
	}
	return sid, sess, nil
}

// session returns the live session with cookie value sid, with its
// identity brought up to date (a local account's role and name may have
// changed). It records use at most once per minute, so that a busy page
// does not write on every request.
func (s *Service) session(ctx context.Context, sid string) (*session, error) {
	if sid == "" || len(sid) > maxSessionIDLen {
		return nil, ErrNotFound
	}
	key := sessionKey(sid)
	var sess session
	rev, err := getJSON(ctx, s.sessions, key, &sess)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	if !now.Before(sess.CreatedAt.Add(s.lifetime)) || !now.Before(sess.LastSeen.Add(s.idle)) {
		_ = s.sessions.Delete(ctx, key)
		return nil, ErrSessionExpired
	}
	if sess.Identity.Kind == KindUser {
		var u userRecord
		_, err := getJSON(ctx, s.state, userKey(sess.Identity.ID[len("user:"):]), &u)
		if errors.Is(err, ErrNotFound) || err == nil && (u.DisabledAt != nil || u.Generation != sess.Generation) {
			_ = s.sessions.Delete(ctx, key)
			return nil, ErrSessionExpired
		}
		if err != nil {
			return nil, err
		}
		sess.Identity.Role, sess.Identity.Name = u.Role, u.Name
	}
	if now.Sub(sess.LastSeen) >= time.Minute {
		sess.LastSeen = now
		if data, err := json.Marshal(sess); err == nil {
			// Another request may have touched it first: either write will do.
			_, _ = s.sessions.Update(ctx, key, data, rev)
		}
	}
	return &sess, nil
}

// endSession forgets a session.
func (s *Service) endSession(ctx context.Context, sid string) error {
	if sid == "" || len(sid) > maxSessionIDLen {
		return nil
	}
	return s.sessions.Delete(ctx, sessionKey(sid))
}

// setSessionCookie gives the browser its session id. SameSite=Strict keeps
// other sites' pages from sending it at all; the CSRF token covers
// browsers that ignore SameSite.
func (s *Service) setSessionCookie(w http.ResponseWriter, r *http.Request, sid string) {
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: sid, Path: "/",
		MaxAge:   int(s.lifetime / time.Second),
		HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteStrictMode,
	})
}

func (s *Service) clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	clearSessionCookie(w, s.secure(r))
}

func clearSessionCookie(w http.ResponseWriter, secure bool) {
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode,
	})
}

func (s *Service) secure(r *http.Request) bool { return s.secureCookies || r.TLS != nil }
