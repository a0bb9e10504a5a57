// Package authtest helps test code that sits behind package auth: a
// Service with an API token for every role, so that a test can try every
// route as every role and as nobody, and an OpenID Connect provider that
// runs in the test process.
package authtest

import (
	"context"
	"testing"

	"github.com/together-coop/together/services/internal/auth"
)

// cheap keeps password hashing fast in tests; the parameters are recorded
// in each hash, so verification is exercised all the same.
var cheap = auth.PasswordParams{Memory: 64, Time: 1, Threads: 1}

// Service returns an auth.Service on in-memory stores, with cheap
// password hashing, and an "Authorization" header value for each role.
// Further options are applied after the defaults.
func Service(t testing.TB, opts ...auth.Option) (*auth.Service, map[auth.Role]string) {
	t.Helper()
	s, err := auth.New(auth.MemoryStores(), append([]auth.Option{auth.WithPasswordParams(cheap)}, opts...)...)
	if err != nil {
		t.Fatalf("auth.New: %v", err)
	}
	headers := map[auth.Role]string{}
	for _, r := range auth.Roles {
		_, secret, err := s.CreateToken(context.Background(), "test "+string(r), r, "test")
		if err != nil {
			t.Fatalf("CreateToken(%s): %v", r, err)
		}
		headers[r] = "Bearer " + secret
	}
	return s, headers
}
