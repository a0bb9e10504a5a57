package openapi_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"

	"github.com/together-coop/together/events/action"
	"github.com/together-coop/together/events/engagement"
	"github.com/together-coop/together/events/feedback"
	"github.com/together-coop/together/events/project"
	"github.com/together-coop/together/events/stakeholder"
	"github.com/together-coop/together/services/internal/auth"
	"github.com/together-coop/together/services/internal/browse"
	"github.com/together-coop/together/services/internal/command"
)

// A jsonField is a field as encoding/json sees it: its name, how deep in
// embedded structs it sits, whether its name comes from a tag, and
// whether it is left out when empty.
type jsonField struct {
	name      string
	depth     int
	tagged    bool
	omitempty bool
}

// dominant applies encoding/json's rule to fields that share a name: the
// shallowest wins, a tagged one among equals, and otherwise none.
func dominant(fields []jsonField) []jsonField {
	byName := map[string][]jsonField{}
	var names []string
	for _, f := range fields {
		if _, ok := byName[f.name]; !ok {
			names = append(names, f.name)
		}
		byName[f.name] = append(byName[f.name], f)
	}
	var out []jsonField
	for _, name := range names {
		fs := byName[name]
		minDepth := slices.MinFunc(fs, func(a, b jsonField) int { return a.depth - b.depth }).depth
		fs = slices.DeleteFunc(slices.Clone(fs), func(f jsonField) bool { return f.depth > minDepth })
		if len(fs) > 1 {
			fs = slices.DeleteFunc(fs, func(f jsonField) bool { return !f.tagged })
		}
		if len(fs) == 1 {
			out = append(out, fs[0])
		}
	}
	return out
}

// parseTag reads a json struct tag.
func parseTag(tag string) (name string, omitempty, skip bool) {
	name, opts, _ := strings.Cut(reflect.StructTag(tag).Get("json"), ",")
	if name == "-" && opts == "" {
		return "", false, true
	}
	return name, slices.Contains(strings.Split(opts, ","), "omitempty"), false
}

// reflectFields lists the JSON fields of a Go type, embedded ones
// included.
func reflectFields(typ reflect.Type, depth int) []jsonField {
	var out []jsonField
	for f := range typ.Fields() {
		name, omit, skip := parseTag(string(f.Tag))
		if skip || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		if f.Anonymous && name == "" {
			t := f.Type
			if t.Kind() == reflect.Pointer {
				t = t.Elem()
			}
			if t.Kind() == reflect.Struct {
				out = append(out, reflectFields(t, depth+1)...)
				continue
			}
			if !f.IsExported() {
				continue
			}
		}
		out = append(out, jsonField{name: or(name, f.Name), depth: depth, tagged: name != "", omitempty: omit})
	}
	return out
}

// fieldsOf lists the JSON fields encoding/json reads into or writes from
// typ.
func fieldsOf(typ reflect.Type) []jsonField { return dominant(reflectFields(typ, 0)) }

// embeddable are the exported types the services' command bodies embed;
// the bodies themselves are unexported, so they are read from source.
var embeddable = func() map[string]reflect.Type {
	m := map[string]reflect.Type{}
	for _, v := range []any{
		command.Common{},
		project.Registered{}, project.DutyAssessed{}, project.Closed{},
		stakeholder.RolesChanged{}, stakeholder.Demographics{},
		engagement.Planned{}, engagement.StakeholderInvited{}, engagement.Held{}, engagement.SupportProvided{}, engagement.Cancelled{},
		feedback.Given{}, feedback.Redacted{}, feedback.Responded{}, feedback.Retracted{},
		action.Agreed{}, action.Completed{}, action.Dropped{}, action.Rescheduled{}, action.Reassigned{}, action.OutcomeCommunicated{},
	} {
		t := reflect.TypeOf(v)
		m[t.PkgPath()+"."+t.Name()] = t
	}
	return m
}()

// goPackage is one package of services/internal, parsed.
type goPackage struct {
	dir   string
	fset  *token.FileSet
	files []*ast.File
}

func parsePackage(t *testing.T, dir string) *goPackage {
	t.Helper()
	p := &goPackage{dir: dir, fset: token.NewFileSet()}
	entries, err := os.ReadDir(filepath.Join("..", dir))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(p.fset, filepath.Join("..", dir, e.Name()), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		p.files = append(p.files, f)
	}
	return p
}

