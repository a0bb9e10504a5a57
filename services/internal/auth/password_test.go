package auth

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestPasswordHash(t *testing.T) {
	ctx := context.Background()
	h := newHasher(PasswordParams{Memory: 1024, Time: 1, Threads: 1}, 1)
	enc, err := h.hash(ctx, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Errorf("hash = %q, want a PHC argon2id string with its parameters", enc)
	}
	again, _ := h.hash(ctx, "correct horse battery")
	if again == enc {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	for _, tt := range []struct {
		pw   string
		want bool
	}{
		{"correct horse battery", true},
		{"correct horse batterY", false},
		{"", false},
	} {
		ok, err := h.verify(ctx, tt.pw, enc)
		if err != nil || ok != tt.want {
			t.Errorf("verify(%q) = %v, %v, want %v", tt.pw, ok, err, tt.want)
		}
	}
	// Verification reads the parameters from the hash, not the hasher, so
	// raising the cost later keeps old passwords working.
	stronger := newHasher(PasswordParams{Memory: 2048, Time: 2, Threads: 2}, 1)
	if ok, err := stronger.verify(ctx, "correct horse battery", enc); !ok || err != nil {
		t.Errorf("verify with other parameters = %v, %v, want true", ok, err)
	}
}

func TestParseHashRefuses(t *testing.T) {
	for _, bad := range []string{
		"",
		"$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=16$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=0,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=1024,t=1,p=1$!!$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
	} {
		if _, _, _, err := parseHash(bad); err == nil {
			t.Errorf("parseHash(%q) accepted it", bad)
		}
	}
}

// TestDefaultPasswordCost measures one hash at the default parameters, so
// that a change making sign-in slow or cheap shows in the test log.
func TestDefaultPasswordCost(t *testing.T) {
	if testing.Short() {
		t.Skip("hashes 64 MiB")
	}
	h := newHasher(DefaultPasswordParams, 1)
	start := time.Now()
	enc, err := h.hash(context.Background(), "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("argon2id m=%d KiB t=%d p=%d: %s per hash", DefaultPasswordParams.Memory, DefaultPasswordParams.Time, DefaultPasswordParams.Threads, time.Since(start))
	if ok, _ := h.verify(context.Background(), "correct horse battery", enc); !ok {
		t.Error("the default parameters do not verify their own hash")
	}
}

func FuzzParseHash(f *testing.F) {
	f.Add("$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA")
	f.Add("$argon2id$v=19$m=65536,t=3,p=4$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		p, salt, key, err := parseHash(s)
		if err != nil {
			return
		}
		if p.Memory == 0 || p.Memory > 4<<20 || p.Time == 0 || p.Threads == 0 || len(salt) < 8 || len(key) < 16 || len(key) > 64 {
			t.Errorf("parseHash(%q) accepted out-of-range values %+v, %d-byte salt, %d-byte key", s, p, len(salt), len(key))
		}
	})
}

func FuzzTokenID(f *testing.F) {
	f.Add("together_0123456789abcdef0123456789abcdef_secret")
	f.Add("together_")
	f.Fuzz(func(t *testing.T, s string) {
		id, ok := tokenID(s)
		if ok && (len(id) != 36 || !strings.HasPrefix(s, tokenPrefix)) {
			t.Errorf("tokenID(%q) = %q", s, id)
		}
	})
}
