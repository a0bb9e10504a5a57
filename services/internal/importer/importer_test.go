package importer_test

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/services/internal/importer"
)

const (
	eng1 = "019a0000-0000-7000-8000-0000000000e1"
	eng2 = "019a0000-0000-7000-8000-0000000000e2"
	sh1  = "019a0000-0000-7000-8000-0000000000b1"
	sh2  = "019a0000-0000-7000-8000-0000000000b2"
	sh3  = "019a0000-0000-7000-8000-0000000000b3"
)

// person is what a test expects of a stakeholder row, without its key.
type person struct {
	Row     int
	Name    string
	Contact string
	Roles   []events.Role
	Current bool
	Channel string
}

func people(f *importer.File) []person {
	var out []person
	for _, s := range f.Stakeholders {
		out = append(out, person{Row: s.Row, Name: s.Name, Contact: s.Contact, Roles: s.Roles, Current: s.CurrentExperience,
			Channel: s.RecruitmentChannel})
	}
	return out
}

func TestParseStakeholders(t *testing.T) {
	roles := func(rs ...events.Role) []events.Role { return rs }
	tests := []struct {
		name     string
		in       string
		want     []person
		problems []importer.Problem
		ignored  []string
	}{
		{
			name: "as Excel saves CSV UTF-8: a byte-order mark, CRLF, quoted cells",
			in: "\ufeffname,contact,roles,current_experience,recruitment_channel\r\n" +
				"Siân Ó Dálaigh,sian@example.org,\"service_user, carer\",yes,community_organisation\r\n" +
				"\"Bob \"\"Bobby\"\" Jones\",,public,no,advert\r\n",
			want: []person{
				{Row: 2, Name: "Siân Ó Dálaigh", Contact: "sian@example.org", Roles: roles(events.RoleServiceUser, events.RoleCarer), Current: true, Channel: "community_organisation"},
				{Row: 3, Name: `Bob "Bobby" Jones`, Roles: roles(events.RolePublic), Channel: "advert"},
			},
		},
		{
			name: "semicolons, headers in any case and order, padded cells, words for values",
			in: "Recruitment Channel; NAME ;Roles;Current experience;Contact\n" +
				" Word of mouth ; Ann Lee ; Service user | Frontline-staff ; Y ; 0191 000 0000 \n",
			want: []person{{Row: 2, Name: "Ann Lee", Contact: "0191 000 0000", Roles: roles(events.RoleServiceUser, events.RoleFrontlineStaff),
				Current: true, Channel: "word_of_mouth"}},
		},
		{
			name: "blank rows are skipped and still counted in the row numbers",
			in: "name,roles,current_experience,recruitment_channel\n" +
				"\n,,,\nAnn,carer,no,other\n\n\"Multi\nline\",carer,no,nonsense\nCy,carer,no,other\n",
			want: []person{
				{Row: 4, Name: "Ann", Roles: roles(events.RoleCarer), Channel: "other"},
				{Row: 7, Name: "Cy", Roles: roles(events.RoleCarer), Channel: "other"},
			},
			problems: []importer.Problem{{Row: 6, Column: "recruitment_channel", Message: `"nonsense" is not allowed (want one of [existing_group service_contact community_organisation staff_referral advert social_media word_of_mouth other])`}},
		},
		{
			name: "old Mac line ends",
			in:   "name,roles,current_experience,recruitment_channel\rAnn,carer,no,other\rBea,public,yes,advert\r",
			want: []person{
				{Row: 2, Name: "Ann", Roles: roles(events.RoleCarer), Channel: "other"},
				{Row: 3, Name: "Bea", Roles: roles(events.RolePublic), Current: true, Channel: "advert"},
			},
		},
		{
			name: "every problem under its row and column, rows with problems left out",
			in: "name,contact,Roles,current_experience,recruitment_channel,notes\n" +
				",a@example.org,carer,yes,advert,first\n" +
				"Bea,,nurse;carer;carer,maybe,advert,\n" +
				"Cy,,,,,\n" +
				"Di,di@example.org,public,no,advert\n" +
				"DI,DI@example.org,public,no,advert\n" +
				"Ed,,public,no,advert,,surplus\n" +
				"Fay\x01,,public,no,advert\n",
			want: []person{{Row: 5, Name: "Di", Contact: "di@example.org", Roles: roles(events.RolePublic), Channel: "advert"}},
			problems: []importer.Problem{
				{Row: 2, Column: "name", Message: "is required"},
				{Row: 3, Column: "current_experience", Message: `"maybe" is not yes or no`},
				{Row: 3, Column: "Roles", Message: `"nurse" is not a role (want one of [service_user carer frontline_staff manager commissioner partner public])`},
				{Row: 3, Column: "Roles", Message: `"carer" is listed twice`},
				{Row: 4, Column: "current_experience", Message: "is required: yes or no"},
				{Row: 4, Column: "Roles", Message: "needs at least one role (one of [service_user carer frontline_staff manager commissioner partner public])"},
				{Row: 4, Column: "recruitment_channel", Message: "is required (one of [existing_group service_contact community_organisation staff_referral advert social_media word_of_mouth other])"},
				{Row: 6, Message: "is the same person as row 5 (the same name and contact); keep one of the two rows"},
				{Row: 7, Message: "has more cells than the header row has columns (cell 7 is beyond them); is a separator missing from the header, or one too many in this row?"},
				{Row: 8, Column: "name", Message: "has control characters; retype the cell"},
			},
			ignored: []string{"notes"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := importer.Parse(importer.Stakeholders, []byte(tt.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, people(f), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("stakeholders (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.problems, f.Problems, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.ignored, f.Ignored, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ignored columns (-want +got):\n%s", diff)
			}
			if got, want := f.Rows, len(f.Stakeholders)+f.ProblemRows(); got != want {
				t.Errorf("Rows = %d, want %d (people) + %d (rows with problems)", got, len(f.Stakeholders), f.ProblemRows())
			}
		})
	}
}

func TestParseAttendance(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		want     []importer.Held
		problems []importer.Problem
	}{
		{
			name: "rows gathered by engagement, unnamed counts added up, UK and ISO days",
			in: "engagement_id,held_on,stakeholder_id,unnamed_attendees\n" +
				eng1 + ",31/03/2026," + sh1 + ",\n" +
				eng2 + ",2026-04-02," + sh1 + ",\n" +
				strings.ToUpper(eng1) + ",2026-03-31," + strings.ToUpper(sh2) + ",2\n" +
				eng1 + ",31/3/2026,,3\n",
			want: []importer.Held{
				{Rows: []int{2, 4, 5}, EngagementID: eng1, HeldOn: day(t, "2026-03-31"), AttendeeIDs: []string{sh1, sh2}, AttendeeRows: []int{2, 4}, UnnamedAttendees: 5},
				{Rows: []int{3}, EngagementID: eng2, HeldOn: day(t, "2026-04-02"), AttendeeIDs: []string{sh1}, AttendeeRows: []int{3}},
			},
		},
		{
			name: "only a count, without a stakeholder column",
			in:   "Engagement;Date;Unnamed\n" + eng1 + ";2026-03-31;12\n",
			want: []importer.Held{{Rows: []int{2}, EngagementID: eng1, HeldOn: day(t, "2026-03-31"), AttendeeIDs: []string{}, UnnamedAttendees: 12}},
		},
		{
			name: "an engagement with a problem on one row records none of its rows",
			in: "engagement_id,held_on,stakeholder_id,unnamed_attendees\n" +
				eng1 + ",2026-03-31," + sh1 + ",\n" +
				eng1 + ",2026-04-01," + sh2 + ",\n" +
				eng1 + ",2026-03-31," + sh1 + ",\n" +
				eng2 + ",2026-03-31,,\n" +
				eng2 + ",yesterday,not-an-id,-1\n" +
				"e3,2026-03-31," + sh3 + ",\n" +
				eng1 + ",2026-03-31," + sh3 + ",\n" +
				eng2 + ",2026-03-31,,99999\n" + eng2 + ",2026-03-31,,2\n" +
				"019a0000-0000-7000-8000-0000000000e3,2026-03-31,,99999\n" + "019a0000-0000-7000-8000-0000000000e3,2026-03-31,,2\n",
			problems: []importer.Problem{
				{Row: 2, Message: "not imported: an engagement's attendance is recorded all at once, and this engagement has problems on rows 3 and 4"},
				{Row: 3, Column: "held_on", Message: "is 2026-04-01, but row 2 says the same engagement was held on 2026-03-31"},
				{Row: 4, Column: "stakeholder_id", Message: "lists the same person at the same engagement as row 2"},
				{Row: 5, Message: "names no stakeholder and counts nobody unnamed; give a stakeholder_id or an unnamed_attendees count"},
				{Row: 6, Column: "stakeholder_id", Message: `"not-an-id" is not an id (want a lowercase UUID)`},
				{Row: 6, Column: "held_on", Message: `"yesterday" is not a day (write it like 2026-03-31 or 31/03/2026)`},
				{Row: 6, Column: "unnamed_attendees", Message: `"-1" is not a count (a whole number, 0 or more)`},
				{Row: 7, Column: "engagement_id", Message: `"e3" is not an id (want a lowercase UUID)`},
				{Row: 8, Message: "not imported: an engagement's attendance is recorded all at once, and this engagement has problems on rows 3 and 4"},
				{Row: 9, Message: "not imported: an engagement's attendance is recorded all at once, and this engagement has problems on rows 5 and 6"},
				{Row: 10, Message: "not imported: an engagement's attendance is recorded all at once, and this engagement has problems on rows 5 and 6"},
				{Row: 11, Column: "unnamed_attendees", Message: "must be between 0 and 100000"},
				{Row: 12, Message: "not imported: an engagement's attendance is recorded all at once, and this engagement has problems on row 11"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := importer.Parse(importer.Attendance, []byte(tt.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, f.Attendance, cmpopts.EquateEmpty(), cmpopts.IgnoreFields(importer.Held{}, "Key"),
				cmp.Comparer(func(a, b events.Date) bool { return a.String() == b.String() })); diff != "" {
				t.Errorf("attendance (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.problems, f.Problems, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func day(t *testing.T, s string) events.Date {
	t.Helper()
	d, err := events.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestParseRefusesTheFile(t *testing.T) {
	header := "name,contact,roles,current_experience,recruitment_channel\n"
	tests := []struct {
		name string
		kind importer.Kind
		in   []byte
		want error
		says []string
	}{
		{"Latin-1 from an older Excel", importer.Stakeholders, []byte(header + "Ann,,carer,no,other\nSi\xe2n,,carer,no,other\n"),
			importer.ErrNotUTF8, []string{"line 3", "CSV UTF-8"}},
		{"UTF-16", importer.Stakeholders, []byte("\xff\xfen\x00a\x00"), importer.ErrNotUTF8, []string{"UTF-16", "CSV UTF-8"}},
		{"empty", importer.Stakeholders, []byte("\ufeff \r\n"), importer.ErrEmpty, nil},
		{"a column missing", importer.Stakeholders, []byte("Name,Roles,current experience\nAnn,carer,no\n"), importer.ErrColumns,
			[]string{"no column recruitment_channel", "name, contact (optional), roles, current_experience, recruitment_channel"}},
		{"a column twice", importer.Stakeholders, []byte("name,Name,roles,current_experience,recruitment_channel\n"), importer.ErrColumns,
			[]string{`"name" and "Name"`}},
		{"a column and its alias", importer.Stakeholders, []byte("role,roles,name,current_experience,recruitment_channel\n"), importer.ErrColumns,
			[]string{`"role" and "roles"`}},
		{"attendance naming nobody", importer.Attendance, []byte("engagement_id,held_on\n"), importer.ErrColumns,
			[]string{"stakeholder_id", "unnamed_attendees"}},
		{"an unclosed quote", importer.Stakeholders, []byte(header + "Ann,\"x,carer,no,other\nBea,,carer,no,other\n"), importer.ErrNotCSV,
			[]string{"starting on line 2"}},
		{"too large", importer.Stakeholders, append([]byte(header), bytes.Repeat([]byte("x"), importer.MaxFileBytes)...), importer.ErrTooLarge,
			[]string{"2.0 MiB", "split"}},
		{"too many rows", importer.Stakeholders, []byte(header + strings.Repeat("A,,carer,no,other\n", importer.MaxRows+1)),
			importer.ErrTooManyRows, []string{"5001", "split"}},
		{"an unknown kind", "people", []byte(header), importer.ErrUnknownKind, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := importer.Parse(tt.kind, tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Parse() = %v, %v; want %v", f, err, tt.want)
			}
			for _, s := range tt.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
		})
	}
}

// TestKeys checks what makes re-importing safe: the same table gives the
// same keys however it is saved, and another table other keys.
func TestKeys(t *testing.T) {
	keys := func(in string) []string {
		t.Helper()
		f, err := importer.Parse(importer.Stakeholders, []byte(in))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, s := range f.Stakeholders {
			if len(s.Key) > 200 {
				t.Errorf("key %q is longer than an Idempotency-Key may be", s.Key)
			}
			out = append(out, s.Key)
		}
		return out
	}
	table := "name,roles,current_experience,recruitment_channel\nAnn,carer,no,other\nAnn,carer,no,other\n"
	first := keys(table)
	if len(first) != 2 || first[0] == first[1] {
		t.Fatalf("keys %v: want two, one per row, even for rows alike", first)
	}
	for _, again := range []string{table, "\ufeff" + table, strings.ReplaceAll(table, "\n", "\r\n")} {
		if got := keys(again); !slices.Equal(got, first) {
			t.Errorf("keys of the same table saved again = %v, want %v", got, first)
		}
	}
	if got := keys(table + "Bea,carer,no,other\n"); got[0] == first[0] {
		t.Errorf("a file with a row more has the same key %q: it is another file", got[0])
	}
}

func TestParseKind(t *testing.T) {
	for in, want := range map[string]importer.Kind{"stakeholders": importer.Stakeholders, " Attendance ": importer.Attendance} {
		if got, err := importer.ParseKind(in); err != nil || got != want {
			t.Errorf("ParseKind(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := importer.ParseKind("people"); !errors.Is(err, importer.ErrUnknownKind) {
		t.Errorf("ParseKind(people) = %v, want ErrUnknownKind", err)
	}
}
