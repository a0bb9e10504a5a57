package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/together-coop/together/services/internal/auth"
)

// can reports whether the caller holds permission p. The routes are
// guarded by the policy in front of the site; this only decides what a
// page offers (a link to a form, a person's name).
func can(r *http.Request, p auth.Permission) bool {
	id, ok := auth.FromContext(r.Context())
	return ok && id.Can(p)
}

// navigation is the header's menu: the sections the caller may use.
// Without the read API the site is the reports alone, and has none.
func (s *Site) navigation(r *http.Request) *HeaderNavigation {
	if s.opts.reads == nil {
		return nil
	}
	items := []NavigationItem{{Content: Content{Text: "Overview"}, Href: "/"}}
	if can(r, auth.ReadReports) {
		items = append(items,
			NavigationItem{Content: Content{Text: "Projects"}, Href: "/projects"},
			NavigationItem{Content: Content{Text: "Engagements"}, Href: "/engagements"},
			NavigationItem{Content: Content{Text: "Actions"}, Href: "/actions"})
	}
	if s.opts.commands != nil && can(r, auth.ReadPersonalData) {
		items = append(items, NavigationItem{Content: Content{Text: "People"}, Href: "/stakeholders"})
	}
	if can(r, auth.ReadAudit) {
		items = append(items, NavigationItem{Content: Content{Text: "Audit"}, Href: "/audit"})
	}
	// The section the page is in: the longest menu path it starts with.
	best := -1
	for i, it := range items {
		if r.URL.Path == it.Href || it.Href != "/" && strings.HasPrefix(r.URL.Path, it.Href+"/") {
			if best < 0 || len(it.Href) > len(items[best].Href) {
				best = i
			}
		}
	}
	if best >= 0 {
		if r.URL.Path == items[best].Href {
			items[best].Current = true
		} else {
			items[best].Active = true
		}
	}
	return &HeaderNavigation{Items: items}
}

// recordedNames say what a form recorded, for the banner on the page it
// leads to. The page is named by its kind alone, so that nothing typed
// travels in the address.
var recordedNames = map[string]string{
	"stakeholder": "The person was registered",
	"engagement":  "The engagement was planned",
	"invitations": "The invitations were recorded",
	"answer":      "The answer was recorded",
	"attendance":  "Who came was recorded",
	"feedback":    "The feedback was recorded",
	"action":      "The action was agreed",
	"complete":    "The action was recorded as done",
	"reschedule":  "The new due date was recorded",
	"drop":        "The action was recorded as dropped",
	"communicate": "Telling people the outcome was recorded",
	"decision":    "The involvement decision was recorded",
	"duty":        "The assessment of the duty to involve was recorded",
}

// recordedBanner is the success banner of a page a form led to, or nil.
func recordedBanner(r *http.Request) *Banner {
	if text, ok := recordedNames[r.URL.Query().Get("recorded")]; ok {
		return &Banner{Success: true, Text: text}
	}
	return nil
}

// recordedAt returns where a form leads once it recorded kind at the store
// position: the page waits until it shows the position.
func recordedAt(path, kind string, position uint64) string {
	return path + "?recorded=" + kind + "&at=" + strconv.FormatUint(position, 10)
}

// atPosition returns the read query of a page a form led to: it waits for
// the position the form recorded at (the at parameter).
func atPosition(r *http.Request) map[string][]string {
	q := map[string][]string{}
	if at := r.URL.Query().Get("at"); at != "" {
		if _, err := strconv.ParseUint(at, 10, 64); err == nil {
			q["min_position"] = []string{at}
		}
	}
	return q
}
