package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"github.com/together-coop/together/services/internal/busauth"
	"github.com/together-coop/together/services/internal/embednats"
	"github.com/together-coop/together/services/internal/kurrent/kurrenttest"
	"github.com/together-coop/together/services/internal/logtest"
)

// asRole is the environment of a process that connects to NATS as role.
func asRole(p busauth.Passwords, role busauth.Role) Env {
	return func(key string) string {
		switch key {
		case "TOGETHER_NATS_USER":
			return string(role)
		case "TOGETHER_NATS_PASSWORD":
			return p[role]
		}
		return ""
	}
}

// start runs a together command in the background and returns the URL it
// logged once ready.
func start(t *testing.T, ctx context.Context, env Env, args ...string) (url string, logs *logtest.Buffer) {
	t.Helper()
	logs = &logtest.Buffer{}
	done := make(chan int, 1)
	ctx, stop := context.WithCancel(ctx)
	go func() { done <- Main(ctx, args, env, io.Discard, logs) }()
	// Cleanups run last-in first-out: the last service started stops first.
	t.Cleanup(func() {
		stop()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("together %s exited %d:\n%s", args[0], code, logs.String())
			}
		case <-time.After(20 * time.Second):
			t.Errorf("together %s did not stop", args[0])
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		sc := bufio.NewScanner(strings.NewReader(logs.String()))
		for sc.Scan() {
			var line struct {
				URL string `json:"url"`
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && strings.HasPrefix(line.URL, "http://") {
				return line.URL, logs
			}
		}
		select {
		case code := <-done:
			t.Fatalf("together %v exited %d before it was ready:\n%s", args, code, logs.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("together %v was not ready:\n%s", args, logs.String())
	return "", nil
}

func post(t *testing.T, token, url, body string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(res.Body).Decode(&m)
	if res.StatusCode >= 300 {
		t.Fatalf("POST %s = %d %v", url, res.StatusCode, m)
	}
	return m
}

func get(t *testing.T, token, url string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// TestServicesRunAlone starts NATS on loopback and each service as its own
// process would (through the CLI), on the JetStream store and on the
// KurrentDB protocol double, and drives a command through one service
// and a report through another.
func TestServicesRunAlone(t *testing.T) {
	for _, store := range []string{"jetstream", "kurrentdb"} {
		t.Run(store, func(t *testing.T) {
			pw, err := busauth.GeneratePasswords()
			if err != nil {
				t.Fatal(err)
			}
			srv, err := embednats.Start(embednats.Config{StoreDir: t.TempDir(), Listen: "127.0.0.1:0", Passwords: pw})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(srv.Shutdown)
			ctx := context.Background()
			natsURL := srv.ClientURL()
			recArgs := []string{"recorder", "--nats", natsURL, "--http", "127.0.0.1:0", "--store", store}
			if store == "kurrentdb" {
				recArgs = append(recArgs, "--kurrentdb", kurrenttest.Start(t))
			}
			recURL, _ := start(t, ctx, asRole(pw, busauth.Recorder), recArgs...)
			projectsURL, _ := start(t, ctx, asRole(pw, busauth.Projects), "service", "projects", "--nats", natsURL, "--http", "127.0.0.1:0")
			keyFile := filepath.Join(t.TempDir(), "key")
			stakeholdersURL, _ := start(t, ctx, asRole(pw, busauth.Stakeholders), "service", "stakeholders", "--nats", natsURL, "--http", "127.0.0.1:0", "--key-file", keyFile)
			reportsURL, _ := start(t, ctx, asRole(pw, busauth.Reports), "reports", "--nats", natsURL, "--http", "127.0.0.1:0", "--key-file", keyFile)
			// The first administrator of a running production-shaped system,
			// made as the reports' user, who keeps the identities.
			var out, errOut bytes.Buffer
			if code := Main(ctx, []string{"token", "create", "--nats", natsURL, "--role", "admin", "--name", "ops"}, asRole(pw, busauth.Reports), &out, &errOut); code != 0 {
				t.Fatalf("token create --nats = %d: %s", code, errOut.String())
			}
			token := strings.TrimSpace(out.String())

			p := post(t, token, projectsURL+"/api/v1/projects", `{"programme":"North","name":"Alone","aim":"a","lead":"l"}`)
			post(t, token, stakeholdersURL+"/api/v1/stakeholders", `{"name":"Ann","roles":["carer"],"recruitment_channel":"advert"}`)
			pos := post(t, token, projectsURL+"/api/v1/projects/"+p["id"].(string)+"/elements", `{"name":"Desk"}`)["position"].(float64)
			code, body := get(t, token, reportsURL+"/api/v1/reports/decisions?min_position="+strconv.FormatFloat(pos, 'f', 0, 64))
			if code != 200 || !strings.Contains(string(body), `"name":"Desk"`) {
				t.Fatalf("report from the reports service = %d %s", code, body)
			}
			if code, body := get(t, token, reportsURL+"/api/v1/audit/verify"); code != 200 || !strings.Contains(string(body), `"ok":true`) {
				t.Errorf("verify = %d %s", code, body)
			}
			for name, url := range map[string]string{"recorder": recURL, "projects": projectsURL, "reports": reportsURL} {
				if code, body := get(t, token, url+"/readyz"); code != 200 {
					t.Errorf("%s /readyz = %d %s", name, code, body)
				}
				code, metrics := get(t, token, url+"/metrics")
				if code != 200 {
					t.Fatalf("%s /metrics = %d", name, code)
				}
				problems, err := promlint.New(bytes.NewReader(metrics)).Lint()
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range problems {
					if strings.HasPrefix(p.Metric, "together_") {
						t.Errorf("%s metric %s: %s", name, p.Metric, p.Text)
					}
				}
				for _, want := range map[string][]string{
					"recorder": {"together_store_append_duration_seconds_bucket", "together_store_appends_total", "together_store_events_appended_total", "together_nats_reconnects_total"},
					"projects": {"together_commands_total{command=\"POST /api/v1/projects\",outcome=\"recorded\"} 1", "together_http_requests_total", "together_command_loaded_events_total"},
					"reports": {"together_projection_position", "together_projection_lag_events", "together_projection_lag_seconds", "together_projection_events_applied_total",
						"together_reports_heavy_waiting", "together_reports_heavy_wait_seconds_bucket", "together_reports_memo_total"},
				}[name] {
					if !strings.Contains(string(metrics), want) {
						t.Errorf("%s /metrics lacks %s", name, want)
					}
				}
			}
			revokedElsewhere(t, ctx, pw, natsURL, token, reportsURL, projectsURL)
		})
	}
}

// revokedElsewhere revokes a token from a process of its own on the bus
// (together token revoke --nats), and requires every process to refuse it
// soon after: the reports process, which keeps the identities and keeps
// the tokens' records it reads while it watches them, hears of the
// revocation through its watch.
func revokedElsewhere(t *testing.T, ctx context.Context, pw busauth.Passwords, natsURL, admin, reportsURL, projectsURL string) {
	t.Helper()
	tokenWatched := func() bool {
		_, metrics := get(t, admin, reportsURL+"/metrics")
		return strings.Contains(string(metrics), "\ntogether_auth_records_watched{records=\"tokens\"} 1\n")
	}
	for deadline := time.Now().Add(10 * time.Second); !tokenWatched(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the reports process does not watch the tokens")
		}
	}
	var out, errOut bytes.Buffer
	if code := Main(ctx, []string{"token", "create", "--nats", natsURL, "--role", "viewer", "--name", "dashboard"}, asRole(pw, busauth.Reports), &out, &errOut); code != 0 {
		t.Fatalf("token create --nats = %d: %s", code, errOut.String())
	}
	viewer := strings.TrimSpace(out.String())
	id, err := uuid.Parse(strings.Split(viewer, "_")[1])
	if err != nil {
		t.Fatalf("token %q: %v", viewer, err)
	}
	for _, url := range []string{reportsURL, projectsURL} {
		for range 2 { // the second answered from the record kept
			if code, body := get(t, viewer, url+"/metrics"); code != 200 {
				t.Fatalf("GET %s/metrics as a viewer = %d %.200s, want 200", url, code, body)
			}
		}
	}
	out.Reset()
	if code := Main(ctx, []string{"token", "revoke", "--nats", natsURL, id.String()}, asRole(pw, busauth.Reports), &out, &errOut); code != 0 {
		t.Fatalf("token revoke --nats = %d: %s", code, errOut.String())
	}
	for _, url := range []string{reportsURL, projectsURL} {
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			code, _ := get(t, viewer, url+"/metrics")
			if code == 401 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("GET %s/metrics with a token revoked elsewhere = %d ten seconds on, want 401", url, code)
			}
		}
	}
}

// A service tells the truth about its dependencies: without a recorder
// it is alive but not ready. Its probes are opened for the test, as for a
// container's health check.
func TestReadinessWithoutRecorder(t *testing.T) {
	pw, err := busauth.GeneratePasswords()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := embednats.Start(embednats.Config{StoreDir: t.TempDir(), Listen: "127.0.0.1:0", Passwords: pw})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	url, _ := start(t, context.Background(), asRole(pw, busauth.Projects), "service", "projects", "--nats", srv.ClientURL(), "--http", "127.0.0.1:0", "--open-probes")
	if code, _ := get(t, "", url+"/healthz"); code != 200 {
		t.Errorf("/healthz = %d, want 200", code)
	}
	code, body := get(t, "", url+"/readyz")
	if code != 503 || !strings.Contains(string(body), `"recorder":`) || strings.Contains(string(body), `"recorder":"ok"`) {
		t.Errorf("/readyz without a recorder = %d %s, want 503 naming the recorder", code, body)
	}
}
