package cli

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/together-coop/together/services/internal/app"
	"github.com/together-coop/together/services/internal/auth"
	"github.com/together-coop/together/services/internal/importer"
	"github.com/together-coop/together/services/internal/importer/importapi"
	"github.com/together-coop/together/services/internal/keyring"
)

// TestImport imports a file with together import against a stack on
// loopback: the review records nothing, --approve records, and the same
// file again records nothing twice.
func TestImport(t *testing.T) {
	ctx := context.Background()
	kek, err := keyring.GenerateKEK()
	if err != nil {
		t.Fatal(err)
	}
	st, err := app.Start(ctx, app.Config{Parts: app.AllParts(), DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0",
		Logger: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel), KEK: kek})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := st.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
	_, recorder, err := st.IssueToken(ctx, auth.Recorder, "office")
	if err != nil {
		t.Fatal(err)
	}
	_, viewer, err := st.IssueToken(ctx, auth.Viewer, "reader")
	if err != nil {
		t.Fatal(err)
	}
	const people = "name,contact,roles,current_experience,recruitment_channel\n" +
		"Ann Lee,ann@example.org,service_user,yes,advert\n" +
		"Ben Ode,,carer,no,word_of_mouth\n"
	dir := t.TempDir()
	good, broken := filepath.Join(dir, "people.csv"), filepath.Join(dir, "broken.csv")
	for path, text := range map[string]string{good: people, broken: people + "Cy,,nurse,no,advert\n"} {
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	f, err := importer.Parse(importer.Stakeholders, []byte(people))
	if err != nil {
		t.Fatal(err)
	}
	recorded := func() int {
		t.Helper()
		n := 0
		for _, s := range f.Stakeholders {
			req, _ := http.NewRequest(http.MethodGet, st.URL()+"/api/v1/stakeholders/"+importapi.StakeholderID(s), nil)
			req.Header.Set("Authorization", "Bearer "+recorder)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				n++
			}
		}
		return n
	}
	envWith := func(token string) Env {
		return func(k string) string {
			if k == "TOGETHER_TOKEN" {
				return token
			}
			return ""
		}
	}

	tests := []struct {
		name     string
		args     []string
		token    string
		code     int
		stdout   []string
		stderr   string
		recorded int
	}{
		{"review", []string{"--kind", "stakeholders", good}, recorder, 0,
			[]string{"stakeholders from people.csv: 2 rows", "2 new, 0 already recorded, 0 rows with problems", "Run it again with --approve"}, "", 0},
		{"a row with a problem", []string{"--kind", "stakeholders", broken, "--approve"}, recorder, 1,
			[]string{"2 new, 0 already recorded, 1 row with problems", `row 4, roles: "nurse" is not a role`}, "nothing was recorded", 0},
		{"a viewer", []string{"--kind", "stakeholders", good, "--approve"}, viewer, 1, nil, "answered 403", 0},
		{"approve, the flag after the file", []string{"--kind", "stakeholders", good, "--approve"}, recorder, 0,
			[]string{"Imported: 2 recorded, 0 already recorded, 0 rows with problems"}, "", 2},
		{"the same file again", []string{"--kind", "stakeholders", "--approve", good}, recorder, 0,
			[]string{"Imported: 0 new, 2 already recorded, 0 rows with problems"}, "", 2},
		{"no token", []string{"--kind", "stakeholders", good}, "", 2, nil, "no token", 2},
		{"an unknown kind", []string{"--kind", "people", good}, recorder, 2, nil, "unknown kind", 2},
		{"plain http to another machine", []string{"--url", "http://192.0.2.1:8080", "--kind", "stakeholders", good}, recorder, 2, nil, "plain http is only for this machine", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"import"}, tt.args...)
			if !strings.Contains(strings.Join(tt.args, " "), "--url") {
				args = append([]string{"import", "--url", st.URL()}, tt.args...)
			}
			var out, errOut bytes.Buffer
			if code := Main(ctx, args, envWith(tt.token), &out, &errOut); code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out.String(), errOut.String())
			}
			for _, s := range tt.stdout {
				if !strings.Contains(out.String(), s) {
					t.Errorf("stdout does not say %q:\n%s", s, out.String())
				}
			}
			if !strings.Contains(errOut.String(), tt.stderr) {
				t.Errorf("stderr does not say %q:\n%s", tt.stderr, errOut.String())
			}
			if got := recorded(); got != tt.recorded {
				t.Errorf("%d stakeholders recorded, want %d", got, tt.recorded)
			}
		})
	}
}
