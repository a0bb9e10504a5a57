package auth

import (
	"maps"
	"net/http"

	"github.com/rs/zerolog"

	"github.com/together-coop/together/services/internal/problem"
)

// Public marks a route in a [Policy] that anyone may call, signed in or
// not.
const Public Permission = "public"

// Policy maps each route pattern, exactly as registered on the mux
// ("POST /api/v1/projects", "GET /api/v1/stakeholders/{id}"), to the
// permission it needs. One table for the whole API is easier to review,
// and to test route by route, than permissions scattered over services.
type Policy map[string]Permission

// Guard serves mux, first checking each request against policy by the
// pattern the mux routes it to. A pattern missing from the policy is
// refused with 500 and logged: a new route is closed until someone
// decides who may call it. Requests the mux matches to no pattern pass
// on (it answers them 404 or 405). Serve Guard behind
// [Service.Authenticate].
func Guard(policy Policy, mux *http.ServeMux) http.Handler {
	policy = maps.Clone(policy)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pattern := mux.Handler(r)
		if pattern == "" {
			mux.ServeHTTP(w, r)
			return
		}
		perm, ok := policy[pattern]
		switch {
		case !ok:
			zerolog.Ctx(r.Context()).Error().Str("route", pattern).Msg("route has no permission in the policy: refused")
			problem.Write(w, r, http.StatusInternalServerError, "this endpoint is not open yet: no permission has been set for it")
		case perm == Public:
			mux.ServeHTTP(w, r)
		default:
			Require(perm, mux).ServeHTTP(w, r)
		}
	})
}

// RoutesPolicy is the [Policy] of the routes [Service.Routes] adds. They
// check their own permissions as well; this lets a [Guard] in front of
// them know they are meant to be there.
func RoutesPolicy() Policy {
	return Policy{
		"GET /sign-in":                    Public,
		"POST /sign-in":                   Public,
		"POST /sign-out":                  Public,
		"GET /auth/oidc/login":            Public,
		"GET /auth/oidc/callback":         Public,
		"GET /api/v1/me":                  Public, // any identity; checked by the handler
		"POST /api/v1/tokens":             Administer,
		"GET /api/v1/tokens":              Administer,
		"POST /api/v1/tokens/{id}/revoke": Administer,
		"POST /api/v1/users":              Administer,
		"GET /api/v1/users":               Administer,
		"POST /api/v1/users/{id}/disable": Administer,
		"POST /api/v1/users/{id}/reset":   Administer,
	}
}
