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
	"sync"
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

// tokenRecord returns the record of the token under key, as kept while a
// watch reports every change to it, or read; ErrInvalidToken if there is
// none.
func (s *Service) tokenRecord(ctx context.Context, key string) (tokenRecord, error) {
	if rec, ok := s.tokens.look(key); ok {
		return rec, nil
	}
	ticket, keepable := s.tokens.ticket()
	data, _, err := s.state.Get(ctx, key)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return tokenRecord{}, ErrInvalidToken
		}
		return tokenRecord{}, err
	}
	var rec tokenRecord
	if err := decodeRecord(key, data, &rec); err != nil {
		return tokenRecord{}, err
	}
	if keepable {
		s.tokens.keep(key, rec, ticket)
	}
	return rec, nil
}

// WatchTokens keeps the tokens' records the service reads current, from a
// watch of the bucket's tokens, until ctx ends: while it runs, a request
// with a token whose record was read since the watch began is answered
// without reading it again. A revocation through this service takes the
// record out before it returns; one made by another process (together
// token revoke --nats) as soon as the watch reports it. While no watch is
// under way (before it begins, after it breaks, on a bucket that cannot
// be watched) every request reads its token's record, as without it.
func (s *Service) WatchTokens(ctx context.Context) error {
	w, ok := s.state.(Watcher)
	if !ok {
		<-ctx.Done()
		return nil
	}
	pause := time.Duration(0)
	for {
		began := time.Now()
		err := w.Watch(ctx, "tokens.", func() {
			s.tokens.watching(true)
			s.m.tokensWatched.Set(1)
		}, s.tokens.changed)
		s.tokens.watching(false)
		s.m.tokensWatched.Set(0)
		if ctx.Err() != nil {
			return nil
		}
		// A watch that held for a while broke for a reason of its own
		// (a reconnection, say): begin again at once, and wait longer
		// only while beginning keeps failing.
		if time.Since(began) > time.Minute {
			pause = 0
		}
		pause = min(max(2*pause, 100*time.Millisecond), 5*time.Second)
		s.log.Warn().Err(err).Dur("retry_in", pause).Msg("the watch of the tokens broke; every request reads its token meanwhile")
		select {
		case <-time.After(pause):
		case <-ctx.Done():
			return nil
		}
	}
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
	// Before answering, whatever the watch's delay; and even after an
	// error, which may hide a change made.
	s.tokens.changed(tokenKey(id))
	if err != nil {
		return Token{}, err
	}
	s.log.Info().Str("token_id", id).Str("by", revokedBy).Msg("API token revoked")
	return rec.Token, nil
}

// tokenCache keeps tokens' records read while a watch of the bucket
// reports every change to them, so that a request with a token need not
// read its record again: a revocation, like any change, takes the record
// out as soon as it is reported, and a read that a change may have
// overtaken is not kept. Without a watch under way nothing is kept and
// every request reads its token's record. It is safe for concurrent use.
type tokenCache struct {
	mu sync.Mutex
	// watched is set while a watch reports every change.
	watched bool
	// changes counts the changes reported and the watches begun and
	// ended: a read is kept only if it did not change meanwhile.
	changes uint64
	kept    map[string]tokenRecord
}

// mostKeptTokens bounds what a tokenCache keeps: more tokens in use than
// that start it afresh.
const mostKeptTokens = 1024

// look returns the record kept under key, if any.
func (c *tokenCache) look(key string) (tokenRecord, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	rec, ok := c.kept[key]
	return rec, ok && c.watched
}

// ticket is taken before a record is read, for keep: it says whether a
// read may be kept at all, and what has changed so far.
func (c *tokenCache) ticket() (uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.changes, c.watched
}

// keep keeps rec, read under key after ticket was taken, unless something
// changed since.
func (c *tokenCache) keep(key string, rec tokenRecord, ticket uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.watched || c.changes != ticket {
		return
	}
	if c.kept == nil || len(c.kept) >= mostKeptTokens {
		c.kept = map[string]tokenRecord{}
	}
	c.kept[key] = rec
}

// changed forgets the record under key, and any read in flight.
func (c *tokenCache) changed(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.changes++
	delete(c.kept, key)
}

// watching says whether a watch now reports every change; either way,
// what was kept before is forgotten.
func (c *tokenCache) watching(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.watched = on
	c.changes++
	clear(c.kept)
}
