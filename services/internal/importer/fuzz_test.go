package importer_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/engagement"
	"github.com/together-coop/together/events/stakeholder"
	"github.com/together-coop/together/services/internal/importer"
)

// FuzzParse throws arbitrary files at both kinds. A file is refused with
// one of the package's errors, or read: then every row is either
// imported or has a problem under its own number, everything imported
// passes the catalogue's rules, keys are unique, and reading it again
// gives the same.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"\ufeffname,contact,roles,current_experience,recruitment_channel\r\nAnn,a@example.org,\"carer, public\",yes,advert\r\n",
		"name;roles;current_experience;recruitment_channel\n Bea ; Service user ; no ; other \n\n;;;\n",
		"name,roles,current_experience,recruitment_channel\r\"a\nb\",carer,0,other\r",
		"engagement_id,held_on,stakeholder_id,unnamed_attendees\n" + eng1 + ",31/03/2026," + sh1 + ",2\n" + eng1 + ",2026-03-31,,1\n",
		"engagement;date;unnamed\n" + eng2 + ";2026-04-01;99999\n",
		"name,\"x\"y,roles\n",
		"\xff\xfe",
		"a,b\n\"unclosed\n",
	} {
		f.Add(seed, true)
		f.Add(seed, false)
	}
	f.Fuzz(func(t *testing.T, data string, people bool) {
		kind := importer.Attendance
		if people {
			kind = importer.Stakeholders
		}
		file, err := importer.Parse(kind, []byte(data))
		if err != nil {
			if !slices.ContainsFunc([]error{importer.ErrTooLarge, importer.ErrEmpty, importer.ErrNotUTF8, importer.ErrNotCSV,
				importer.ErrColumns, importer.ErrTooManyRows}, func(e error) bool { return errors.Is(err, e) }) {
				t.Fatalf("Parse refused the file with an error of no kind: %v", err)
			}
			return
		}
		rows := map[int]bool{}
		for _, p := range file.Problems {
			if p.Row < 2 || p.Message == "" {
				t.Fatalf("problem %+v: want a data row (2 or more) and a message", p)
			}
			rows[p.Row] = true
		}
		keys := map[string]bool{}
		imported := 0
		for _, s := range file.Stakeholders {
			if rows[s.Row] {
				t.Fatalf("row %d is imported and has a problem", s.Row)
			}
			if err := (stakeholder.PII{Name: s.Name, Contact: s.Contact}).Validate(); err != nil {
				t.Fatalf("row %d imported with %v", s.Row, err)
			}
			reg := stakeholder.Registered{Roles: s.Roles, CurrentExperience: s.CurrentExperience, RecruitmentChannel: s.RecruitmentChannel}
			if err := reg.ValidateDetails(); err != nil {
				t.Fatalf("row %d imported with %v", s.Row, err)
			}
			keys[s.Key] = true
			imported++
		}
		for _, h := range file.Attendance {
			for _, r := range h.Rows {
				if rows[r] {
					t.Fatalf("row %d is imported and has a problem", r)
				}
			}
			ev := engagement.Held{HeldOn: h.HeldOn, AttendeeIDs: h.AttendeeIDs, UnnamedAttendees: h.UnnamedAttendees}
			if err := ev.Validate(); err != nil {
				t.Fatalf("engagement %s imported with %v", h.EngagementID, err)
			}
			keys[h.Key] = true
			imported += len(h.Rows)
		}
		if len(keys) != len(file.Stakeholders)+len(file.Attendance) {
			t.Fatalf("%d keys for %d items: keys repeat", len(keys), len(file.Stakeholders)+len(file.Attendance))
		}
		if imported+len(rows) != file.Rows {
			t.Fatalf("%d rows imported and %d with problems, of %d rows", imported, len(rows), file.Rows)
		}
		again, err := importer.Parse(kind, []byte(data))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(file, again, cmp.Comparer(func(a, b events.Date) bool { return a.String() == b.String() })); diff != "" {
			t.Fatalf("reading the file again gives another result (-first +again):\n%s", diff)
		}
	})
}
