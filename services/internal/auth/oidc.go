package auth

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// OIDCConfig says how to sign people in through an OpenID Connect
// provider, such as Microsoft Entra ID for NHS staff.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL, for Entra ID
	// https://login.microsoftonline.com/<tenant id>/v2.0.
	Issuer string
	// ClientID and ClientSecret are together's registration at the
	// provider.
	ClientID, ClientSecret string
	// RedirectURL is together's /auth/oidc/callback as the provider must
	// send browsers back to it, such as
	// https://together.example.nhs.uk/auth/oidc/callback.
	RedirectURL string
	// RoleClaim is the ID token claim that holds the person's groups or
	// app roles, a string or a list of strings. Default "roles" (Entra ID's
	// app roles).
	RoleClaim string
	// Roles maps claim values to together roles. The first mapping whose
	// value the person holds decides their role; a person holding none is
	// refused.
	Roles []RoleMapping
	// Scopes to ask for besides openid. Default profile and email.
	Scopes []string
}

// RoleMapping gives the together role of a claim value.
type RoleMapping struct {
	Value string
	Role  Role
}

// ParseRoleMappings reads "value=role,value=role" (as a flag or an
// environment variable gives it), keeping its order.
func ParseRoleMappings(s string) ([]RoleMapping, error) {
	var out []RoleMapping
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		i := strings.LastIndex(part, "=")
		if i <= 0 {
			return nil, fmt.Errorf("role mapping %q: want claim-value=role", part)
		}
		role, err := ParseRole(strings.TrimSpace(part[i+1:]))
		if err != nil {
			return nil, fmt.Errorf("role mapping %q: %w", part, err)
		}
		out = append(out, RoleMapping{Value: strings.TrimSpace(part[:i]), Role: role})
	}
	if len(out) == 0 {
		return nil, errors.New("no role mappings: without one, nobody could sign in")
	}
	return out, nil
}

// OIDC is a configured OpenID Connect provider. Pass it to [New] with
// [WithOIDC]. It is safe for concurrent use.
type OIDC struct {
	cfg      OIDCConfig
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
}

// NewOIDC fetches the provider's discovery document (and, later, its
// signing keys) over the network. ctx bounds the discovery only.
func NewOIDC(ctx context.Context, cfg OIDCConfig) (*OIDC, error) {
	switch {
	case cfg.Issuer == "" || cfg.ClientID == "" || cfg.RedirectURL == "":
		return nil, fmt.Errorf("%w: OIDC needs an issuer, a client id and a redirect URL", ErrInvalidOption)
	case len(cfg.Roles) == 0:
		return nil, fmt.Errorf("%w: OIDC needs at least one claim value mapped to a role", ErrInvalidOption)
	}
	if cfg.RoleClaim == "" {
		cfg.RoleClaim = "roles"
	}
	if cfg.Scopes == nil {
		cfg.Scopes = []string{"profile", "email"}
	}
	p, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("OIDC discovery at %s: %w", cfg.Issuer, err)
	}
	return &OIDC{
		cfg: cfg,
		oauth: oauth2.Config{
			ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURL,
			Endpoint: p.Endpoint(), Scopes: append([]string{oidc.ScopeOpenID}, cfg.Scopes...),
		},
		verifier: p.Verifier(&oidc.Config{ClientID: cfg.ClientID}),
	}, nil
}

// role returns the role the claims map to; false if none.
func (o *OIDC) role(claims map[string]any) (Role, bool) {
	held := map[string]bool{}
	switch v := claims[o.cfg.RoleClaim].(type) {
	case string:
		held[v] = true
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok {
				held[s] = true
			}
		}
	}
	for _, m := range o.cfg.Roles {
		if held[m.Value] {
			return m.Role, true
		}
	}
	return "", false
}

// oidcLogin is a login in flight, between the redirect to the provider
// and the browser's return. It is kept under the hash of its state and
// used once.
type oidcLogin struct {
	Nonce     string    `json:"nonce"`
	Verifier  string    `json:"verifier"`
	CreatedAt time.Time `json:"created_at"`
}

const (
	// oidcStateCookie binds a login to the browser that started it, so
	// that nobody can make a victim's browser finish the attacker's login.
	// It is SameSite=Lax: the provider sends the browser back with a
	// cross-site redirect, which a Strict cookie would not ride on.
	oidcStateCookie = "together_oidc_state"
	oidcLoginTTL    = 10 * time.Minute
)

func oidcLoginKey(state string) string { return keyHash("oidc.", state) }

