// Package openapitest checks a running API against its OpenAPI document:
// [Transport] validates every request a test sends and every answer it
// gets, so an integration test proves the document as it goes.
package openapitest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/together-coop/together/services/internal/openapi"
)

var (
	loadOnce sync.Once
	loaded   *openapi3.T
	router   routers.Router
	loadErr  error
)

// Load returns the API's document, loaded and validated as OpenAPI, and
// a router over it. It is loaded once per test binary.
func Load() (*openapi3.T, routers.Router, error) {
	loadOnce.Do(func() {
		// The answers that are not JSON are checked as text: the
		// document says only that they are strings.
		for _, ct := range []string{"application/x-ndjson", "text/html"} {
			openapi3filter.RegisterBodyDecoder(ct, openapi3filter.PlainBodyDecoder)
		}
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(openapi.Document())
		if err != nil {
			loadErr = fmt.Errorf("load the OpenAPI document: %w", err)
			return
		}
		if err := doc.Validate(loader.Context); err != nil {
			loadErr = fmt.Errorf("the OpenAPI document is invalid: %w", err)
			return
		}
		// The document's server is "/": match any host a test server
		// listens on.
		routed := *doc
		routed.Servers = nil
		r, err := legacy.NewRouter(&routed)
		if err != nil {
			loadErr = fmt.Errorf("route the OpenAPI document: %w", err)
			return
		}
		loaded, router = doc, r
	})
	return loaded, router, loadErr
}

// Transport is an http.RoundTripper that checks every exchange against
// the OpenAPI document and reports each mismatch as a test error:
//
//   - the route (method and path) must be documented, or not served: 404
//     or 405, or 401 to a request without an identity, which learns
//     nothing of which routes exist;
//   - the answer must be documented for its route and status, with a body
//     its schema accepts;
//   - a request the document refuses (a missing field, a wrong enum, an
//     unknown field) must be refused by the server too, with a 4xx: the
//     document may not promise less than the server checks.
//
// A request the document accepts may still be refused (a 404 for an
// unknown id, a 409 for a state that does not allow it): those are
// documented answers. Transport is safe for concurrent use.
type Transport struct {
	t    testing.TB
	base http.RoundTripper
}

// NewTransport returns a transport over base (nil: http.DefaultTransport)
// that reports to t.
func NewTransport(t testing.TB, base http.RoundTripper) *Transport {
	t.Helper()
	if _, _, err := Load(); err != nil {
		t.Fatal(err)
	}
	if base == nil {
		base = http.DefaultTransport
	}
	return &Transport{t: t, base: base}
}

// Client returns an http.Client whose every exchange a [Transport]
// checks.
func Client(t testing.TB) *http.Client {
	t.Helper()
	return &http.Client{Transport: NewTransport(t, nil)}
}

// options are the validation options: tokens are checked by the server,
// not here, and an undocumented status is a mismatch.
func options() *openapi3filter.Options {
	return &openapi3filter.Options{
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		IncludeResponseStatus: true,
		MultiError:            true,
	}
}

// RoundTrip sends req and checks the exchange.
func (tr *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	_, router, _ := Load()
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		_ = req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	name := req.Method + " " + req.URL.RequestURI()

	// Validate a copy, so that the request sent is the one given.
	check := req.Clone(context.Background())
	check.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := router.FindRoute(check)
	if err != nil {
		// Not documented, so it must not be served either.
		res, rerr := tr.base.RoundTrip(req)
		if rerr == nil && res.StatusCode != http.StatusNotFound && res.StatusCode != http.StatusMethodNotAllowed && res.StatusCode != http.StatusUnauthorized {
			tr.t.Errorf("openapi: %s is not in the document (%v) but the server answered %d", name, err, res.StatusCode)
		}
		return res, rerr
	}
	in := &openapi3filter.RequestValidationInput{Request: check, PathParams: params, Route: route, Options: options()}
	reqErr := openapi3filter.ValidateRequest(context.Background(), in)

	res, err := tr.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	answer, err := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(answer))

	if reqErr != nil && res.StatusCode < 400 {
		tr.t.Errorf("openapi: the document refuses %s but the server answered %d:\n%s\nbody: %s", name, res.StatusCode, clip(reqErr.Error()), clip(string(body)))
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: res.StatusCode, Header: res.Header, Options: options(),
	}
	out.SetBodyBytes(answer)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		tr.t.Errorf("openapi: the answer %d to %s is not as documented:\n%s\nanswer: %s", res.StatusCode, name, clip(err.Error()), clip(string(answer)))
	}
	return res, nil
}

// clip keeps a failure readable.
func clip(s string) string {
	const max = 2000
	s = strings.TrimSpace(s)
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}
