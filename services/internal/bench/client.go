package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// client speaks the API. Every request carries the same Authorization
// header when a token is set.
type client struct {
	base  string
	token string
	http  *http.Client
}

// answer is what a command answers.
type answer struct {
	ID       string   `json:"id"`
	EventIDs []string `json:"event_ids"`
	Position uint64   `json:"position"`
}

// statusError is an answer outside 2xx.
type statusError struct {
	status int
	detail string
}

func (e *statusError) Error() string { return fmt.Sprintf("%d %s", e.status, e.detail) }

func (c *client) do(ctx context.Context, method, path string, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("X-Actor", "bench@example.invalid")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return c.http.Do(req)
}

// post sends a command and returns its answer and how long it took.
func (c *client) post(ctx context.Context, path string, body any) (answer, time.Duration, error) {
	start := time.Now()
	resp, err := c.do(ctx, http.MethodPost, path, body)
	if err != nil {
		return answer{}, time.Since(start), err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	took := time.Since(start)
	if err != nil {
		return answer{}, took, err
	}
	if resp.StatusCode/100 != 2 {
		var p struct {
			Detail string `json:"detail"`
		}
		_ = json.Unmarshal(data, &p)
		return answer{}, took, &statusError{status: resp.StatusCode, detail: p.Detail}
	}
	var a answer
	if err := json.Unmarshal(data, &a); err != nil {
		return answer{}, took, fmt.Errorf("%s: unreadable answer: %w", path, err)
	}
	return a, took, nil
}

// get reads path and discards the body, returning how long the whole
// answer took.
func (c *client) get(ctx context.Context, path string) (time.Duration, error) {
	start := time.Now()
	resp, err := c.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return time.Since(start), err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	took := time.Since(start)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = &statusError{status: resp.StatusCode}
	}
	return took, err
}
