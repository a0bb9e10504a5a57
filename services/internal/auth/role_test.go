package auth_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/together-coop/together/services/internal/auth"
)

func TestAllowed(t *testing.T) {
	// The whole table, written out: a change to who may do what must
	// change this test.
	want := map[auth.Role][]auth.Permission{
		auth.Viewer:   {auth.ReadReports},
		auth.Recorder: {auth.ReadReports, auth.RecordCommands, auth.ReadPersonalData},
		auth.Auditor:  {auth.ReadReports, auth.ReadAudit},
		auth.Admin:    {auth.ReadReports, auth.RecordCommands, auth.ReadPersonalData, auth.ReadAudit, auth.Administer, auth.Erase},
		"":            nil,
		"root":        nil,
	}
	for role, perms := range want {
		t.Run(string(role), func(t *testing.T) {
			for _, p := range auth.Permissions {
				wantOK := false
				for _, q := range perms {
					wantOK = wantOK || p == q
				}
				if got := auth.Allowed(role, p); got != wantOK {
					t.Errorf("Allowed(%q, %q) = %v, want %v", role, p, got, wantOK)
				}
			}
			if diff := cmp.Diff(perms, auth.PermissionsOf(role)); diff != "" {
				t.Errorf("PermissionsOf(%q) (-want +got):\n%s", role, diff)
			}
		})
	}
	if auth.Allowed(auth.Admin, "launch rockets") {
		t.Error("admin holds a permission that does not exist")
	}
}

func TestParseRole(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    auth.Role
		wantErr error
	}{
		{"viewer", auth.Viewer, nil},
		{"admin", auth.Admin, nil},
		{"Admin", "", auth.ErrUnknownRole},
		{"", "", auth.ErrUnknownRole},
	} {
		t.Run(tt.in, func(t *testing.T) {
			got, err := auth.ParseRole(tt.in)
			if got != tt.want || !errors.Is(err, tt.wantErr) {
				t.Errorf("ParseRole(%q) = %q, %v, want %q, %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestOIDCID(t *testing.T) {
	a := auth.OIDCID("https://login.microsoftonline.com/t1/v2.0", "sub-1")
	if a != auth.OIDCID("https://login.microsoftonline.com/t1/v2.0", "sub-1") {
		t.Error("OIDCID is not stable")
	}
	if a == auth.OIDCID("https://login.microsoftonline.com/t2/v2.0", "sub-1") {
		t.Error("OIDCID does not tell issuers apart")
	}
	if want := "oidc:"; a[:5] != want || len(a) != len("oidc:")+16+1+len("sub-1") {
		t.Errorf("OIDCID = %q, want oidc:<16 hex>:sub-1", a)
	}
}
