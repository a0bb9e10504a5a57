package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/together-coop/together/services/internal/inproc"
)

// The forms and lists use the JSON API in process, as the reports do: the
// form handler turns what was typed into a command's JSON body and runs
// the command's own handler, so that its rules, validation, idempotency
// and the signed-in actor are exactly the API's. There is one code path
// for a command, whoever sends it.

// apiAnswer is what an in-process API call answered.
type apiAnswer struct {
	Status int
	Header http.Header
	Body   []byte
}

// OK reports whether the call succeeded.
func (a apiAnswer) OK() bool { return a.Status >= 200 && a.Status < 300 }

// apiProblem is a problem+json answer: the detail and the broken field
// rules.
type apiProblem struct {
	Status int          `json:"status"`
	Detail string       `json:"detail"`
	Errors []fieldError `json:"errors"`
}

// fieldError is one broken rule on one field of a command's body.
type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Problem decodes the answer as a problem; a body that is not one still
// gives its status.
func (a apiAnswer) Problem() apiProblem {
	var p apiProblem
	_ = json.Unmarshal(a.Body, &p)
	p.Status = a.Status
	return p
}

// callAPI sends a request to h in process on behalf of r: a sub-request
// carrying r's context (and so the signed-in identity) and headers (the
// request and correlation ids), with its own method, path, query and JSON
// body. key, if set, is sent as the Idempotency-Key.
func callAPI(h http.Handler, r *http.Request, method, path string, q url.Values, body any, key string) (apiAnswer, error) {
	sub := r.Clone(r.Context())
	sub.Method = method
	sub.URL = &url.URL{Path: path, RawQuery: q.Encode()}
	sub.RequestURI = sub.URL.RequestURI()
	sub.Form, sub.PostForm, sub.MultipartForm = nil, nil, nil
	sub.Header = r.Header.Clone()
	for _, k := range []string{"Content-Type", "Content-Length", "Idempotency-Key", "X-Csrf-Token", "Cookie", "Accept-Encoding"} {
		sub.Header.Del(k)
	}
	sub.Header.Set("Accept", "application/json")
	sub.Body, sub.ContentLength = http.NoBody, 0
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return apiAnswer{}, fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		sub.Body, sub.ContentLength = newBody(b), int64(len(b))
		sub.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		sub.Header.Set("Idempotency-Key", key)
	}
	res := inproc.Do(h, sub)
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return apiAnswer{}, err
	}
	return apiAnswer{Status: res.StatusCode, Header: res.Header, Body: b}, nil
}

type body struct{ *bytes.Reader }

func (body) Close() error { return nil }

func newBody(b []byte) body { return body{bytes.NewReader(b)} }

// readJSON reads path from h in process into v: 404 is [ErrNotFound], 400
// a *[QueryError], anything else but 200 an error.
func readJSON(h http.Handler, r *http.Request, path string, q url.Values, v any) error {
	if h == nil {
		return fmt.Errorf("GET %s: %w", path, errNotServed)
	}
	a, err := callAPI(h, r, http.MethodGet, path, q, nil, "")
	if err != nil {
		return err
	}
	switch {
	case a.Status == http.StatusOK:
		if err := json.Unmarshal(a.Body, v); err != nil {
			return fmt.Errorf("GET %s: decode: %w", path, err)
		}
		return nil
	case a.Status == http.StatusNotFound:
		return fmt.Errorf("GET %s: %s: %w", path, a.Problem().Detail, ErrNotFound)
	case a.Status == http.StatusBadRequest:
		return &QueryError{Detail: a.Problem().Detail}
	}
	return fmt.Errorf("GET %s: status %d: %s", path, a.Status, strings.TrimSpace(a.Problem().Detail))
}

// errNotServed is returned for a part of the API this process does not
// serve to the site.
var errNotServed = fmt.Errorf("not served here")
