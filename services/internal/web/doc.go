// Package web is together's web front end for programme offices,
// facilitators and auditors: the programme overview, a page per project
// and a printable "You said, we did", in the NHS.UK design system.
//
// The pages are html/template renderings of view models, and the view
// models are filled by pure functions from the report documents exactly
// as the JSON API publishes them to the same caller, so a page never
// shows a count that small-number suppression hides. The components
// (components.go, templates/components.tmpl) mirror nhsuk-frontend's
// Nunjucks macros option for option and are tested against the examples
// the package ships. nhsuk-frontend's compiled CSS, JavaScript and assets
// are vendored under static/nhsuk by static/vendor.sh (run by hand) and
// served from the binary under content-hashed paths.
//
// Nothing is inline: no script, no style attribute, so the pages work
// under [ContentSecurityPolicy]. nhsuk's JavaScript only enhances; every
// page works without it. Charts are SVG drawn with presentation
// attributes, each an image with a title and description, always beside
// a table of the same figures.
package web
