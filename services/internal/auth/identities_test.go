package auth

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Whatever an authenticate request holds, what decodes is credentials
// the Service can check, and encodes back to what decodes the same.
func FuzzDecodeCredentials(f *testing.F) {
	f.Add([]byte(`{"kind":"bearer","secret":"together_0123"}`))
	f.Add([]byte(`{"kind":"session","secret":"abc"}`))
	f.Add([]byte(`{"kind":"session","secret":""}`))
	f.Add([]byte(`{"kind":"bearer","secret":"x","kind":"session"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := decodeCredentials(data)
		if err != nil {
			return
		}
		switch {
		case c.Kind == kindBearer && len(c.Secret) <= maxTokenLen:
		case c.Kind == kindSession && c.Secret != "" && len(c.Secret) <= maxSessionIDLen:
		default:
			t.Fatalf("decoded unusable credentials %+v", c)
		}
		again, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		back, err := decodeCredentials(again)
		if err != nil || back != c {
			t.Fatalf("re-encoded %+v decodes to %+v, %v", c, back, err)
		}
	})
}

// Whatever the identities service answers, what decodes is a verdict the
// middleware can act on: an identity with an id, a kind and a role for
// "ok", nothing else for a refusal, and a CSRF token exactly for a
// session.
func FuzzDecodeVerdict(f *testing.F) {
	f.Add([]byte(`{"outcome":"ok","identity":{"id":"token:1","name":"n","role":"viewer","kind":"token"}}`), false)
	f.Add([]byte(`{"outcome":"ok","identity":{"id":"user:1","name":"n","role":"admin","kind":"user"},"csrf":"c"}`), true)
	f.Add([]byte(`{"outcome":"expired_session"}`), true)
	f.Add([]byte(`{"outcome":"bad_token"}`), false)
	f.Add([]byte(`{"outcome":"none"}`), false)
	f.Fuzz(func(t *testing.T, data []byte, isSession bool) {
		kind := kindBearer
		if isSession {
			kind = kindSession
		}
		v, err := decodeVerdict(data, kind)
		if err != nil {
			return
		}
		switch v.Outcome {
		case outcomeOK:
			if _, err := ParseRole(string(v.Identity.Role)); err != nil || v.Identity.ID == "" || (v.CSRF != "") != isSession {
				t.Fatalf("decoded an unusable identity %+v", v)
			}
		case outcomeBadToken, outcomeExpired:
			if v.Identity != nil || v.CSRF != "" {
				t.Fatalf("decoded a refusal with an identity %+v", v)
			}
		default:
			t.Fatalf("decoded outcome %q", v.Outcome)
		}
		again, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		back, err := decodeVerdict(again, kind)
		if err != nil {
			t.Fatalf("re-encoded %+v does not decode: %v", v, err)
		}
		if diff := cmp.Diff(v, back); diff != "" {
			t.Fatalf("re-encoded verdict differs:\n%s", diff)
		}
	})
}
