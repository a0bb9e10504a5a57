package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/url"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// funcs are the functions every template may call.
func funcs(asset func(string) string) template.FuncMap {
	return template.FuncMap{
		"attrs":  attrs,
		"join":   join,
		"icon":   icon,
		"asset":  asset,
		"cell":   cell,
		"hopen":  hopen,
		"hclose": hclose,
		"add":    func(a, b int) int { return a + b },
		"button": func(text string) Button { return Button{Content: Content{Text: text}} },
		// A form's button: nhsuk's script ignores a second click within a
		// second, and the form's Idempotency-Key makes one that gets
		// through record nothing more.
		"submitButton": func(text string) Button {
			return Button{Content: Content{Text: text}, PreventDoubleClick: ptr(true)}
		},
		"details": func(summary, text string) Details {
			return Details{Summary: Content{Text: summary}, Content: Content{Text: text}}
		},
		"backLink":       func(href, text string) BackLink { return BackLink{Href: href, Content: Content{Text: text}} },
		"suppressedNote": func() InsetText { return InsetText{Content: Content{Text: meanings["suppressed"]}} },
		"meaning":        func(key string) string { return meanings[key] },
		"youSaidHref":    func(id string) string { return "/projects/" + url.PathEscape(id) + "/you-said-we-did" },
		"query":          func(q url.Values) string { return queryString(q) },
	}
}

// parseComponents parses the components alone, for rendering one of them.
func parseComponents(asset func(string) string) (*template.Template, error) {
	t, err := template.New("components").Funcs(funcs(asset)).ParseFS(templateFS, "templates/components.tmpl")
	if err != nil {
		return nil, fmt.Errorf("parse components: %w", err)
	}
	return t, nil
}

// execute renders the template called name with data.
func execute(t *template.Template, name string, data any) ([]byte, error) {
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, name, data); err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	return b.Bytes(), nil
}
