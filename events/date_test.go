package events_test

import (
	"encoding/json"
	"testing"

	"github.com/together-coop/together/events"
)

func TestDate(t *testing.T) {
	tests := []struct {
		from, to string
		days     int
	}{
		{"2026-03-01", "2026-03-01", 0},
		{"2026-02-28", "2026-03-01", 1},
		{"2024-02-28", "2024-03-01", 2}, // leap year
		{"2026-03-29", "2026-03-30", 1}, // the clocks change in the UK; days are UTC
		{"2026-12-31", "2026-01-01", -364},
	}
	for _, tt := range tests {
		a, _ := events.ParseDate(tt.from)
		b, _ := events.ParseDate(tt.to)
		if got := a.DaysUntil(b); got != tt.days {
			t.Errorf("%s.DaysUntil(%s) = %d, want %d", tt.from, tt.to, got, tt.days)
		}
	}
	for _, bad := range []string{"", "2026-2-1", "2026-02-30", "01/02/2026", "2026-02-01T00:00:00Z"} {
		if _, err := events.ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) accepted", bad)
		}
	}
}

func FuzzDate(f *testing.F) {
	for _, s := range []string{`"2026-03-01"`, `null`, `"2026-02-30"`, `20260301`, `""`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var d events.Date
		if json.Unmarshal(data, &d) != nil {
			return
		}
		out, err := json.Marshal(d)
		if err != nil {
			t.Fatalf("Marshal(%v): %v", d, err)
		}
		var again events.Date
		if err := json.Unmarshal(out, &again); err != nil || again != d {
			t.Fatalf("round trip %s -> %s -> %v (%v)", data, out, again, err)
		}
	})
}
