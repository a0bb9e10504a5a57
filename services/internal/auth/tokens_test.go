package auth_test

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/together-coop/together/services/internal/auth"
)

func TestTokens(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	st := auth.MemoryStores()
	s, err := auth.New(st, auth.WithClock(c.Now), auth.WithPasswordParams(auth.PasswordParams{Memory: 64, Time: 1, Threads: 1}))
	if err != nil {
		t.Fatal(err)
	}
	tok, secret, err := s.CreateToken(ctx, " nightly export ", auth.Auditor, "user:admin")
	if err != nil {
		t.Fatal(err)
	}
	if tok.Name != "nightly export" || tok.Role != auth.Auditor || tok.CreatedBy != "user:admin" || !tok.CreatedAt.Equal(c.Now()) || tok.RevokedAt != nil {
		t.Errorf("CreateToken = %+v", tok)
	}
	// together_<32 hex>_<43 base64url characters = 32 random bytes>
	parts := strings.SplitN(secret, "_", 3)
	if len(parts) != 3 || parts[0] != "together" || len(parts[1]) != 32 {
		t.Fatalf("secret %q is not together_<id>_<random>", secret)
	}
	if raw, err := base64.RawURLEncoding.DecodeString(parts[2]); err != nil || len(raw) < 32 {
		t.Errorf("the random part has %d bytes (%v), want at least 32", len(raw), err)
	}

	id, err := s.VerifyToken(ctx, secret)
	want := auth.Identity{ID: "token:" + tok.ID, Name: "nightly export", Role: auth.Auditor, Kind: auth.KindToken}
	if err != nil || id != want {
		t.Errorf("VerifyToken = %+v, %v, want %+v", id, err, want)
	}
	for _, bad := range []string{"", "together_", secret + "x", secret[:len(secret)-1], strings.Replace(secret, parts[1], strings.Repeat("0", 32), 1)} {
		if _, err := s.VerifyToken(ctx, bad); !errors.Is(err, auth.ErrInvalidToken) {
			t.Errorf("VerifyToken(%q) error = %v, want ErrInvalidToken", bad, err)
		}
	}

	// Only the hash is at rest.
	values, _ := st.State.List(ctx, "tokens.")
	if len(values) != 1 || strings.Contains(string(values[0]), parts[2]) {
		t.Errorf("the stored token %s holds its secret", values)
	}

	c.Advance(time.Hour)
	revoked, err := s.RevokeToken(ctx, tok.ID, "user:admin")
	if err != nil || revoked.RevokedAt == nil || !revoked.RevokedAt.Equal(c.Now()) {
		t.Fatalf("RevokeToken = %+v, %v", revoked, err)
	}
	if _, err := s.VerifyToken(ctx, secret); !errors.Is(err, auth.ErrRevoked) {
		t.Errorf("VerifyToken after revoke: %v, want ErrRevoked", err)
	}
	c.Advance(time.Hour)
	again, err := s.RevokeToken(ctx, tok.ID, "user:admin")
	if err != nil || !again.RevokedAt.Equal(*revoked.RevokedAt) {
		t.Errorf("a second revoke changed the revocation time: %v, %v", again.RevokedAt, err)
	}
	if _, err := s.RevokeToken(ctx, "00000000-0000-0000-0000-000000000000", "x"); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("revoking an unknown token: %v, want ErrNotFound", err)
	}
	if _, err := s.RevokeToken(ctx, "../etc", "x"); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("revoking a malformed id: %v, want ErrNotFound", err)
	}

	list, err := s.ListTokens(ctx)
	if err != nil || len(list) != 1 || list[0].ID != tok.ID || list[0].RevokedAt == nil {
		t.Errorf("ListTokens = %+v, %v", list, err)
	}
	for _, tt := range []struct {
		name string
		role auth.Role
	}{{"", auth.Viewer}, {"x", "root"}, {strings.Repeat("n", 101), auth.Viewer}} {
		if _, _, err := s.CreateToken(ctx, tt.name, tt.role, "x"); !errors.Is(err, auth.ErrInvalidInput) {
			t.Errorf("CreateToken(%q, %q) error = %v, want ErrInvalidInput", tt.name, tt.role, err)
		}
	}
}
