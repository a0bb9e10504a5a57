package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
)

// Kind says how an identity signed in.
type Kind string

// The kinds of identity.
const (
	// KindToken is an API token held by a script or a service.
	KindToken Kind = "token"
	// KindUser is a local account that signed in with a password.
	KindUser Kind = "user"
	// KindOIDC is a person signed in through the organisation's identity
	// provider (OpenID Connect).
	KindOIDC Kind = "oidc"
)

// Identity is who is making a request. ID is stable for as long as the
// token, account or provider subject exists, and is what the audit trail
// records as the actor: "token:<uuid>", "user:<uuid>" or
// "oidc:<issuer-hash>:<sub>". Name is for display only; it may change, and
// [Directory] maps an ID back to the current one.
type Identity struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Role Role   `json:"role"`
	Kind Kind   `json:"kind"`
}

// Can reports whether the identity holds permission p.
func (id Identity) Can(p Permission) bool { return Allowed(id.Role, p) }

// TokenID is the identity ID of the API token with the given id.
func TokenID(id string) string { return "token:" + id }

// UserID is the identity ID of the local account with the given id.
func UserID(id string) string { return "user:" + id }

// OIDCID is the identity ID of subject sub at the given issuer. The issuer
// is hashed (16 hex digits of SHA-256) because an issuer URL is long and
// only needs to keep two providers' subjects apart.
func OIDCID(issuer, sub string) string {
	h := sha256.Sum256([]byte(issuer))
	return "oidc:" + hex.EncodeToString(h[:8]) + ":" + sub
}

type contextKey int

const (
	identityKey contextKey = iota
	sessionCtxKey
	failureKey
	countersKey
)

// WithIdentity returns a context carrying id. [Authenticator.Authenticate]
// calls it; tests and in-process callers may too.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, identityKey, id)
}

// FromContext returns the identity a request was authenticated as, and
// false when it carries none.
func FromContext(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(identityKey).(Identity)
	return id, ok
}

// CSRFToken returns the anti-forgery token of the browser session that
// authenticated the request, for a form's hidden csrf_token field; empty
// when the request did not come with a session cookie.
func CSRFToken(ctx context.Context) string {
	s, _ := ctx.Value(sessionCtxKey).(*session)
	if s == nil {
		return ""
	}
	return s.CSRF
}

// Anonymous is the actor recorded when a request carries no identity.
const Anonymous = "anonymous"

// ActorID returns the ID of the request's identity, to record as an
// event's actor; [Anonymous] if it has none.
func ActorID(ctx context.Context) string {
	if id, ok := FromContext(ctx); ok {
		return id.ID
	}
	return Anonymous
}
