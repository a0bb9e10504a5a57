// Package web is together's web front end for programme offices,
// facilitators and auditors: the programme overview, a page per project
// and a printable "You said, we did", in the NHS.UK design system; and,
// where the site is given the rest of the API, the forms a recorder
// records a workshop with, lists with search, the pages of what was
// recorded, and the auditor's pages.
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
// # One code path with the API
//
// Everything the site reads or records goes through the JSON API's own
// handlers, in process, as the signed-in caller: reports ([HandlerReports]),
// the read API ([WithReads]), the verification of the hash chains
// ([WithAudit]) and the commands ([WithCommands]). A form is turned into
// the command's JSON body and run by the command's handler, so that its
// rules, its validation and the actor recorded are the API's; the
// problem's list of broken field rules is placed beside the form's fields
// in plain English, with an error summary at the top, as the NHS pattern
// asks. Each form carries a random Idempotency-Key made when it is first
// shown and kept through its corrections, so that a double click, or a
// retry after an error, records once; and the session's CSRF token. Once
// recorded, the browser is sent (303) to a page that shows it, which
// waits for the store position the command answered.
//
// People's names are personal data, kept sealed under a key per person:
// the list of people shows references, roles and how they were found, and
// a name is opened (through the stakeholder service) only on a page that
// needs it, for those who may read personal data. [RoutesPolicy] says
// who may use each page and form.
//
// # The statutory reports and the annual pack
//
// The duty-to-involve page (/reports) shows the duty, influence,
// representativeness, reach and reciprocity reports of everything or of
// one programme, read like every page's reports, with each figure's
// definition on /reports/definitions. The annual involvement pack needs
// the whole ledger, not a report, so the process that holds it provides
// it ([WithPacks]); the pack is for publishing and always suppressed.
//
// Nothing is inline: no script, no style attribute, so the pages work
// under [ContentSecurityPolicy]. nhsuk's JavaScript only enhances; every
// page works without it. Charts are SVG drawn with presentation
// attributes, each an image with a title and description, always beside
// a table of the same figures.
package web
