package events

import (
	"fmt"
	"time"
	"unicode"
)

// MaxTextLength bounds every free-text field, so one careless paste cannot
// bloat the history that every replay reads.
const MaxTextLength = 10_000

// Check collects the broken rules of one payload. The zero value is ready to
// use; call [Check.Err] at the end.
type Check struct {
	fields []FieldError
}

// Fail records a broken rule on field.
func (c *Check) Fail(field, format string, args ...any) {
	c.fields = append(c.fields, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Err returns a [*ValidationError] naming the event type if any rule was
// broken, or nil.
func (c *Check) Err(eventType string) error {
	if len(c.fields) == 0 {
		return nil
	}
	return &ValidationError{Type: eventType, Fields: c.fields}
}

// Text requires a non-blank string of bounded length.
func (c *Check) Text(field, s string) {
	if blank(s) {
		c.Fail(field, "is required")
		return
	}
	c.OptionalText(field, s)
}

// OptionalText bounds a string that may be empty.
func (c *Check) OptionalText(field, s string) {
	if len(s) > MaxTextLength {
		c.Fail(field, "is longer than %d bytes", MaxTextLength)
	}
}

// ID requires a UUID in its canonical textual form.
func (c *Check) ID(field, s string) {
	if s == "" {
		c.Fail(field, "is required")
		return
	}
	c.OptionalID(field, s)
}

// OptionalID requires s to be empty or a canonical UUID.
func (c *Check) OptionalID(field, s string) {
	if s == "" {
		return
	}
	if !IsID(s) {
		c.Fail(field, "%q is not an id (want a lowercase UUID)", s)
	}
}

// IsID reports whether s is an id as every id is written: a UUID in its
// canonical form, lowercase, with hyphens. Every payload decoded asks it
// of every id it holds, so it reads the characters rather than parse and
// print the UUID again.
func IsID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := range len(s) {
		switch c := s[i]; i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// IDs requires at least one id, each canonical and none repeated.
func (c *Check) IDs(field string, ids []string) {
	if len(ids) == 0 {
		c.Fail(field, "needs at least one id")
		return
	}
	c.OptionalIDs(field, ids)
}

// OptionalIDs requires each id to be canonical and none repeated.
func (c *Check) OptionalIDs(field string, ids []string) {
	seen := make(map[string]bool, len(ids))
	for i, id := range ids {
		name := fmt.Sprintf("%s[%d]", field, i)
		c.ID(name, id)
		if seen[id] {
			c.Fail(name, "%q is listed twice", id)
		}
		seen[id] = true
	}
}

// Level requires a level on the ladder.
func (c *Check) Level(field string, l Level) {
	if l == "" {
		c.Fail(field, "is required")
	} else if !l.Valid() {
		c.Fail(field, "%q is not a level (want one of %v)", l, Levels)
	}
}

// Roles requires at least one valid role, none repeated.
func (c *Check) Roles(field string, roles []Role) {
	if len(roles) == 0 {
		c.Fail(field, "needs at least one role (one of %v)", Roles)
		return
	}
	seen := make(map[Role]bool, len(roles))
	for i, r := range roles {
		name := fmt.Sprintf("%s[%d]", field, i)
		if !r.Valid() {
			c.Fail(name, "%q is not a role (want one of %v)", r, Roles)
		}
		if seen[r] {
			c.Fail(name, "%q is listed twice", r)
		}
		seen[r] = true
	}
}

// OneOf requires s to be one of allowed.
func (c *Check) OneOf(field, s string, allowed []string) {
	if s == "" {
		c.Fail(field, "is required (one of %v)", allowed)
		return
	}
	for _, a := range allowed {
		if s == a {
			return
		}
	}
	c.Fail(field, "%q is not allowed (want one of %v)", s, allowed)
}

// EarliestDate returns the earliest business date the ledger accepts,
// 1990-01-01: nothing it records happened before the programmes it serves
// existed, so an earlier date is a typing mistake (a year 0000, a two-digit
// year).
func EarliestDate() time.Time { return time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC) }

// Date requires a date on or after [EarliestDate].
func (c *Check) Date(field string, d Date) {
	switch {
	case d.IsZero():
		c.Fail(field, "is required (a date like 2026-03-31)")
	case d.Time().Before(EarliestDate()):
		c.Fail(field, "%s is before %s; check the year", d, EarliestDate().Format(time.DateOnly))
	}
}

// Time requires a timestamp on or after [EarliestDate].
func (c *Check) Time(field string, t time.Time) {
	switch {
	case t.IsZero():
		c.Fail(field, "is required (an RFC 3339 time like 2026-03-31T09:00:00Z)")
	case t.Before(EarliestDate()):
		c.Fail(field, "%s is before %s; check the year", t.Format(time.RFC3339), EarliestDate().Format(time.DateOnly))
	}
}

// blank reports whether s shows nothing: only Unicode white space,
// invisible format characters (zero-width spaces and joiners, byte-order
// marks, direction marks) and the fillers that render as blank.
func blank(s string) bool {
	for _, r := range s {
		switch {
		case unicode.IsSpace(r), unicode.Is(unicode.Cf, r):
		case r == '\u115f', r == '\u1160', r == '\u2800', r == '\u3164', r == '\uffa0':
		default:
			return false
		}
	}
	return true
}
