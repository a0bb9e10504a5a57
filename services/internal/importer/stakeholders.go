package importer

import (
	"fmt"
	"strings"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/stakeholder"
)

// Stakeholder is one person of a stakeholders file, checked: the body of
// POST /api/v1/stakeholders and the Idempotency-Key to send it with.
type Stakeholder struct {
	Row                int
	Key                string
	Name               string
	Contact            string
	Roles              []events.Role
	CurrentExperience  bool
	RecruitmentChannel string
}

var stakeholderColumns = []Column{
	{Name: "name", Required: true, Description: "The person's name."},
	{Name: "contact", Description: "How to reach them: an email address, a phone number or an address. May be empty."},
	{Name: "roles", Required: true, aliases: []string{"role"},
		Description: "What they bring, one or more of " + list(events.Roles) + ", separated by commas or semicolons (“Service user; Carer” is read as service_user and carer)."},
	{Name: "current_experience", Required: true,
		Description: "Yes if they use the service (or care for someone who does) now, no otherwise."},
	{Name: "recruitment_channel", Required: true, aliases: []string{"recruited_through", "channel"},
		Description: "How they were found: one of " + list(stakeholder.RecruitmentChannels) + "."},
}

// stakeholders checks each row as a registration.
func (f *File) stakeholders(rows []row) {
	// The same name and contact twice is the same person twice; an empty
	// contact says too little to tell.
	firstRow := map[[2]string]int{}
	for _, r := range rows {
		p := problems{r: r}
		p.controls()
		s := Stakeholder{Row: r.n, Key: key(f, "row", fmt.Sprint(r.n)), Name: r.get("name"), Contact: r.get("contact"),
			RecruitmentChannel: canonical(r.get("recruitment_channel"))}
		for _, role := range splitList(r.get("roles")) {
			s.Roles = append(s.Roles, events.Role(canonical(role)))
		}
		yes, ok := yesNo(r.get("current_experience"))
		switch {
		case r.get("current_experience") == "":
			p.add("current_experience", "is required: yes or no")
		case !ok:
			p.add("current_experience", "%q is not yes or no", r.get("current_experience"))
		}
		s.CurrentExperience = yes
		same := func(field string) string { return field }
		p.fields(stakeholder.PII{Name: s.Name, Contact: s.Contact}.Validate(), same)
		reg := stakeholder.Registered{Roles: s.Roles, CurrentExperience: s.CurrentExperience, RecruitmentChannel: s.RecruitmentChannel}
		p.fields(reg.ValidateDetails(), same)
		if s.Contact != "" {
			who := [2]string{strings.ToLower(s.Name), strings.ToLower(s.Contact)}
			if first, dup := firstRow[who]; dup {
				p.add("", "is the same person as row %d (the same name and contact); keep one of the two rows", first)
			} else {
				firstRow[who] = r.n
			}
		}
		if len(p.out) > 0 {
			f.Problems = append(f.Problems, p.out...)
			continue
		}
		f.Stakeholders = append(f.Stakeholders, s)
	}
}

// key is the Idempotency-Key of one item of f: the same file gives the
// same keys, so a second import replays the first.
func key(f *File, what, which string) string {
	return "import/" + string(f.Kind) + "/" + f.Hash + "/" + what + "/" + which
}

// splitList splits a cell listing several values.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '|' || r == '/' || r == '\n' })
}

// yesNo reads a yes or no as spreadsheets and people write it.
func yesNo(s string) (yes, ok bool) {
	switch strings.ToLower(s) {
	case "yes", "y", "true", "1":
		return true, true
	case "no", "n", "false", "0":
		return false, true
	}
	return false, false
}

func list[S ~string](vs []S) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = string(v)
	}
	return strings.Join(parts, ", ")
}
