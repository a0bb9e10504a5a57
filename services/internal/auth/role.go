package auth

import (
	"fmt"
	"slices"
)

// Role is what an identity is trusted with. Every identity has exactly one.
type Role string

// The roles. Their permissions are fixed by [Allowed]; see the package
// documentation for why admin holds every permission.
const (
	// Viewer reads dashboards and reports: aggregate figures, no personal data.
	Viewer Role = "viewer"
	// Recorder records what happens (every command) and reads the personal
	// data of stakeholders.
	Recorder Role = "recorder"
	// Auditor reads the event log, verifies it, exports and replays it, and
	// reads decision timelines. Sealed (encrypted) fields stay sealed.
	Auditor Role = "auditor"
	// Admin manages users and tokens and erases people, and holds every
	// other permission too.
	Admin Role = "admin"
)

// Roles lists every role, least trusted first.
var Roles = []Role{Viewer, Recorder, Auditor, Admin}

// ErrUnknownRole is returned when a role name is not one of [Roles].
var ErrUnknownRole = fmt.Errorf("unknown role: want one of %v", Roles)

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if !slices.Contains(Roles, r) {
		return "", fmt.Errorf("%q: %w", s, ErrUnknownRole)
	}
	return r, nil
}

// Permission is what a route needs. Routes ask for permissions, never for
// roles, so that which role may do what is decided in one table.
type Permission string

// The permissions.
const (
	// ReadReports: the reports, the dashboards and the programme view.
	ReadReports Permission = "read reports"
	// RecordCommands: every command endpoint (POST /api/v1/projects, …).
	RecordCommands Permission = "record commands"
	// ReadPersonalData: a stakeholder with their personal data decrypted.
	ReadPersonalData Permission = "read personal data"
	// ReadAudit: the event log, verification, export, replay and the
	// decision timelines.
	ReadAudit Permission = "read the audit trail"
	// Administer: users and API tokens.
	Administer Permission = "administer users and tokens"
	// Erase: erasing a stakeholder, which destroys their key for ever.
	Erase Permission = "erase people"
)

// Permissions lists every permission.
var Permissions = []Permission{ReadReports, RecordCommands, ReadPersonalData, ReadAudit, Administer, Erase}

// grants is the one table of who may do what. Admin is absent: it holds
// everything (see Allowed).
var grants = map[Role][]Permission{
	Viewer:   {ReadReports},
	Recorder: {ReadReports, RecordCommands, ReadPersonalData},
	Auditor:  {ReadReports, ReadAudit},
}

// Allowed reports whether role r holds permission p. An unknown role
// holds nothing.
func Allowed(r Role, p Permission) bool {
	if r == Admin {
		return slices.Contains(Permissions, p)
	}
	return slices.Contains(grants[r], p)
}

// PermissionsOf lists the permissions role r holds, in the order of
// [Permissions].
func PermissionsOf(r Role) []Permission {
	var ps []Permission
	for _, p := range Permissions {
		if Allowed(r, p) {
			ps = append(ps, p)
		}
	}
	return ps
}