// oidcStart redirects the browser to the provider with a fresh state,
// nonce and PKCE challenge.
func (s *Service) oidcStart(w http.ResponseWriter, r *http.Request) {
	state, nonce, verifier := randomString(32), randomString(32), oauth2.GenerateVerifier()
	data, _ := json.Marshal(oidcLogin{Nonce: nonce, Verifier: verifier, CreatedAt: s.now().UTC()})
	if _, err := s.sessions.Create(r.Context(), oidcLoginKey(state), data); err != nil {
		s.m.signIns.WithLabelValues("oidc", "error").Inc()
		s.signInPage(w, r, http.StatusServiceUnavailable, "Signing in is not possible just now. Please try again.")
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: oidcStateCookie, Value: state, Path: "/auth/oidc/", MaxAge: int(oidcLoginTTL / time.Second),
		HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode,
	})
	http.Redirect(w, r, s.oidc.oauth.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), http.StatusFound)
}

// oidcCallback finishes a login: it checks the state against the
// browser's cookie, exchanges the code with the PKCE verifier, verifies
// the ID token (signature, issuer, audience, expiry, nonce), maps the
// role claim and starts a session.
func (s *Service) oidcCallback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	refuse := func(status int, msg, reason string) {
		s.m.signIns.WithLabelValues("oidc", "refused").Inc()
		s.log.Info().Str("reason", reason).Msg("OIDC sign-in refused")
		s.signInPage(w, r, status, msg)
	}
	http.SetCookie(w, &http.Cookie{Name: oidcStateCookie, Path: "/auth/oidc/", MaxAge: -1, HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode})
	state := r.URL.Query().Get("state")
	c, err := r.Cookie(oidcStateCookie)
	if state == "" || err != nil || subtle.ConstantTimeCompare([]byte(c.Value), []byte(state)) != 1 {
		refuse(http.StatusBadRequest, "This sign-in link is not from this browser or has expired. Please sign in again.", "state mismatch")
		return
	}
	key := oidcLoginKey(state)
	var login oidcLogin
	_, err = getJSON(ctx, s.sessions, key, &login)
	if err != nil {
		refuse(http.StatusBadRequest, "This sign-in has expired or was already used. Please sign in again.", "unknown state")
		return
	}
	_ = s.sessions.Delete(ctx, key) // one use only
	if s.now().Sub(login.CreatedAt) > oidcLoginTTL {
		refuse(http.StatusBadRequest, "This sign-in has expired. Please sign in again.", "login expired")
		return
	}
	if e := r.URL.Query().Get("error"); e != "" {
		refuse(http.StatusUnauthorized, "Your organisation's sign-in did not let you in. Please try again or ask your administrator.", "provider error")
		return
	}
	tok, err := s.oidc.oauth.Exchange(ctx, r.URL.Query().Get("code"), oauth2.VerifierOption(login.Verifier))
	if err != nil {
		refuse(http.StatusUnauthorized, "Your organisation's sign-in could not be completed. Please try again.", "code exchange failed")
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := s.oidc.verifier.Verify(ctx, raw)
	if err != nil {
		refuse(http.StatusUnauthorized, "Your organisation's sign-in could not be verified. Please try again.", "id token invalid")
		return
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(login.Nonce)) != 1 {
		refuse(http.StatusUnauthorized, "Your organisation's sign-in could not be verified. Please try again.", "nonce mismatch")
		return
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		refuse(http.StatusUnauthorized, "Your organisation's sign-in could not be read. Please try again.", "claims unreadable")
		return
	}
	role, ok := s.oidc.role(claims)
	if !ok {
		refuse(http.StatusForbidden, "You are signed in with your organisation, but you have not been given a role in together. Ask your administrator for one.", "no mapped role")
		return
	}
	name, _ := claims["name"].(string)
	if name == "" {
		name, _ = claims["preferred_username"].(string)
	}
	id := Identity{ID: OIDCID(idt.Issuer, idt.Subject), Name: name, Role: role, Kind: KindOIDC}
	if err := s.dir.remember(ctx, id, s.now().UTC()); err != nil {
		s.m.signIns.WithLabelValues("oidc", "error").Inc()
		s.signInPage(w, r, http.StatusServiceUnavailable, "Signing in is not possible just now. Please try again.")
		return
	}
	sid, _, err := s.startSession(ctx, id, 0)
	if err != nil {
		s.m.signIns.WithLabelValues("oidc", "error").Inc()
		s.signInPage(w, r, http.StatusServiceUnavailable, "Signing in is not possible just now. Please try again.")
		return
	}
	s.m.signIns.WithLabelValues("oidc", "ok").Inc()
	s.log.Info().Str("identity", id.ID).Str("role", string(role)).Msg("signed in through OIDC")
	s.setSessionCookie(w, r, sid)
	// A page, not a redirect: the browser arrived here through a cross-site
	// redirect chain, and would not send the SameSite=Strict session cookie
	// on a redirect that continues it. Following a link from this page is
	// a same-site navigation, which does send it.
	s.continuePage(w, "/")
}
