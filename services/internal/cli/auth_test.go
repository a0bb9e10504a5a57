package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/together-coop/together/services/internal/app"
	"github.com/together-coop/together/services/internal/auth"
	"github.com/together-coop/together/services/internal/busauth"
	"github.com/together-coop/together/services/internal/keyring"
)

// keyFiles holds each test's key file, kept apart from its data.
var keyFiles sync.Map

// testKeyFile returns the key file of t's together commands.
func testKeyFile(t *testing.T) string {
	t.Helper()
	if f, ok := keyFiles.Load(t.Name()); ok {
		return f.(string)
	}
	f := filepath.Join(t.TempDir(), "keys", "key")
	keyFiles.Store(t.Name(), f)
	return f
}

// testKEK returns the key-encryption key in t's key file.
func testKEK(t *testing.T) keyring.KEK {
	t.Helper()
	kek, _, err := keyring.LoadOrCreateKeyFile(testKeyFile(t))
	if err != nil {
		t.Fatal(err)
	}
	return kek
}

func together(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	keyFile := testKeyFile(t)
	env := func(k string) string {
		if k == "TOGETHER_KEY_FILE" {
			return keyFile
		}
		return ""
	}
	code := Main(context.Background(), args, env, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestTokenCommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fresh")
	code, out, errOut := together(t, "token", "create", "--data", dir, "--role", "admin", "--name", "first admin")
	if code != 0 {
		t.Fatalf("token create = %d, stderr %q", code, errOut)
	}
	if !regexp.MustCompile(`^together_[0-9a-f]{32}_[A-Za-z0-9_-]{43}\n$`).MatchString(out) {
		t.Errorf("token create printed %q, want the token alone on a line", out)
	}
	secret := strings.TrimSpace(out)

	// The token is in the data directory, for the system that starts on it.
	nc, closeFn, err := app.OpenStopped(dir, testKEK(t), busauth.Reports)
	if err != nil {
		t.Fatal(err)
	}
	js, _ := jetstream.New(nc)
	st, err := auth.JetStreamStores(context.Background(), js, 1)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := auth.New(st)
	id, err := s.VerifyToken(context.Background(), secret)
	if err != nil || id.Role != auth.Admin || id.Name != "first admin" {
		t.Errorf("VerifyToken = %+v, %v", id, err)
	}
	// While something holds the directory, the command refuses it.
	if code, _, errOut := together(t, "token", "list", "--data", dir); code != 1 || !strings.Contains(errOut, "in use") {
		t.Errorf("token list on a held directory = %d %q, want 1 and in use", code, errOut)
	}
	closeFn()

	code, out, _ = together(t, "token", "list", "--data", dir)
	tokenID := strings.TrimPrefix(id.ID, "token:")
	if code != 0 || !strings.Contains(out, tokenID) || !strings.Contains(out, "first admin") || strings.Contains(out, secret[42:]) {
		t.Errorf("token list = %d %q, want the token without its secret", code, out)
	}
	if code, out, _ := together(t, "token", "revoke", "--data", dir, tokenID); code != 0 || !strings.Contains(out, "revoked") {
		t.Errorf("token revoke = %d %q", code, out)
	}
	for _, tt := range []struct {
		args     []string
		wantCode int
		wantErr  string
	}{
		{[]string{"token", "create", "--data", dir, "--role", "root", "--name", "x"}, 2, "unknown role"},
		{[]string{"token", "create", "--data", dir, "--role", "viewer"}, 2, "needs a name"},
		{[]string{"token", "revoke", "--data", dir}, 2, "want 1 argument"},
		{[]string{"token", "revoke", "--data", dir, "00000000-0000-0000-0000-000000000000"}, 1, "not found"},
		{[]string{"token", "frobnicate"}, 2, `unknown action "frobnicate"`},
	} {
		code, _, errOut := together(t, tt.args...)
		if code != tt.wantCode || !strings.Contains(errOut, tt.wantErr) {
			t.Errorf("%q = %d %q, want %d and %q", tt.args, code, errOut, tt.wantCode, tt.wantErr)
		}
	}
}

func TestUsersCommands(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("a long enough password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := together(t, "users", "add", "--data", dir, "--username", "Sarah@example.org", "--name", "Sarah Jones", "--role", "recorder", "--password-file", pwFile)
	if code != 0 || !strings.Contains(out, "added sarah@example.org") {
		t.Fatalf("users add = %d %q %q", code, out, errOut)
	}
	// From stdin, as a pipe.
	r, w, _ := os.Pipe()
	_, _ = w.WriteString("tom's long password\n")
	w.Close()
	old := stdin
	stdin = r
	t.Cleanup(func() { stdin = old })
	if code, _, errOut := together(t, "users", "add", "--data", dir, "--username", "tom", "--name", "Tom", "--role", "viewer"); code != 0 {
		t.Fatalf("users add from stdin = %d %q", code, errOut)
	}
	code, out, _ = together(t, "users", "list", "--data", dir)
	if code != 0 || !strings.Contains(out, "sarah@example.org") || !strings.Contains(out, "tom") || strings.Contains(out, "argon2") {
		t.Errorf("users list = %d %q", code, out)
	}
	if code, out, _ := together(t, "users", "disable", "--data", dir, "tom"); code != 0 || out != "disabled tom\n" {
		t.Errorf("users disable = %d %q", code, out)
	}
	if code, out, _ := together(t, "users", "reset", "--data", dir, "tom", "--password-file", pwFile); code != 0 || out != "reset the password of tom\n" {
		t.Errorf("users reset = %d %q", code, out)
	}
	stdin, _ = os.Open(os.DevNull)
	if code, _, errOut := together(t, "users", "reset", "--data", dir, "tom"); code != 2 || !strings.Contains(errOut, "no password") {
		t.Errorf("users reset without a password = %d %q, want 2", code, errOut)
	}
	short := filepath.Join(t.TempDir(), "short")
	_ = os.WriteFile(short, []byte("short"), 0o600)
	if code, _, errOut := together(t, "users", "add", "--data", dir, "--username", "ann", "--name", "Ann", "--role", "viewer", "--password-file", short); code != 2 || !strings.Contains(errOut, "characters") {
		t.Errorf("users add with a short password = %d %q, want 2", code, errOut)
	}
	if code, _, errOut := together(t, "users", "add", "--data", dir, "--username", "SARAH@example.org", "--name", "S", "--role", "viewer", "--password-file", pwFile); code != 1 || !strings.Contains(errOut, "already exists") {
		t.Errorf("adding sarah twice = %d %q, want 1", code, errOut)
	}
}
