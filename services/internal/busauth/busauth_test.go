package busauth_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats-server/v2/server"

	"github.com/together-coop/together/services/internal/auth"
	"github.com/together-coop/together/services/internal/busauth"
	"github.com/together-coop/together/services/internal/keyring"
	"github.com/together-coop/together/services/internal/natsjs"
	"github.com/together-coop/together/services/internal/recorder"
	"github.com/together-coop/together/services/internal/reports"
)

var update = flag.Bool("update", false, "rewrite deploy/nats/accounts.conf")

// accountsConf is the compose stack's copy of the configuration.
var accountsConf = filepath.Join("..", "..", "..", "deploy", "nats", "accounts.conf")

const accountsHeader = `# The accounts, users and permissions of together's processes. Generated
# from services/internal/busauth; do not edit, run
#   go test ./services/internal/busauth -update
# Each password comes from an environment variable of the NATS container
# (TOGETHER_NATS_<ROLE>_PASSWORD); nats-server refuses to start without it.
`

// The compose stack's NATS enforces exactly what the embedded server does.
func TestAccountsConfIsGenerated(t *testing.T) {
	want := accountsHeader + busauth.ServerConfig(busauth.PasswordFromEnv, busauth.InProcess{})
	if *update {
		if err := os.WriteFile(accountsConf, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(accountsConf)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("%s is stale (-want +got); run go test -update:\n%s", accountsConf, diff)
	}
}

// The configuration parses, and gives every user the permissions of its
// role in its role's account.
func TestServerConfig(t *testing.T) {
	passwords, err := busauth.GeneratePasswords()
	if err != nil {
		t.Fatal(err)
	}
	opts := &server.Options{}
	if err := opts.ProcessConfigString(busauth.ServerConfig(passwords.Literal, busauth.InProcess{Admin: strings.Repeat("a", 64), HistoryReader: strings.Repeat("b", 64)})); err != nil {
		t.Fatal(err)
	}
	users := map[string]*server.User{}
	for _, u := range opts.Users {
		users[u.Username] = u
	}
	for _, r := range busauth.Roles() {
		u := users[string(r)]
		if u == nil {
			t.Errorf("no user %s", r)
			continue
		}
		if u.Password != passwords[r] || u.Account.Name != r.Account() {
			t.Errorf("user %s: account %s", r, u.Account.Name)
		}
		p := r.Permissions()
		if diff := cmp.Diff(p.PublishAllow, u.Permissions.Publish.Allow); diff != "" {
			t.Errorf("%s may publish (-want +got):\n%s", r, diff)
		}
		if diff := cmp.Diff(p.PublishDeny, u.Permissions.Publish.Deny); diff != "" {
			t.Errorf("%s may not publish (-want +got):\n%s", r, diff)
		}
		if diff := cmp.Diff(p.SubscribeAllow, u.Permissions.Subscribe.Allow); diff != "" {
			t.Errorf("%s may subscribe (-want +got):\n%s", r, diff)
		}
		if (u.Permissions.Response != nil) != p.AllowResponses {
			t.Errorf("%s answers requests: %v", r, u.Permissions.Response)
		}
		for _, deny := range []string{"$JS.API.STREAM.DELETE.>", "$JS.API.STREAM.UPDATE.>"} {
			if !strings.Contains(strings.Join(u.Permissions.Publish.Deny, " "), deny) {
				t.Errorf("%s is not denied %s", r, deny)
			}
		}
	}
	admin := users[busauth.AdminUser]
	if admin == nil || admin.Account.Name != busauth.Recorder.Account() {
		t.Fatal("no in-process administrator in the recorder's account")
	}
	if _, ok := admin.AllowedConnectionTypes["IN_PROCESS"]; !ok || len(admin.AllowedConnectionTypes) != 1 {
		t.Errorf("the administrator may connect as %v; want in-process only", admin.AllowedConnectionTypes)
	}
	reader := users[busauth.HistoryReaderUser]
	if reader == nil || reader.Account.Name != busauth.Recorder.Account() {
		t.Fatal("no in-process reader of the history in the recorder's account")
	}
	if _, ok := reader.AllowedConnectionTypes["IN_PROCESS"]; !ok || len(reader.AllowedConnectionTypes) != 1 {
		t.Errorf("the history reader may connect as %v; want in-process only", reader.AllowedConnectionTypes)
	}
	if reader.Permissions.Response != nil {
		t.Error("the history reader may answer requests")
	}
}

// The names busauth repeats are those the packages use.
func TestNamesMatch(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{busauth.EventStream, natsjs.DefaultStreamName},
		{busauth.KeyStream, keyring.DefaultStream},
		{busauth.SnapshotBucket, reports.SnapshotBucket},
		{busauth.SubjectAppend, recorder.SubjectAppend},
		{busauth.SubjectReadStream, recorder.SubjectReadStream},
		{busauth.SubjectReadAll, recorder.SubjectReadAll},
		{busauth.SubjectHead, recorder.SubjectHead},
		{busauth.SubjectAppended, recorder.SubjectAppended},
		{busauth.StateBucket, auth.StateBucket},
		{busauth.SessionBucket, auth.SessionBucket},
		{busauth.SubjectAuthenticate, auth.SubjectAuthenticate},
		{busauth.SubjectSeal, keyring.SubjectSeal},
		{busauth.SubjectDestroy, keyring.SubjectDestroy},
	} {
		if c.got != c.want {
			t.Errorf("busauth says %q, the package %q", c.got, c.want)
		}
	}
}

