package auth

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/rs/zerolog"

	"github.com/together-coop/together/services/internal/problem"
)

// Routes adds the identity layer's endpoints to mux, each already wrapped
// in the permission it needs:
//
//	GET  /sign-in, POST /sign-in, POST /sign-out        browser sign-in (public)
//	GET  /auth/oidc/login, GET /auth/oidc/callback      OpenID Connect (public; 404 unless configured)
//	GET  /api/v1/me                                     the caller's identity (any identity)
//	POST /api/v1/tokens, GET /api/v1/tokens, POST /api/v1/tokens/{id}/revoke          (Administer)
//	POST /api/v1/users, GET /api/v1/users, POST /api/v1/users/{id}/disable|reset     (Administer)
//
// The mux must be served through [Service.Authenticate].
func (s *Service) Routes(mux *http.ServeMux) {
	// Sign-in is a form a cross-site page could post to log a victim in as
	// the attacker; the browser's Sec-Fetch-Site and Origin headers show
	// such a post for what it is.
	cop := http.NewCrossOriginProtection()
	mux.HandleFunc("GET /sign-in", func(w http.ResponseWriter, r *http.Request) { s.signInPage(w, r, http.StatusOK, "") })
	mux.Handle("POST /sign-in", cop.Handler(http.HandlerFunc(s.signIn)))
	mux.Handle("POST /sign-out", cop.Handler(http.HandlerFunc(s.signOut)))
	mux.HandleFunc("GET /auth/oidc/login", s.withOIDC(s.oidcStart))
	mux.HandleFunc("GET /auth/oidc/callback", s.withOIDC(s.oidcCallback))

	mux.Handle("GET /api/v1/me", RequireIdentity(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := FromContext(r.Context())
		writeJSON(w, http.StatusOK, struct {
			Identity
			Permissions []Permission `json:"permissions"`
		}{id, PermissionsOf(id.Role)})
	})))
	// Each pattern is spelled out where it is registered, so that a reader
	// (and the test that holds the OpenAPI document to the routes) finds
	// every route by searching for it.
	mux.Handle("POST /api/v1/tokens", Require(Administer, http.HandlerFunc(s.createTokenHandler)))
	mux.Handle("GET /api/v1/tokens", Require(Administer, http.HandlerFunc(s.listTokensHandler)))
	mux.Handle("POST /api/v1/tokens/{id}/revoke", Require(Administer, http.HandlerFunc(s.revokeTokenHandler)))
	mux.Handle("POST /api/v1/users", Require(Administer, http.HandlerFunc(s.addUserHandler)))
	mux.Handle("GET /api/v1/users", Require(Administer, http.HandlerFunc(s.listUsersHandler)))
	mux.Handle("POST /api/v1/users/{id}/disable", Require(Administer, http.HandlerFunc(s.disableUserHandler)))
	mux.Handle("POST /api/v1/users/{id}/reset", Require(Administer, http.HandlerFunc(s.resetUserHandler)))
}

func (s *Service) withOIDC(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.oidc == nil {
			problem.Write(w, r, http.StatusNotFound, "sign-in through an organisation's identity provider is not configured")
			return
		}
		h(w, r)
	}
}

// actor is the identity ID of whoever made an authenticated request.
func actor(r *http.Request) string {
	id, _ := FromContext(r.Context())
	return id.ID
}

func (s *Service) createTokenHandler(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name string `json:"name"`
		Role Role   `json:"role"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	t, secret, err := s.CreateToken(r.Context(), in.Name, in.Role, actor(r))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, struct {
		Token
		Secret string `json:"token"`
	}{t, secret})
}

func (s *Service) listTokensHandler(w http.ResponseWriter, r *http.Request) {
	ts, err := s.ListTokens(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string][]Token{"tokens": ts})
}

func (s *Service) revokeTokenHandler(w http.ResponseWriter, r *http.Request) {
	t, err := s.RevokeToken(r.Context(), r.PathValue("id"), actor(r))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

// userWithPassword answers a user with the password the server made up
// for it, the one time it is shown.
type userWithPassword struct {
	User
	Password string `json:"password,omitempty"`
}

func (s *Service) addUserHandler(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Username string `json:"username"`
		Name     string `json:"name"`
		Role     Role   `json:"role"`
		Password string `json:"password"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	var made string
	if in.Password == "" {
		made = randomString(18)
		in.Password = made
	}
	u, err := s.AddUser(r.Context(), in.Username, in.Name, in.Role, in.Password, actor(r))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, userWithPassword{u, made})
}

func (s *Service) listUsersHandler(w http.ResponseWriter, r *http.Request) {
	us, err := s.ListUsers(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string][]User{"users": us})
}

func (s *Service) disableUserHandler(w http.ResponseWriter, r *http.Request) {
	u, err := s.DisableUser(r.Context(), r.PathValue("id"), actor(r))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

func (s *Service) resetUserHandler(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Password string `json:"password"`
	}
	if r.ContentLength != 0 && !readJSON(w, r, &in) {
		return
	}
	var made string
	if in.Password == "" {
		made = randomString(18)
		in.Password = made
	}
	u, err := s.ResetPassword(r.Context(), r.PathValue("id"), in.Password, actor(r))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, userWithPassword{u, made})
}

// readJSON decodes a JSON body of at most 64 KiB, answering a problem and
// returning false if it cannot.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		problem.Write(w, r, http.StatusUnsupportedMediaType, "send a JSON body with Content-Type: application/json")
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		problem.Write(w, r, http.StatusRequestEntityTooLarge, "the body is over 64 KiB")
		return false
	case errors.Is(err, io.EOF):
		problem.Write(w, r, http.StatusBadRequest, "the body is empty; send a JSON object")
		return false
	case err != nil:
		problem.Write(w, r, http.StatusBadRequest, "the body is not the JSON object expected: "+err.Error())
		return false
	}
	return true
}

func writeError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, ErrInvalidInput):
		problem.Write(w, r, http.StatusBadRequest, err.Error())
	case errors.Is(err, ErrNotFound):
		problem.Write(w, r, http.StatusNotFound, "nothing here has the id "+strconv.Quote(r.PathValue("id")))
	case errors.Is(err, ErrExists):
		problem.Write(w, r, http.StatusConflict, "that username is taken")
	default:
		zerolog.Ctx(r.Context()).Error().Err(err).Msg("identity administration")
		problem.Write(w, r, http.StatusServiceUnavailable, "identities cannot be changed just now; try again")
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
