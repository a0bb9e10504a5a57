package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
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