// structType finds the declaration of the struct type name, and the file
// it is in.
func (p *goPackage) structType(name string) (*ast.StructType, *ast.File) {
	for _, f := range p.files {
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				ts := spec.(*ast.TypeSpec)
				if st, ok := ts.Type.(*ast.StructType); ok && ts.Name.Name == name {
					return st, f
				}
			}
		}
	}
	return nil, nil
}

// localStruct finds the struct type of the variable in declared in the
// function or method fn: a handler that decodes into a struct of its own.
func (p *goPackage) localStruct(fn string) (*ast.StructType, *ast.File) {
	for _, f := range p.files {
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Name.Name != fn || fd.Body == nil {
				continue
			}
			var found *ast.StructType
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				if vs, ok := n.(*ast.ValueSpec); ok && found == nil && len(vs.Names) == 1 && vs.Names[0].Name == "in" {
					found, _ = vs.Type.(*ast.StructType)
				}
				return found == nil
			})
			if found != nil {
				return found, f
			}
		}
	}
	return nil, nil
}

// importPath returns the path the file imports as name.
func importPath(f *ast.File, name string) string {
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		local := path[strings.LastIndex(path, "/")+1:]
		if imp.Name != nil {
			local = imp.Name.Name
		}
		if local == name {
			return path
		}
	}
	return ""
}

// astFields lists the JSON fields of a struct declared in p, resolving
// embedded structs of p itself from source and those of other packages
// through embeddable.
func (p *goPackage) astFields(t *testing.T, st *ast.StructType, file *ast.File, depth int) []jsonField {
	t.Helper()
	var out []jsonField
	for _, f := range st.Fields.List {
		var tag string
		if f.Tag != nil {
			tag, _ = strconv.Unquote(f.Tag.Value)
		}
		name, omit, skip := parseTag(tag)
		if skip {
			continue
		}
		if len(f.Names) > 0 {
			for _, n := range f.Names {
				if n.IsExported() {
					out = append(out, jsonField{name: or(name, n.Name), depth: depth, tagged: name != "", omitempty: omit})
				}
			}
			continue
		}
		typ := f.Type
		if star, ok := typ.(*ast.StarExpr); ok {
			typ = star.X
		}
		if name != "" {
			out = append(out, jsonField{name: name, depth: depth, tagged: true, omitempty: omit})
			continue
		}
		switch typ := typ.(type) {
		case *ast.Ident:
			inner, innerFile := p.structType(typ.Name)
			if inner == nil {
				t.Fatalf("%s: embedded %s is not a struct declared in the package; teach this test about it", p.dir, typ.Name)
			}
			out = append(out, p.astFields(t, inner, innerFile, depth+1)...)
		case *ast.SelectorExpr:
			pkg, _ := typ.X.(*ast.Ident)
			key := importPath(file, pkg.Name) + "." + typ.Sel.Name
			rt, ok := embeddable[key]
			if !ok {
				t.Fatalf("%s: a body embeds %s, which this test does not know: add it to embeddable", p.dir, key)
			}
			out = append(out, reflectFields(rt, depth+1)...)
		default:
			t.Fatalf("%s: an embedded field of a kind this test cannot read", p.dir)
		}
	}
	return out
}

