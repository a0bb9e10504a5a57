package auth

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// failures counts a username's recent failed sign-ins. It lives in the
// session bucket, so every process refuses the same guesses.
type failures struct {
	Count int       `json:"count"`
	First time.Time `json:"first"`
	// Until is when a locked username may try again.
	Until time.Time `json:"until"`
}

func throttleKey(username string) string { return keyHash("throttle.", username) }

// throttled returns how long a username must wait before trying again;
// zero if it may try now.
func (s *Service) throttled(ctx context.Context, username string) (time.Duration, error) {
	var f failures
	if _, err := getJSON(ctx, s.sessions, throttleKey(username), &f); err != nil {
		if errors.Is(err, ErrNotFound) {
			return 0, nil
		}
		return 0, err
	}
	return max(f.Until.Sub(s.now()), 0), nil
}

// failed counts a failed sign-in. The maxFailures-th failure within the
// window locks the username until the window since that failure is over.
func (s *Service) failed(ctx context.Context, username string) error {
	key := throttleKey(username)
	for {
		now := s.now().UTC()
		var f failures
		rev, err := getJSON(ctx, s.sessions, key, &f)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		if err != nil || now.Sub(f.First) >= s.failureWindow {
			f = failures{First: now}
		}
		f.Count++
		if f.Count >= s.maxFailures {
			f.Until = now.Add(s.failureWindow)
		}
		data, _ := json.Marshal(f)
		if rev == 0 {
			_, err = s.sessions.Create(ctx, key, data)
		} else {
			_, err = s.sessions.Update(ctx, key, data, rev)
		}
		if errors.Is(err, ErrExists) || errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound) {
			continue
		}
		return err
	}
}

// succeeded forgets a username's failures.
func (s *Service) succeeded(ctx context.Context, username string) error {
	return s.sessions.Delete(ctx, throttleKey(username))
}
