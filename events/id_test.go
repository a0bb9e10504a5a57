package events

import (
	"testing"

	"github.com/google/uuid"
)

// isIDByParsing is what an id is, said the long way: a UUID that prints
// back as it was written.
func isIDByParsing(s string) bool {
	id, err := uuid.Parse(s)
	return err == nil && id.String() == s
}

func TestIsID(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"0190c1a2-3b4c-7d5e-8f60-718293a4b5c6", true},
		{"00000000-0000-0000-0000-000000000000", true},
		{"0190C1A2-3B4C-7D5E-8F60-718293A4B5C6", false}, // uppercase
		{"0190c1a23b4c7d5e8f60718293a4b5c6", false},     // no hyphens
		{"{0190c1a2-3b4c-7d5e-8f60-718293a4b5c6}", false},
		{"urn:uuid:0190c1a2-3b4c-7d5e-8f60-718293a4b5c6", false},
		{"0190c1a2-3b4c-7d5e-8f60-718293a4b5c", false},
		{"0190c1a2-3b4c-7d5e-8f60-718293a4b5cg", false},
		{"0190c1a2+3b4c-7d5e-8f60-718293a4b5c6", false},
		{"", false},
	} {
		if got := IsID(tc.s); got != tc.want {
			t.Errorf("IsID(%q) = %v, want %v", tc.s, got, tc.want)
		}
		if got := isIDByParsing(tc.s); got != tc.want {
			t.Errorf("the long way, %q is an id: %v, want %v", tc.s, got, tc.want)
		}
	}
}

// FuzzIsID holds IsID to the long way.
func FuzzIsID(f *testing.F) {
	f.Add("0190c1a2-3b4c-7d5e-8f60-718293a4b5c6")
	f.Add("0190C1A2-3B4C-7D5E-8F60-718293A4B5C6")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := IsID(s), isIDByParsing(s); got != want {
			t.Fatalf("IsID(%q) = %v, the long way %v", s, got, want)
		}
	})
}
