package events

// Role is what a stakeholder brings. A person may hold several roles: staff
// can be service users or carers too.
type Role string

// The stakeholder roles.
const (
	RoleServiceUser    Role = "service_user"
	RoleCarer          Role = "carer"
	RoleFrontlineStaff Role = "frontline_staff"
	RoleManager        Role = "manager"
	RoleCommissioner   Role = "commissioner"
	RolePartner        Role = "partner"
	RolePublic         Role = "public"
)

// Roles lists every role in a fixed order, used wherever roles are listed.
var Roles = []Role{RoleServiceUser, RoleCarer, RoleFrontlineStaff, RoleManager, RoleCommissioner, RolePartner, RolePublic}

// LivedExperienceRoles are the roles that bring lived experience of a service.
var LivedExperienceRoles = []Role{RoleServiceUser, RoleCarer}

// Valid reports whether the role is one of [Roles].
func (r Role) Valid() bool {
	for _, known := range Roles {
		if r == known {
			return true
		}
	}
	return false
}

// LivedExperience reports whether the role brings lived experience.
func (r Role) LivedExperience() bool { return r == RoleServiceUser || r == RoleCarer }
