package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/together-coop/together/services/internal/auth"
)

func TestAdminAPI(t *testing.T) {
	c := newClock()
	s, headers := newService(t, c, auth.Viewer)
	b := newBrowser(t, handler(s))
	call := func(role auth.Role, method, path, body string) (int, map[string]any) {
		t.Helper()
		h := map[string]string{"Authorization": headers[role]}
		if body != "" {
			h["Content-Type"] = "application/json"
		}
		code, out, _ := b.do(method, path, strings.NewReader(body), h)
		var v map[string]any
		_ = json.Unmarshal([]byte(out), &v)
		return code, v
	}

	// Tokens.
	code, tok := call(auth.Admin, http.MethodPost, "/api/v1/tokens", `{"name":"reports script","role":"viewer"}`)
	secret, _ := tok["token"].(string)
	if code != http.StatusCreated || !strings.HasPrefix(secret, "together_") || tok["role"] != "viewer" || tok["id"] == "" {
		t.Fatalf("POST /api/v1/tokens = %d %v", code, tok)
	}
	if _, ok := tok["hash"]; ok {
		t.Error("the token's hash was sent")
	}
	if got, _ := tok["created_by"].(string); !strings.HasPrefix(got, "token:") {
		t.Errorf("created_by = %q, want the admin token's identity", got)
	}
	code, _, _ = b.do(http.MethodGet, "/api/v1/reports/participation", nil, map[string]string{"Authorization": "Bearer " + secret})
	if code != http.StatusOK {
		t.Errorf("the new token reading reports = %d, want 200", code)
	}
	code, list := call(auth.Admin, http.MethodGet, "/api/v1/tokens", "")
	raw, _ := json.Marshal(list)
	if code != http.StatusOK || strings.Contains(string(raw), secret[len(secret)-20:]) || strings.Contains(string(raw), `"hash"`) {
		t.Errorf("GET /api/v1/tokens = %d %s: want the list without secrets or hashes", code, raw)
	}
	if n := len(list["tokens"].([]any)); n != len(auth.Roles)+1 {
		t.Errorf("GET /api/v1/tokens lists %d tokens, want %d", n, len(auth.Roles)+1)
	}
	code, rev := call(auth.Admin, http.MethodPost, "/api/v1/tokens/"+tok["id"].(string)+"/revoke", "")
	if code != http.StatusOK || rev["revoked_at"] == nil {
		t.Errorf("revoke = %d %v", code, rev)
	}
	code, _, _ = b.do(http.MethodGet, "/api/v1/reports/participation", nil, map[string]string{"Authorization": "Bearer " + secret})
	if code != http.StatusUnauthorized {
		t.Errorf("the revoked token = %d, want 401", code)
	}

	// Users.
	code, u := call(auth.Admin, http.MethodPost, "/api/v1/users", `{"username":"Tom@example.org","name":"Tom","role":"auditor"}`)
	made, _ := u["password"].(string)
	if code != http.StatusCreated || u["username"] != "tom@example.org" || len(made) < auth.MinPasswordLength {
		t.Fatalf("POST /api/v1/users = %d %v, want the user with a made-up password", code, u)
	}
	if _, ok := u["password_hash"]; ok {
		t.Error("the password hash was sent")
	}
	tom := newBrowser(t, handler(s))
	if code := tom.signIn("tom@example.org", made); code != http.StatusSeeOther {
		t.Errorf("signing in with the made-up password = %d", code)
	}
	code, _ = call(auth.Admin, http.MethodPost, "/api/v1/users", `{"username":"tom@example.org","name":"Tom 2","role":"auditor","password":"another long password"}`)
	if code != http.StatusConflict {
		t.Errorf("a second tom = %d, want 409", code)
	}
	code, _ = call(auth.Admin, http.MethodPost, "/api/v1/users", `{"username":"ann","name":"Ann","role":"viewer","password":"short"}`)
	if code != http.StatusBadRequest {
		t.Errorf("a short password = %d, want 400", code)
	}
	code, users := call(auth.Admin, http.MethodGet, "/api/v1/users", "")
	if code != http.StatusOK || len(users["users"].([]any)) != 2 {
		t.Errorf("GET /api/v1/users = %d %v, want sarah and tom", code, users)
	}
	id := u["id"].(string)
	code, d := call(auth.Admin, http.MethodPost, "/api/v1/users/"+id+"/disable", "")
	if code != http.StatusOK || d["disabled_at"] == nil {
		t.Errorf("disable = %d %v", code, d)
	}
	if code, _, _ := tom.do(http.MethodGet, "/api/v1/reports/participation", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("tom's session after disable = %d, want 401", code)
	}
	tom.csrf = ""
	if code := tom.signIn("tom@example.org", made); code != http.StatusUnauthorized {
		t.Errorf("signing in disabled = %d, want 401", code)
	}
	code, r := call(auth.Admin, http.MethodPost, "/api/v1/users/"+id+"/reset", `{"password":"tom's new password"}`)
	if code != http.StatusOK || r["disabled_at"] != nil || r["password"] != nil {
		t.Errorf("reset = %d %v, want enabled, no password echoed", code, r)
	}
	if code := tom.signIn("tom@example.org", "tom's new password"); code != http.StatusSeeOther {
		t.Errorf("signing in after reset = %d", code)
	}
	code, _ = call(auth.Admin, http.MethodPost, "/api/v1/users/00000000-0000-0000-0000-000000000000/disable", "")
	if code != http.StatusNotFound {
		t.Errorf("disabling nobody = %d, want 404", code)
	}

	// Only admins.
	for _, role := range []auth.Role{auth.Viewer, auth.Recorder, auth.Auditor} {
		if code, _ := call(role, http.MethodGet, "/api/v1/users", ""); code != http.StatusForbidden {
			t.Errorf("GET /api/v1/users as %s = %d, want 403", role, code)
		}
		if code, _ := call(role, http.MethodPost, "/api/v1/tokens", `{"name":"x","role":"admin"}`); code != http.StatusForbidden {
			t.Errorf("POST /api/v1/tokens as %s = %d, want 403", role, code)
		}
	}
	for _, tt := range []struct{ body, ct string }{{`{"name":"x","role":"root"}`, "application/json"}, {`{"nme":"x"}`, "application/json"}, {`{}`, "text/plain"}} {
		code, _, _ := b.do(http.MethodPost, "/api/v1/tokens", strings.NewReader(tt.body), map[string]string{"Authorization": headers[auth.Admin], "Content-Type": tt.ct})
		if code != http.StatusBadRequest && code != http.StatusUnsupportedMediaType {
			t.Errorf("POST /api/v1/tokens %s (%s) = %d, want 400 or 415", tt.body, tt.ct, code)
		}
	}
}

func TestDirectory(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s, _ := newService(t, c, auth.Viewer)
	tok, _, _ := s.CreateToken(ctx, "nightly export", auth.Auditor, "test")
	u, _ := s.FindUser(ctx, "sarah@example.org")
	dir := s.Directory()
	for _, tt := range []struct {
		id, want string
		wantErr  error
	}{
		{auth.TokenID(tok.ID), "nightly export", nil},
		{auth.UserID(u.ID), "Sarah Jones", nil},
		{auth.UserID("00000000-0000-0000-0000-000000000000"), "", auth.ErrNotFound},
		{"oidc:0123456789abcdef:nobody", "", auth.ErrNotFound},
		{"anonymous", "", auth.ErrNotFound},
		{"user:../../x", "", auth.ErrNotFound},
	} {
		got, err := dir.Name(ctx, tt.id)
		if got != tt.want || !errors.Is(err, tt.wantErr) {
			t.Errorf("Name(%q) = %q, %v, want %q, %v", tt.id, got, err, tt.want, tt.wantErr)
		}
	}
}
