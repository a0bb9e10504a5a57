package openapi_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"

	"github.com/together-coop/together/services/internal/app"
	"github.com/together-coop/together/services/internal/auth"
)

// anyIdentity is the x-permission of a route the policy leaves open
// because its handler asks for an identity, whatever its role.
const anyIdentity = "any identity"

// handlerChecked are the routes whose permission their handler checks
// rather than the policy.
var handlerChecked = map[string]string{
	"GET /api/v1/me": anyIdentity,
}

// policyRoutes is app.Policy keyed as the document's routes are: "GET /"
// for "GET /{$}", without the catch-all "/".
func policyRoutes(openProbes bool) map[string]auth.Permission {
	out := map[string]auth.Permission{}
	for pattern, perm := range app.Policy(openProbes) {
		if !strings.Contains(pattern, " ") {
			continue // the catch-all: any other path answers 404 (or 401)
		}
		out[strings.ReplaceAll(pattern, "{$}", "")] = perm
	}
	return out
}

func operations(doc *openapi3.T) map[string]*openapi3.Operation {
	out := map[string]*openapi3.Operation{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			out[method+" "+path] = op
		}
	}
	return out
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestEveryRouteHasItsPermission holds each operation's x-permission,
// security and 401/403 answers to the route policy that the server
// enforces.
func TestEveryRouteHasItsPermission(t *testing.T) {
	doc := load(t)
	ops := operations(doc)
	policy := policyRoutes(false)
	for _, page := range webPages(t) {
		delete(policy, page)
	}
	if diff := cmp.Diff(keys(policy), keys(ops)); diff != "" {
		t.Errorf("routes in the policy (-) and in the document (+) differ:\n%s", diff)
	}
	wantGlobal := openapi3.SecurityRequirements{{"bearerAuth": {}}, {"cookieAuth": {}}}
	if diff := cmp.Diff(wantGlobal, doc.Security); diff != "" {
		t.Errorf("the document's security (-want +got):\n%s", diff)
	}
	for _, scheme := range []string{"bearerAuth", "cookieAuth"} {
		if doc.Components.SecuritySchemes[scheme] == nil {
			t.Errorf("no security scheme %s", scheme)
		}
	}
	if c := doc.Components.SecuritySchemes["cookieAuth"]; c != nil && c.Value.Name != auth.SessionCookie {
		t.Errorf("cookieAuth names the cookie %q, want %q", c.Value.Name, auth.SessionCookie)
	}
	for route, op := range ops {
		perm, ok := policy[route]
		if !ok {
			continue
		}
		t.Run(route, func(t *testing.T) {
			want := string(perm)
			if h, ok := handlerChecked[route]; ok {
				if perm != auth.Public {
					t.Errorf("%s is checked by its handler but the policy asks %q too", route, perm)
				}
				want = h
			}
			if got := op.Extensions["x-permission"]; got != want {
				t.Errorf("x-permission = %v, want %q", got, want)
			}
			status := func(code string) string {
				r := op.Responses.Value(code)
				if r == nil {
					return ""
				}
				return r.Ref
			}
			if want == string(auth.Public) {
				if op.Security == nil || len(*op.Security) != 0 {
					t.Errorf("a public route must say security: []")
				}
				if status("401") == "#/components/responses/Unauthorized" {
					t.Errorf("a public route answers no 401 for a missing identity")
				}
				return
			}
			if op.Security != nil {
				t.Errorf("a route that needs an identity must keep the document's security, not %v", *op.Security)
			}
			if got := status("401"); got != "#/components/responses/Unauthorized" {
				t.Errorf("401 = %q, want the Unauthorized answer", got)
			}
			if got := status("403"); want != anyIdentity && got != "#/components/responses/Forbidden" {
				t.Errorf("403 = %q, want the Forbidden answer", got)
			}
		})
	}
	// Routes that configuration opens say so.
	for route, perm := range policyRoutes(true) {
		if _, api := policy[route]; !api {
			continue // a web page
		}
		if perm == auth.Public && policy[route] != auth.Public {
			if op := ops[route]; op == nil || !strings.Contains(op.Description, "--open-probes") {
				t.Errorf("%s is opened by --open-probes, but its description does not say so", route)
			}
		}
	}
}
