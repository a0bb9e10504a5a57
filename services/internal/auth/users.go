package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
)

// User is a local account, as listed. Its password is stored only as an
// argon2id hash.
type User struct {
	ID string `json:"id"`
	// Username signs in; it is unique, compared case-insensitively.
	Username string `json:"username"`
	// Name is shown to people; it is what the directory answers.
	Name       string     `json:"name"`
	Role       Role       `json:"role"`
	CreatedAt  time.Time  `json:"created_at"`
	CreatedBy  string     `json:"created_by"`
	DisabledAt *time.Time `json:"disabled_at"`
	// PasswordSetAt is when the password was last set or reset.
	PasswordSetAt time.Time `json:"password_set_at"`
}

// userRecord is a User as stored. Generation goes up with every password
// reset and ends every session signed in before it.
type userRecord struct {
	User
	PasswordHash string `json:"password_hash"`
	Generation   int    `json:"generation"`
}

// ErrInvalidInput is returned when a name, role, username or password is
// not acceptable; the error says which.
var ErrInvalidInput = errors.New("invalid input")

func userKey(id string) string { return "users." + id }

// usernameKey indexes accounts by username; the username is hashed so
// that the bucket's keys name nobody.
func usernameKey(username string) string { return keyHash("usernames.", username) }

// normalizeUsername folds case and trims, so "Sarah@Example.org " and
// "sarah@example.org" are one account.
func normalizeUsername(u string) (string, error) {
	u = strings.ToLower(strings.TrimSpace(u))
	if u == "" || utf8.RuneCountInString(u) > 100 || strings.ContainsFunc(u, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) {
		return "", fmt.Errorf("%w: a username has 1 to 100 characters and no spaces", ErrInvalidInput)
	}
	return u, nil
}

func checkName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return "", fmt.Errorf("%w: a name has 1 to 100 characters", ErrInvalidInput)
	}
	return name, nil
}

// AddUser creates a local account. ErrExists if the username is taken.
func (s *Service) AddUser(ctx context.Context, username, name string, role Role, password, createdBy string) (User, error) {
	username, err := normalizeUsername(username)
	if err != nil {
		return User{}, err
	}
	if name, err = checkName(name); err != nil {
		return User{}, err
	}
	if _, err := ParseRole(string(role)); err != nil {
		return User{}, fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	if err := checkPassword(password); err != nil {
		return User{}, fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	hash, err := s.hasher.hash(ctx, password)
	if err != nil {
		return User{}, err
	}
	now := s.now().UTC()
	rec := userRecord{
		User:         User{ID: uuid.NewString(), Username: username, Name: name, Role: role, CreatedAt: now, CreatedBy: createdBy, PasswordSetAt: now},
		PasswordHash: hash,
	}
	data, err := json.Marshal(rec)
	if err != nil {
		return User{}, err
	}
	// Claim the username first: if two admins add the same one at once,
	// exactly one claim succeeds.
	if _, err := s.state.Create(ctx, usernameKey(username), []byte(rec.ID)); err != nil {
		if errors.Is(err, ErrExists) {
			return User{}, fmt.Errorf("username: %w", ErrExists)
		}
		return User{}, err
	}
	if _, err := s.state.Create(ctx, userKey(rec.ID), data); err != nil {
		_ = s.state.Delete(ctx, usernameKey(username))
		return User{}, fmt.Errorf("store user: %w", err)
	}
	s.log.Info().Str("user_id", rec.ID).Str("role", string(role)).Str("by", createdBy).Msg("account created")
	return rec.User, nil
}

// ListUsers returns every account, disabled ones included, oldest first.
func (s *Service) ListUsers(ctx context.Context) ([]User, error) {
	recs, err := listJSON[userRecord](ctx, s.state, "users.")
	if err != nil {
		return nil, err
	}
	out := make([]User, len(recs))
	for i, r := range recs {
		out[i] = r.User
	}
	slices.SortStableFunc(out, func(a, b User) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

// FindUser returns the account with the given id or username.
// ErrNotFound if there is none.
func (s *Service) FindUser(ctx context.Context, idOrUsername string) (User, error) {
	rec, err := s.findUser(ctx, idOrUsername)
	return rec.User, err
}

func (s *Service) findUser(ctx context.Context, idOrUsername string) (userRecord, error) {
	var rec userRecord
	id := idOrUsername
	if _, err := uuid.Parse(id); err != nil {
		username, err := normalizeUsername(idOrUsername)
		if err != nil {
			return rec, ErrNotFound
		}
		raw, _, err := s.state.Get(ctx, usernameKey(username))
		if err != nil {
			return rec, err
		}
		id = string(raw)
	}
	_, err := getJSON(ctx, s.state, userKey(id), &rec)
	return rec, err
}

// DisableUser stops an account from signing in and ends its sessions. It
// is kept (not deleted) so that the audit trail can still name it.
func (s *Service) DisableUser(ctx context.Context, idOrUsername, by string) (User, error) {
	rec, err := s.findUser(ctx, idOrUsername)
	if err != nil {
		return User{}, err
	}
	rec, err = updateJSON(ctx, s.state, userKey(rec.ID), func(r *userRecord) error {
		if r.DisabledAt == nil {
			now := s.now().UTC()
			r.DisabledAt = &now
		}
		return nil
	})
	if err != nil {
		return User{}, err
	}
	s.log.Info().Str("user_id", rec.ID).Str("by", by).Msg("account disabled")
	return rec.User, nil
}

// ResetPassword sets a new password, enables the account again if it was
// disabled, and ends every session signed in with the old password.
func (s *Service) ResetPassword(ctx context.Context, idOrUsername, password, by string) (User, error) {
	if err := checkPassword(password); err != nil {
		return User{}, fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	rec, err := s.findUser(ctx, idOrUsername)
	if err != nil {
		return User{}, err
	}
	hash, err := s.hasher.hash(ctx, password)
	if err != nil {
		return User{}, err
	}
	rec, err = updateJSON(ctx, s.state, userKey(rec.ID), func(r *userRecord) error {
		r.PasswordHash = hash
		r.PasswordSetAt = s.now().UTC()
		r.DisabledAt = nil
		r.Generation++
		return nil
	})
	if err != nil {
		return User{}, err
	}
	s.log.Info().Str("user_id", rec.ID).Str("by", by).Msg("password reset")
	return rec.User, nil
}

// checkCredentials returns the account a username and password sign in
// as. Every failure is ErrBadCredentials, whatever its cause, so that a
// sign-in form does not tell which usernames exist; an unknown username
// costs the same hashing time as a known one.
func (s *Service) checkCredentials(ctx context.Context, username, password string) (userRecord, error) {
	rec, err := s.findUser(ctx, username)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return rec, err
	}
	hash, known := rec.PasswordHash, err == nil && len(password) <= 4*MaxPasswordLength
	if !known {
		if hash, err = s.dummyHash(); err != nil {
			return rec, err
		}
	}
	ok, err := s.hasher.verify(ctx, password, hash)
	switch {
	case err != nil:
		return rec, err
	case !known || !ok || rec.DisabledAt != nil:
		return rec, ErrBadCredentials
	}
	return rec, nil
}

// ErrBadCredentials is returned when a username and password do not sign
// in, for whatever reason.
var ErrBadCredentials = errors.New("wrong username or password")
