package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Token is an API token as listed: everything but the secret, which is
// shown once, when the token is created, and stored only as a hash.
type Token struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Role      Role       `json:"role"`
	CreatedAt time.Time  `json:"created_at"`
	CreatedBy string     `json:"created_by"`
	RevokedAt *time.Time `json:"revoked_at"`
}

// tokenRecord is a Token as stored. The secret is 256 random bits, so a
// plain SHA-256 of it is enough: nobody can search a space that size, and
// a slow hash (as passwords need) would only cost time on every request.
type tokenRecord struct {
	Token
	Hash string `json:"hash"`
}

// tokenPrefix starts every API token, so that a token pasted where it
// should not be (a log, a repository) is easy to recognise and scan for.
const tokenPrefix = "together_"

// Errors about tokens.
var (
	// ErrInvalidToken is returned when a bearer token is malformed,
	// unknown or does not match.
	ErrInvalidToken = errors.New("invalid token")
	// ErrRevoked is returned when a token has been revoked.
	ErrRevoked = errors.New("token revoked")
)

// maxTokenLen bounds a bearer token: anything longer is none this
// package made.
const maxTokenLen = 200

func tokenKey(id string) string { return "tokens." + id }

// CreateToken makes a new API token and returns it with its secret, the
// one time the secret is available. createdBy is the creator's identity
// ID.
func (s *Service) CreateToken(ctx context.Context, name string, role Role, createdBy string) (Token, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return Token{}, "", fmt.Errorf("%w: a token needs a name of 1 to 100 characters", ErrInvalidInput)
	}
	if _, err := ParseRole(string(role)); err != nil {
		return Token{}, "", fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	id := uuid.NewString()
	secret := tokenPrefix + strings.ReplaceAll(id, "-", "") + "_" + randomString(32)
	rec := tokenRecord{
		Token: Token{ID: id, Name: name, Role: role, CreatedAt: s.now().UTC(), CreatedBy: createdBy},
		Hash:  hashSecret(secret),
	}
	data, err := json.Marshal(rec)
	if err != nil {
		return Token{}, "", err
	}
	if _, err := s.state.Create(ctx, tokenKey(id), data); err != nil {
		return Token{}, "", fmt.Errorf("store token: %w", err)
	}
	s.log.Info().Str("token_id", id).Str("role", string(role)).Str("by", createdBy).Msg("API token created")
	return rec.Token, secret, nil
}

func hashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// tokenID reads the id out of a token: together_<32 hex>_<secret>.
func tokenID(secret string) (string, bool) {
	rest, ok := strings.CutPrefix(secret, tokenPrefix)
	if !ok || len(rest) < 33 || rest[32] != '_' || len(secret) > maxTokenLen {
		return "", false
	}
	id, err := uuid.Parse(rest[:32])
	if err != nil {
		return "", false
	}
	return id.String(), true
}

// VerifyToken returns the identity of a bearer token: ErrInvalidToken if
// it is not one this service issued, ErrRevoked if it was revoked.
func (s *Service) VerifyToken(ctx context.Context, secret string) (Identity, error) {
	id, ok := tokenID(secret)
	if !ok {
		return Identity{}, ErrInvalidToken
	}
	rec, err := s.tokenRecord(ctx, tokenKey(id))
	if err != nil {
		return Identity{}, err
	}
	if subtle.ConstantTimeCompare([]byte(hashSecret(secret)), []byte(rec.Hash)) != 1 {
		return Identity{}, ErrInvalidToken
	}
	if rec.RevokedAt != nil {
		return Identity{}, ErrRevoked
	}
	return Identity{ID: TokenID(rec.ID), Name: rec.Name, Role: rec.Role, Kind: KindToken}, nil
}

// tokenRecord returns the record of the token under key; ErrInvalidToken
// if there is none.
func (s *Service) tokenRecord(ctx context.Context, key string) (tokenRecord, error) {
	var rec tokenRecord
	if _, err := getJSON(ctx, s.state, key, &rec); err != nil {
		if errors.Is(err, ErrNotFound) {
			return tokenRecord{}, ErrInvalidToken
		}
		return tokenRecord{}, err
	}
	return rec, nil
}

// ListTokens returns every token, revoked ones included, oldest first.
func (s *Service) ListTokens(ctx context.Context) ([]Token, error) {
	recs, err := listJSON[tokenRecord](ctx, s.state, "tokens.")
	if err != nil {
		return nil, err
	}
	out := make([]Token, len(recs))
	for i, r := range recs {
		out[i] = r.Token
	}
	slices.SortStableFunc(out, func(a, b Token) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

// RevokeToken revokes a token for good; revoking it again changes
// nothing. ErrNotFound if there is no such token.
func (s *Service) RevokeToken(ctx context.Context, id, revokedBy string) (Token, error) {
	if _, err := uuid.Parse(id); err != nil {
		return Token{}, ErrNotFound
	}
	rec, err := updateJSON(ctx, s.state, tokenKey(id), func(r *tokenRecord) error {
		if r.RevokedAt == nil {
			now := s.now().UTC()
			r.RevokedAt = &now
		}
		return nil
	})
	if err != nil {
		return Token{}, err
	}
	s.log.Info().Str("token_id", id).Str("by", revokedBy).Msg("API token revoked")
	return rec.Token, nil
}