func TestParseRole(t *testing.T) {
	for _, r := range busauth.Roles() {
		if got, err := busauth.ParseRole(string(r)); err != nil || got != r {
			t.Errorf("ParseRole(%s) = %v, %v", r, got, err)
		}
	}
	for _, bad := range []string{"", "admin", "Recorder", "recorder "} {
		if _, err := busauth.ParseRole(bad); !errors.Is(err, busauth.ErrUnknownRole) {
			t.Errorf("ParseRole(%q) = %v", bad, err)
		}
	}
}

func TestLoadOrCreatePasswords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nats-passwords.json")
	created, err := busauth.LoadOrCreatePasswords(path)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v; want 0600", info.Mode().Perm())
	}
	loaded, err := busauth.LoadOrCreatePasswords(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(created, loaded); diff != "" {
		t.Errorf("reloaded passwords differ:\n%s", diff)
	}
	if created[busauth.Recorder] == created[busauth.Reports] {
		t.Error("two roles share a password")
	}

	t.Run("a missing role is added", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "p.json")
		pw := strings.Repeat("r", 32)
		if err := os.WriteFile(path, []byte(`{"recorder":"`+pw+`"}`), 0o600); err != nil {
			t.Fatal(err)
		}
		p, err := busauth.LoadOrCreatePasswords(path)
		if err != nil {
			t.Fatal(err)
		}
		if p[busauth.Recorder] != pw || p.Validate() != nil {
			t.Errorf("passwords %v", p.Validate())
		}
	})
	t.Run("a file others may read is refused", func(t *testing.T) {
		if err := os.Chmod(path, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := busauth.LoadOrCreatePasswords(path); !errors.Is(err, busauth.ErrInsecureFile) {
			t.Errorf("err = %v; want ErrInsecureFile", err)
		}
	})
}

func TestDecodePasswords(t *testing.T) {
	good := `{"recorder":"%s","projects":"%s","stakeholders":"%s","engagements":"%s","feedback":"%s","actions":"%s","reports":"%s"}`
	fill := func(pw string) string { return strings.ReplaceAll(good, "%s", pw) }
	tests := []struct {
		name, data string
		want       error
	}{
		{"all roles", fill(strings.Repeat("A1-_", 8)), nil},
		{"short", fill("short"), busauth.ErrBadPassword},
		{"a quote", fill(strings.Repeat("a", 30) + `\"x`), busauth.ErrBadPassword},
		{"a dollar", fill(strings.Repeat("a", 30) + "$x"), busauth.ErrBadPassword},
		{"unknown role", `{"mallory":"` + strings.Repeat("a", 32) + `"}`, busauth.ErrUnknownRole},
		{"a role missing", `{"recorder":"` + strings.Repeat("a", 32) + `"}`, busauth.ErrBadPassword},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := busauth.DecodePasswords([]byte(tt.data))
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v; want %v", err, tt.want)
			}
		})
	}
}

// Whatever a password file holds, what decodes is usable in the server's
// configuration.
func FuzzDecodePasswords(f *testing.F) {
	f.Add([]byte(`{"recorder":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}`))
	f.Add([]byte(`{"recorder":"a\"} users: [{user: x}]"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := busauth.DecodePasswords(data)
		if err != nil {
			return
		}
		opts := &server.Options{}
		if err := opts.ProcessConfigString(busauth.ServerConfig(p.Literal, busauth.InProcess{})); err != nil {
			t.Fatalf("decoded passwords make a bad configuration: %v", err)
		}
		if len(opts.Users) != len(busauth.Roles()) {
			t.Fatalf("%d users", len(opts.Users))
		}
	})
}
