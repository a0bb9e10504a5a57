package openapi_test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/action"
	"github.com/together-coop/together/events/engagement"
	"github.com/together-coop/together/events/feedback"
	"github.com/together-coop/together/events/stakeholder"
	"github.com/together-coop/together/projections/report"
	"github.com/together-coop/together/services/internal/auth"
	"github.com/together-coop/together/services/internal/browse"
	"github.com/together-coop/together/services/internal/openapi"
	"github.com/together-coop/together/services/internal/openapi/openapitest"
	"github.com/together-coop/together/services/internal/web"
)

func load(t *testing.T) *openapi3.T {
	t.Helper()
	doc, _, err := openapitest.Load()
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestDocumentIsOpenAPI31(t *testing.T) {
	doc := load(t)
	if doc.OpenAPIMajorMinor() != "3.1" {
		t.Errorf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
}

// routesInSource finds every "METHOD /path" pattern the services register
// with mux.Handle or mux.HandleFunc, by reading their source.
// routesInSource lists the routes the API's packages register: every
// package under services/internal but the web pages' (HTML for people,
// not the API; see webPages).
func routesInSource(t *testing.T) []string {
	t.Helper()
	return routesIn(t, filepath.Join(".."), filepath.Join("..", "web"))
}

// webPages lists the routes of the web pages, as the site's policy names
// them.
func webPages(t *testing.T) []string {
	t.Helper()
	var out []string
	for pattern := range web.RoutesPolicy() {
		out = append(out, strings.ReplaceAll(pattern, "{$}", ""))
	}
	return out
}

func routesIn(t *testing.T, root, skip string) []string {
	t.Helper()
	var routes []string
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path == skip {
				return filepath.SkipDir
			}
			// Packages named …test (authtest, natstest, openapitest) are
			// test doubles: what they serve is not the API.
			if path != root && strings.HasSuffix(d.Name(), "test") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc") {
				return true
			}
			pattern, ok := literal(call.Args[0])
			if !ok {
				t.Errorf("%s: a route pattern that is not a constant string; this test cannot check it", fset.Position(call.Pos()))
				return true
			}
			method, path, found := strings.Cut(pattern, " ")
			if !found {
				return true // the catch-all 404
			}
			routes = append(routes, method+" "+strings.ReplaceAll(path, "{$}", ""))
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(routes)
	return slices.Compact(routes)
}

// literal evaluates a string literal, or "GET " + openapi.Path.
func literal(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		s, err := strconv.Unquote(e.Value)
		return s, err == nil
	case *ast.BinaryExpr:
		a, ok1 := literal(e.X)
		b, ok2 := literal(e.Y)
		return a + b, ok1 && ok2
	case *ast.Ident:
		if e.Name == "Path" {
			return openapi.Path, true
		}
	}
	return "", false
}

func TestEveryRouteIsDocumented(t *testing.T) {
	doc := load(t)
	var documented []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	sort.Strings(documented)
	served := routesInSource(t)
	if diff := cmp.Diff(served, documented); diff != "" {
		t.Errorf("routes served (-) and documented (+) differ:\n%s", diff)
	}
}

func strs[S ~string](in []S) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = string(s)
	}
	return out
}

func enumOf(t *testing.T, s *openapi3.Schema) []string {
	t.Helper()
	var out []string
	for _, v := range s.Enum {
		str, ok := v.(string)
		if !ok {
			t.Fatalf("enum value %v is not a string", v)
		}
		out = append(out, str)
	}
	return out
}

func TestEnumsAreTheCatalogues(t *testing.T) {
	doc := load(t)
	tests := []struct {
		schema string
		want   []string
	}{
		{"Level", strs(events.Levels)},
		{"Role", strs(events.Roles)},
		{"RecruitmentChannel", stakeholder.RecruitmentChannels},
		{"AgeBand", stakeholder.AgeBands},
		{"DisabilityAnswer", stakeholder.DisabilityAnswers},
		{"DeprivationDecile", stakeholder.DeprivationDeciles},
		{"SupportNeed", stakeholder.SupportNeeds},
		{"ConsentScope", stakeholder.ConsentScopes},
		{"Method", engagement.Methods},
		{"InvitationChannel", engagement.InvitationChannels},
		{"SupportKind", engagement.SupportKinds},
		{"FeedbackChannel", feedback.Channels},
		{"Sentiment", feedback.Sentiments},
		{"Influence", feedback.Influences},
		{"Audience", action.Audiences},
		{"CommunicationChannel", action.CommunicationChannels},
		{"AccessRole", strs(auth.Roles)},
		{"Permission", strs(auth.Permissions)},
		{"IdentityKind", strs([]auth.Kind{auth.KindToken, auth.KindUser, auth.KindOIDC})},
	}
	for _, tt := range tests {
		t.Run(tt.schema, func(t *testing.T) {
			s := doc.Components.Schemas[tt.schema]
			if s == nil {
				t.Fatalf("no schema %s", tt.schema)
			}
			if diff := cmp.Diff(tt.want, enumOf(t, s.Value)); diff != "" {
				t.Errorf("%s enum (-catalogue +document):\n%s", tt.schema, diff)
			}
		})
	}
	t.Run("report", func(t *testing.T) {
		op := doc.Paths.Find("/api/v1/reports/{report}").Get
		if diff := cmp.Diff(report.Names(), enumOf(t, op.Parameters.GetByInAndName("path", "report").Schema.Value)); diff != "" {
			t.Errorf("report names (-reports +document):\n%s", diff)
		}
	})
	t.Run("state", func(t *testing.T) {
		op := doc.Paths.Find("/api/v1/actions").Get
		if diff := cmp.Diff(browse.States, enumOf(t, op.Parameters.GetByInAndName("query", "state").Schema.Value)); diff != "" {
			t.Errorf("action states (-browse +document):\n%s", diff)
		}
	})
}

func TestServed(t *testing.T) {
	mux := http.NewServeMux()
	openapi.NewService().Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	res, err := openapitest.Client(t).Get(srv.URL + openapi.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d", openapi.Path, res.StatusCode)
	}
	var served, embedded any
	if err := json.Unmarshal(body, &served); err != nil {
		t.Fatalf("GET %s is not JSON: %v", openapi.Path, err)
	}
	if err := json.Unmarshal(openapi.Document(), &embedded); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(embedded, served); diff != "" {
		t.Errorf("GET %s is not the document:\n%s", openapi.Path, diff)
	}
}
