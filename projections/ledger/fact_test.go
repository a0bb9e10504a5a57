package ledger_test

import (
	"testing"
	"time"

	"github.com/together-coop/together/projections/ledger"
)

// A fact gives back exactly the times it was made with, in UTC: a
// business time of any year, to the nanosecond, and a recorded time in
// the range of the ledger's stamps.
func TestFactKeepsItsTimes(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	recorded := time.Date(2026, 11, 26, 23, 59, 59, 999_999_999, time.UTC)
	for _, occurred := range []time.Time{
		time.Date(2026, 3, 31, 10, 0, 0, 123_456_789, london),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1500, 6, 1, 12, 0, 0, 1, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
	} {
		f := ledger.NewFact(7, occurred, recorded)
		if got := f.OccurredAt(); !got.Equal(occurred) || got.Location() != time.UTC {
			t.Errorf("NewFact(%v).OccurredAt() = %v, want the same instant in UTC", occurred, got)
		}
		if got := f.RecordedAt(); !got.Equal(recorded) || got.Location() != time.UTC {
			t.Errorf("RecordedAt() = %v, want %v", got, recorded)
		}
		if f.Position != 7 || !f.KnownAt(recorded) || f.KnownAt(recorded.Add(-time.Nanosecond)) {
			t.Errorf("fact %+v: position, or known at the moment it was recorded and not before", f)
		}
	}
}
