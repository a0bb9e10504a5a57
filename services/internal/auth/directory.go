package auth

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Directory names identities. Events record an identity's stable ID as
// their actor, never a person's name, so that a name can change, and an
// account be removed, without touching the history; the directory gives
// the current display name for an ID. A Directory is safe for concurrent
// use and reads the same bucket as the [Service], so any process can
// hold one.
type Directory struct {
	state KV
}

// NewDirectory returns the directory kept in state (the [Stores] State
// bucket).
func NewDirectory(state KV) *Directory { return &Directory{state: state} }

// person is how the directory remembers someone who signed in through
// OpenID Connect; tokens and accounts are named by their own records.
type person struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	LastSeen time.Time `json:"last_seen"`
}

func personKey(id string) string { return keyHash("people.", id) }

// Name returns the display name of identity id ("token:…", "user:…",
// "oidc:…"). ErrNotFound if the directory does not know it.
func (d *Directory) Name(ctx context.Context, id string) (string, error) {
	kind, rest, ok := strings.Cut(id, ":")
	if !ok {
		return "", ErrNotFound
	}
	switch Kind(kind) {
	case KindToken:
		if _, err := uuid.Parse(rest); err != nil {
			return "", ErrNotFound
		}
		var t tokenRecord
		if _, err := getJSON(ctx, d.state, tokenKey(rest), &t); err != nil {
			return "", err
		}
		return t.Name, nil
	case KindUser:
		if _, err := uuid.Parse(rest); err != nil {
			return "", ErrNotFound
		}
		var u userRecord
		if _, err := getJSON(ctx, d.state, userKey(rest), &u); err != nil {
			return "", err
		}
		return u.Name, nil
	case KindOIDC:
		var p person
		if _, err := getJSON(ctx, d.state, personKey(id), &p); err != nil {
			return "", err
		}
		return p.Name, nil
	}
	return "", ErrNotFound
}

// remember records the current name of someone who signed in through
// OpenID Connect.
func (d *Directory) remember(ctx context.Context, id Identity, now time.Time) error {
	data, err := json.Marshal(person{ID: id.ID, Name: id.Name, LastSeen: now})
	if err != nil {
		return err
	}
	key := personKey(id.ID)
	for {
		_, rev, err := d.state.Get(ctx, key)
		switch {
		case errors.Is(err, ErrNotFound):
			_, err = d.state.Create(ctx, key, data)
		case err == nil:
			_, err = d.state.Update(ctx, key, data, rev)
		}
		if errors.Is(err, ErrExists) || errors.Is(err, ErrConflict) {
			continue
		}
		return err
	}
}
