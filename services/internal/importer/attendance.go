package importer

import (
	"strconv"
	"strings"
	"time"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/engagement"
)

// Held is the attendance of one engagement in an attendance file,
// checked: the body of POST /api/v1/engagements/{id}/held and the
// Idempotency-Key to send it with. An engagement is held once, with
// everyone who came, so it is recorded only when every one of its rows
// is fine.
type Held struct {
	// Rows are the engagement's rows in the file, in order.
	Rows         []int
	Key          string
	EngagementID string
	HeldOn       events.Date
	AttendeeIDs  []string
	// AttendeeRows is the row of each of AttendeeIDs.
	AttendeeRows     []int
	UnnamedAttendees int
}

var attendanceColumns = []Column{
	{Name: "engagement_id", Required: true, aliases: []string{"engagement"},
		Description: "The engagement's id, as together shows it on the engagement."},
	{Name: "held_on", Required: true, aliases: []string{"date", "held"},
		Description: "The day it was held: 2026-03-31 or 31/03/2026. The same on every row of an engagement."},
	{Name: "stakeholder_id", aliases: []string{"stakeholder", "attendee", "attendee_id"},
		Description: "The id of a stakeholder who came, one a row; empty on a row that only counts people not named."},
	{Name: "unnamed_attendees", aliases: []string{"unnamed"},
		Description: "How many more people came who are not named (a number; empty means none). The rows of an engagement add up."},
}

// attendance checks each row and gathers the rows of each engagement.
func (f *File) attendance(rows []row) {
	type group struct {
		held  Held
		first int
		// dayRow is the row the engagement's day was taken from.
		dayRow int
		bad    []int
	}
	var order []string
	groups := map[string]*group{}
	attendedOn := map[[2]string]int{}
	for _, r := range rows {
		p := problems{r: r}
		p.controls()
		id := strings.ToLower(r.get("engagement_id"))
		who := strings.ToLower(r.get("stakeholder_id"))
		var c events.Check
		c.ID("engagement_id", id)
		c.OptionalID("stakeholder_id", who)
		p.fields(c.Err(""), func(field string) string { return field })
		day, ok := parseDay(r.get("held_on"))
		if !ok {
			if r.get("held_on") == "" {
				p.add("held_on", "is required: the day it was held, like 2026-03-31 or 31/03/2026")
			} else {
				p.add("held_on", "%q is not a day (write it like 2026-03-31 or 31/03/2026)", r.get("held_on"))
			}
		}
		unnamed := 0
		if s := r.get("unnamed_attendees"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				p.add("unnamed_attendees", "%q is not a count (a whole number, 0 or more)", s)
			}
			unnamed = max(n, 0)
		}
		if who == "" && r.get("unnamed_attendees") == "" {
			p.add("", "names no stakeholder and counts nobody unnamed; give a stakeholder_id or an unnamed_attendees count")
		}
		g := groups[id]
		if g == nil {
			g = &group{first: r.n, held: Held{Key: key(f, "engagement", id), EngagementID: id}}
			groups[id] = g
			order = append(order, id)
		}
		switch {
		case !ok:
		case g.held.HeldOn.IsZero():
			g.held.HeldOn, g.dayRow = day, r.n
		case day.String() != g.held.HeldOn.String():
			p.add("held_on", "is %s, but row %d says the same engagement was held on %s", day, g.dayRow, g.held.HeldOn)
		}
		if who != "" {
			if first, dup := attendedOn[[2]string{id, who}]; dup {
				p.add("stakeholder_id", "lists the same person at the same engagement as row %d", first)
			} else {
				attendedOn[[2]string{id, who}] = r.n
			}
		}
		g.held.Rows = append(g.held.Rows, r.n)
		if len(p.out) > 0 {
			f.Problems = append(f.Problems, p.out...)
			g.bad = append(g.bad, r.n)
			continue
		}
		if who != "" {
			g.held.AttendeeIDs = append(g.held.AttendeeIDs, who)
			g.held.AttendeeRows = append(g.held.AttendeeRows, r.n)
		}
		g.held.UnnamedAttendees += unnamed
	}
	for _, id := range order {
		g := groups[id]
		h := g.held
		if len(g.bad) == 0 {
			if h.AttendeeIDs == nil {
				h.AttendeeIDs = []string{}
			}
			ev := engagement.Held{HeldOn: h.HeldOn, AttendeeIDs: h.AttendeeIDs, UnnamedAttendees: h.UnnamedAttendees}
			// Each row was checked on its own; what is left is the
			// engagement as a whole (the count of those not named).
			p := problems{r: row{n: g.first, cols: rows[0].cols}}
			p.fields(ev.Validate(), func(field string) string {
				switch field {
				case "attendee_ids":
					return "stakeholder_id"
				case "unnamed_attendees", "held_on":
					return field
				}
				return ""
			})
			if len(p.out) == 0 {
				f.Attendance = append(f.Attendance, h)
				continue
			}
			f.Problems = append(f.Problems, p.out...)
			g.bad = append(g.bad, g.first)
		}
		// The engagement's other rows record nothing either: say so
		// under each, so that every row left out is accounted for.
		for _, n := range h.Rows {
			if !containsInt(g.bad, n) {
				f.Problems = append(f.Problems, Problem{Row: n, Message: "not imported: an engagement's attendance is recorded all at once, and this engagement has problems on " +
					rowList(g.bad)})
			}
		}
	}
}

// parseDay reads a day as ISO 8601 or as UK spreadsheets write it.
func parseDay(s string) (events.Date, bool) {
	if d, err := events.ParseDate(s); err == nil {
		return d, true
	}
	for _, layout := range []string{"02/01/2006", "2/1/2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return events.DateOf(t), true
		}
	}
	return events.Date{}, false
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func rowList(rows []int) string {
	parts := make([]string, len(rows))
	for i, r := range rows {
		parts[i] = strconv.Itoa(r)
	}
	if len(parts) > 1 {
		return "rows " + strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
	}
	return "row " + parts[0]
}