// properties lists the properties of a schema, through allOf.
func properties(s *openapi3.Schema) []string {
	var out []string
	for name := range s.Properties {
		out = append(out, name)
	}
	for _, sub := range s.AllOf {
		out = append(out, properties(sub.Value)...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// bodySource says where a route's handler declares the struct it decodes
// its body into: a type of the package, or the variable in of a function.
type bodySource struct {
	pkg, typ, fn string
	// ignored are fields the decoder accepts but the service discards:
	// not part of the API, so not documented.
	ignored []string
}

// TestBodiesAreWhatTheServicesDecode checks that each request body the
// document describes has exactly the fields of the Go struct its handler
// decodes it into (read from the source, with encoding/json's rules for
// embedded structs), and refuses unknown fields as the services do. The
// bodies are what a client sends, not the events recorded: free text that
// is sealed before it is recorded is plain text here.
func TestBodiesAreWhatTheServicesDecode(t *testing.T) {
	doc := load(t)
	sources := map[string]bodySource{
		"POST /api/v1/projects":                                      {pkg: "projects", typ: "registerBody"},
		"POST /api/v1/projects/{id}/elements":                        {pkg: "projects", typ: "elementBody"},
		"POST /api/v1/projects/{id}/elements/{element_id}/decisions": {pkg: "projects", typ: "decisionBody"},
		"POST /api/v1/projects/{id}/duty":                            {pkg: "projects", typ: "dutyBody"},
		"POST /api/v1/projects/{id}/close":                           {pkg: "projects", typ: "closeBody"},
		"POST /api/v1/stakeholders":                                  {pkg: "stakeholders", typ: "registerBody"},
		"POST /api/v1/stakeholders/{id}/roles":                       {pkg: "stakeholders", typ: "rolesBody"},
		"POST /api/v1/stakeholders/{id}/demographics":                {pkg: "stakeholders", typ: "demographicsBody"},
		"POST /api/v1/stakeholders/{id}/support-needs":               {pkg: "stakeholders", typ: "supportNeedBody"},
		"POST /api/v1/stakeholders/{id}/consent":                     {pkg: "stakeholders", typ: "consentBody"},
		"POST /api/v1/stakeholders/{id}/consent-withdrawals":         {pkg: "stakeholders", typ: "consentBody"},
		"POST /api/v1/stakeholders/{id}/erase":                       {pkg: "stakeholders", typ: "eraseBody"},
		"POST /api/v1/engagements":                                   {pkg: "engagements", typ: "planBody"},
		"POST /api/v1/engagements/{id}/invitations":                  {pkg: "engagements", typ: "inviteBody"},
		"POST /api/v1/engagements/{id}/answers":                      {pkg: "engagements", typ: "answerBody"},
		"POST /api/v1/engagements/{id}/held":                         {pkg: "engagements", typ: "heldBody"},
		"POST /api/v1/engagements/{id}/support":                      {pkg: "engagements", typ: "supportBody"},
		"POST /api/v1/engagements/{id}/cancel":                       {pkg: "engagements", typ: "cancelBody"},
		// The summary is decoded as plain text over the sealed one of the
		// embedded payload; the payload's legacy_summary (what an older
		// version recorded in the clear) is decoded too, and dropped.
		"POST /api/v1/feedback":                 {pkg: "feedback", typ: "giveBody", ignored: []string{"legacy_summary"}},
		"POST /api/v1/feedback/{id}/response":   {pkg: "feedback", typ: "respondBody"},
		"POST /api/v1/feedback/{id}/retract":    {pkg: "feedback", typ: "retractBody"},
		"POST /api/v1/feedback/{id}/redact":     {pkg: "feedback", typ: "redactBody"},
		"POST /api/v1/actions":                  {pkg: "actions", typ: "agreeBody"},
		"POST /api/v1/actions/{id}/complete":    {pkg: "actions", typ: "completeBody"},
		"POST /api/v1/actions/{id}/drop":        {pkg: "actions", typ: "dropBody"},
		"POST /api/v1/actions/{id}/reschedule":  {pkg: "actions", typ: "rescheduleBody"},
		"POST /api/v1/actions/{id}/reassign":    {pkg: "actions", typ: "reassignBody"},
		"POST /api/v1/actions/{id}/communicate": {pkg: "actions", typ: "communicateBody"},
		"POST /api/v1/tokens":                   {pkg: "auth", fn: "createTokenHandler"},
		"POST /api/v1/users":                    {pkg: "auth", fn: "addUserHandler"},
		"POST /api/v1/users/{id}/reset":         {pkg: "auth", fn: "resetUserHandler"},
	}
	packages := map[string]*goPackage{}
	checked := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.RequestBody == nil || op.RequestBody.Value.Content.Get("application/json") == nil {
				continue
			}
			route := method + " " + path
			t.Run(route, func(t *testing.T) {
				src, ok := sources[route]
				if !ok {
					t.Fatalf("%s takes a JSON body, but this test does not know which Go type the handler decodes it into", route)
				}
				checked[route] = true
				p := packages[src.pkg]
				if p == nil {
					p = parsePackage(t, src.pkg)
					packages[src.pkg] = p
				}
				st, file := p.structType(src.typ)
				if src.fn != "" {
					st, file = p.localStruct(src.fn)
				}
				if st == nil {
					t.Fatalf("no struct %s%s in %s", src.typ, src.fn, src.pkg)
				}
				var want []string
				for _, f := range dominant(p.astFields(t, st, file, 0)) {
					want = append(want, f.name)
				}
				for _, f := range src.ignored {
					if !slices.Contains(want, f) {
						t.Errorf("%s is ignored but the body has no such field", f)
					}
					want = slices.DeleteFunc(want, func(s string) bool { return s == f })
				}
				slices.Sort(want)
				s := op.RequestBody.Value.Content.Get("application/json").Schema.Value
				if diff := cmp.Diff(want, properties(s)); diff != "" {
					t.Errorf("%s body fields (-Go +document):\n%s", route, diff)
				}
				if ap := s.AdditionalProperties.Has; ap == nil || *ap {
					t.Errorf("%s allows unknown fields; the services refuse them", route)
				}
			})
		}
	}
	for route := range sources {
		if !checked[route] {
			t.Errorf("%s: the document has no JSON body for it", route)
		}
	}
}

// TestAnswersAreTheGoTypes checks the answers whose Go types are
// exported: every field documented, no other, and required unless the
// field is left out when empty. The others are checked by the exchanges
// of the integration tests, through openapitest.
func TestAnswersAreTheGoTypes(t *testing.T) {
	doc := load(t)
	tests := []struct {
		schema string
		typ    any
		// with are fields the handler adds around the type: name → left
		// out when empty.
		with map[string]bool
	}{
		{"Token", auth.Token{}, nil},
		{"NewToken", auth.Token{}, map[string]bool{"token": false}},
		{"User", auth.User{}, nil},
		{"UserWithPassword", auth.User{}, map[string]bool{"password": true}},
		{"Me", auth.Identity{}, map[string]bool{"permissions": false}},
		{"Project", browse.Project{}, nil},
		{"ProjectDetail", browse.ProjectDetail{}, nil},
		{"Engagement", browse.Engagement{}, nil},
		{"EngagementDetail", browse.EngagementDetail{}, nil},
		{"Feedback", browse.Feedback{}, nil},
		{"FeedbackDetail", browse.FeedbackDetail{}, nil},
		{"Action", browse.Action{}, nil},
		{"ActionDetail", browse.ActionDetail{}, nil},
		{"Stakeholder", browse.Stakeholder{}, nil},
		{"ProjectCounts", browse.ProjectCounts{}, nil},
		{"Element", browse.Element{}, nil},
		{"Decision", browse.Decision{}, nil},
		{"Duty", browse.Duty{}, nil},
		{"EngagementCounts", browse.EngagementCounts{}, nil},
		{"Invitation", browse.Invitation{}, nil},
		{"Support", browse.Support{}, nil},
		{"Response", browse.Response{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.schema, func(t *testing.T) {
			ref := doc.Components.Schemas[tt.schema]
			if ref == nil {
				t.Fatalf("no schema %s", tt.schema)
			}
			var want, wantRequired []string
			for _, f := range fieldsOf(reflect.TypeOf(tt.typ)) {
				want = append(want, f.name)
				if !f.omitempty {
					wantRequired = append(wantRequired, f.name)
				}
			}
			for name, omit := range tt.with {
				want = append(want, name)
				if !omit {
					wantRequired = append(wantRequired, name)
				}
			}
			slices.Sort(want)
			slices.Sort(wantRequired)
			if diff := cmp.Diff(want, properties(ref.Value)); diff != "" {
				t.Errorf("%s fields (-Go +document):\n%s", tt.schema, diff)
			}
			if diff := cmp.Diff(wantRequired, required(ref.Value)); diff != "" {
				t.Errorf("%s required fields (-Go +document):\n%s", tt.schema, diff)
			}
		})
	}
}

// required lists the required properties of a schema, through allOf.
func required(s *openapi3.Schema) []string {
	out := slices.Clone(s.Required)
	for _, sub := range s.AllOf {
		out = append(out, required(sub.Value)...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// or returns a, or b if a is empty.
func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
