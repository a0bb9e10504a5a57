package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/together-coop/together/services/internal/cli"
	"github.com/together-coop/together/services/internal/embednats"
	"github.com/together-coop/together/services/internal/keyring"
)

type snapshot struct {
	report, asOf string
	body         []byte
}

// runCLI runs a together command in-process.
func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = cli.Main(context.Background(), args, testEnv, &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestAuditorsWorkflow scripts a history through the API while taking live
// snapshots of every report, stops the system, and checks that an auditor
// with only the data directory, or only an export, can verify it and
// replay each snapshot byte for byte.
func TestAuditorsWorkflow(t *testing.T) {
	dir := t.TempDir()
	st, a := startStack(t, dir)
	var snaps []snapshot
	position := uint64(0)
	snap := func() {
		t.Helper()
		moment := time.Now().UTC().Format(time.RFC3339Nano)
		for _, report := range []string{"participation", "follow-through", "decisions", "programme"} {
			r := a.get("/api/v1/reports/" + report + "?as_of=" + url.QueryEscape(moment) + "&min_position=" + strconv.FormatUint(position, 10))
			if r.status != 200 {
				t.Fatalf("live %s = %d: %s", report, r.status, r.body)
			}
			snaps = append(snaps, snapshot{report: report, asOf: moment, body: r.body})
		}
	}
	track := func(r response) {
		t.Helper()
		r.id(t)
		position = uint64(r.json(t)["position"].(float64))
	}
	w := seed(t, a)
	track(a.post("/api/v1/projects/"+w.project+"/elements/"+w.element+"/decisions", `{"level":"co_produce","rationale":"Patients lead","decided_by":"Board"}`))
	snap()
	track(a.post("/api/v1/engagements/"+w.engagement+"/held", map[string]any{"held_on": "2026-03-01", "attendee_ids": []string{w.alice, w.bob}, "unnamed_attendees": 1}))
	track(a.post("/api/v1/actions/"+w.action+"/complete", map[string]any{"completed_on": time.Now().UTC().Format(time.DateOnly), "outcome": "done"}))
	snap()
	track(a.post("/api/v1/actions/"+w.action+"/communicate", `{"audience":"contributors","channel":"email"}`))
	track(a.post("/api/v1/stakeholders/"+w.bob+"/roles", `{"roles":["public"]}`))
	snap()
	live := a.get("/api/v1/audit/verify").json(t)
	if live["ok"] != true {
		t.Fatalf("live verify = %v", live)
	}
	shutdown(t, st)

	code, out, errOut := runCLI("verify", "--data", dir)
	if code != 0 || !strings.Contains(out, "OK: ") || !strings.Contains(out, "chain hash: ") {
		t.Fatalf("verify --data = %d %q %q", code, out, errOut)
	}
	// A clean stop seals everything: the final seal is not itself unsealed.
	if strings.Contains(out, "not yet sealed") {
		t.Errorf("verify after a clean stop finds events unsealed:\n%s", out)
	}

	t.Run("moments that select nothing", func(t *testing.T) {
		before := "2000-01-01"
		exp := filepath.Join(t.TempDir(), "export")
		code, out, errOut := runCLI("export", "--data", dir, "--out", exp, "--as-of", before)
		if code != 1 || !strings.Contains(errOut, "nothing selected: no event was recorded at or before 2000-01-01") {
			t.Errorf("export as of a moment before the history = %d %q %q, want exit 1 saying nothing was selected", code, out, errOut)
		}
		if _, err := os.Stat(exp); err == nil {
			t.Errorf("a refused export wrote %s", exp)
		}
		code, out, errOut = runCLI("replay", "--data", dir, "--report", "participation", "--as-of", before)
		if code != 1 || !strings.Contains(errOut, "nothing selected") {
			t.Errorf("replay as of a moment before the history = %d %q %q, want exit 1 saying nothing was selected", code, out, errOut)
		}
		code, _, errOut = runCLI("replay", "--data", dir, "--report", "participation", "--occurred-before", before)
		if code != 1 || !strings.Contains(errOut, "none occurred before") {
			t.Errorf("replay of what occurred before the history = %d %q, want exit 1", code, errOut)
		}
		if code, _, errOut := runCLI("replay", "--data", dir, "--report", "participation", "--as-of", before, "--allow-empty"); code != 0 {
			t.Errorf("replay --allow-empty = %d %q", code, errOut)
		}
	})
	for _, s := range snaps {
		code, got, errOut := runCLI("replay", "--data", dir, "--report", s.report, "--as-of", s.asOf, "--format", "json")
		if code != 0 {
			t.Fatalf("replay %s: %d %s", s.report, code, errOut)
		}
		if got != string(s.body) {
			t.Errorf("replay of %s as of %s differs from what the API served then:\nlive   %s\nreplay %s", s.report, s.asOf, s.body, got)
		}
	}
	_, once, _ := runCLI("replay", "--data", dir, "--report", "decisions", "--as-of", snaps[6].asOf, "--format", "csv")
	_, twice, _ := runCLI("replay", "--data", dir, "--report", "decisions", "--as-of", snaps[6].asOf, "--format", "csv")
	if once == "" || once != twice {
		t.Errorf("two replays of the same history differ:\n%s\n%s", once, twice)
	}
	code, timeline, _ := runCLI("replay", "--data", dir, "--report", "decisions", "--project", w.project)
	if code != 0 || !strings.Contains(timeline, "co_produce (was none), decided by Board") || !strings.Contains(timeline, "evidence before it:") {
		t.Errorf("decision timeline = %d:\n%s", code, timeline)
	}

	exp := filepath.Join(t.TempDir(), "export")
	code, out, errOut = runCLI("export", "--data", dir, "--out", exp)
	if code != 0 {
		t.Fatalf("export = %d %s %s", code, out, errOut)
	}
	for _, f := range []string{"events.ndjson", "manifest.json", "reports/participation.csv", "reports/follow-through.csv", "reports/decisions.csv", "reports/programme.csv"} {
		if _, err := os.Stat(filepath.Join(exp, f)); err != nil {
			t.Errorf("export lacks %s", f)
		}
	}
	file := filepath.Join(exp, "events.ndjson")
	if code, out, _ := runCLI("verify", "--file", file); code != 0 || !strings.Contains(out, "OK: ") || !strings.Contains(out, "matches manifest.json") {
		t.Fatalf("verify --file = %d %s", code, out)
	}

	t.Run("export checked against its manifest", func(t *testing.T) {
		lines := strings.SplitAfter(mustRead(t, file), "\n")
		tests := []struct {
			name   string
			tamper func(dir string) error
			want   string
		}{
			{"events cut short by whole lines", func(dir string) error {
				return os.WriteFile(filepath.Join(dir, "events.ndjson"), []byte(strings.Join(lines[:len(lines)/2], "")), 0o600)
			}, "MISMATCH: events.ndjson holds"},
			{"events cut in a line", func(dir string) error {
				whole := strings.Join(lines, "")
				return os.WriteFile(filepath.Join(dir, "events.ndjson"), []byte(whole[:len(whole)-10]), 0o600)
			}, "MISMATCH: events.ndjson is cut short"},
			{"a report changed", func(dir string) error {
				return os.WriteFile(filepath.Join(dir, "reports", "programme.csv"), []byte("project,rag\r\n"), 0o600)
			}, "MISMATCH: reports/programme.csv was changed"},
			{"a report missing", func(dir string) error { return os.Remove(filepath.Join(dir, "reports", "decisions.csv")) }, "MISMATCH: reports/decisions.csv is missing"},
			{"a file added", func(dir string) error { return os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o600) }, "MISMATCH: notes.txt is not in manifest.json"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				bad := filepath.Join(t.TempDir(), "export")
				if err := os.CopyFS(bad, os.DirFS(exp)); err != nil {
					t.Fatal(err)
				}
				if err := tt.tamper(bad); err != nil {
					t.Fatal(err)
				}
				code, out, errOut := runCLI("verify", "--file", filepath.Join(bad, "events.ndjson"))
				if code != 1 || !strings.Contains(out, tt.want) || strings.Contains(out, "OK: ") {
					t.Errorf("verify = %d:\n%s%s\nwant exit 1 with %q", code, out, errOut, tt.want)
				}
			})
		}
		t.Run("without the manifest", func(t *testing.T) {
			alone := filepath.Join(t.TempDir(), "events.ndjson")
			if err := os.WriteFile(alone, []byte(mustRead(t, file)), 0o600); err != nil {
				t.Fatal(err)
			}
			if code, _, errOut := runCLI("verify", "--file", alone); code != 1 || !strings.Contains(errOut, "--no-manifest") {
				t.Errorf("verify of events without their manifest = %d %q, want exit 1 pointing at --no-manifest", code, errOut)
			}
			if code, out, _ := runCLI("verify", "--file", alone, "--no-manifest"); code != 0 || !strings.Contains(out, "OK: ") {
				t.Errorf("verify --no-manifest = %d %s", code, out)
			}
		})
	})
	if _, got, _ := runCLI("replay", "--file", file, "--report", "programme", "--as-of", snaps[7].asOf, "--format", "json"); got != string(snaps[7].body) {
		t.Errorf("replay from the export differs from the live snapshot:\n%s\n%s", snaps[7].body, got)
	}

	t.Run("tampered exports", func(t *testing.T) {
		lines := strings.SplitAfter(strings.TrimSuffix(mustRead(t, file), "\n"), "\n")
		for i := range lines {
			lines[i] = strings.TrimSuffix(lines[i], "\n")
		}
		tests := []struct {
			name     string
			tamper   func([]string) []string
			position string
		}{
			{"edit a payload", func(l []string) []string {
				l[2] = strings.Replace(l[2], `"payload":{`, `"payload":{"note":"added later",`, 1)
				return l
			}, "position 3:"},
			{"delete an event", func(l []string) []string { return append(l[:5:5], l[6:]...) }, ""},
			{"swap two events", func(l []string) []string { l[3], l[4] = l[4], l[3]; return l }, "position 4:"},
			{"insert an event", func(l []string) []string {
				dup := strings.Replace(l[1], `"position":2`, `"position":3`, 1)
				return append(append(l[:2:2], dup), l[2:]...)
			}, "position 3:"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				bad := filepath.Join(t.TempDir(), "events.ndjson")
				if err := os.WriteFile(bad, []byte(strings.Join(tt.tamper(append([]string(nil), lines...)), "\n")+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				code, out, _ := runCLI("verify", "--file", bad, "--no-manifest")
				if code != 1 || !strings.Contains(out, "BROKEN at "+tt.position) {
					t.Errorf("verify of a tampered export = %d:\n%s", code, out)
				}
			})
		}
	})

	t.Run("tampered store", func(t *testing.T) {
		// Somebody with access to the NATS server writes an event behind
		// the recorder's back, and tries to delete one.
		srv, err := embednats.Start(embednats.Config{StoreDir: filepath.Join(dir, "nats"), StoreKey: testKEK(t).Derive(keyring.PurposeNATSStore)})
		if err != nil {
			t.Fatal(err)
		}
		nc, _ := srv.Connect("mallory")
		js, _ := jetstream.New(nc)
		stream, _ := js.Stream(context.Background(), "EVENTS")
		if err := stream.DeleteMsg(context.Background(), 3); err == nil {
			t.Error("the event stream allowed a delete")
		}
		var last map[string]any
		for _, l := range strings.Split(strings.TrimSpace(mustRead(t, file)), "\n") {
			if strings.Contains(l, `"stream":"project-`+w.project+`"`) {
				_ = json.Unmarshal([]byte(l), &last)
			}
		}
		last["id"] = "01a20000-0000-7000-8000-00000000beef"
		last["stream_version"] = last["stream_version"].(float64) + 1
		last["prev_hash"] = last["hash"]
		last["payload"] = map[string]any{"summary": "closed by nobody"}
		last["type"] = "ProjectClosed"
		body, _ := json.Marshal(last)
		m := nats.NewMsg("events.project-" + w.project)
		m.Data = body
		m.Header.Set("Together-Stream-Version", strconv.FormatFloat(last["stream_version"].(float64), 'f', 0, 64))
		ack, err := js.PublishMsg(context.Background(), m)
		if err != nil {
			t.Fatal(err)
		}
		nc.Close()
		srv.Shutdown()
		code, out, _ := runCLI("verify", "--data", dir)
		if code != 1 || !strings.Contains(out, "BROKEN at position "+strconv.FormatUint(ack.Sequence, 10)) || !strings.Contains(out, "was altered") {
			t.Errorf("verify of a tampered store = %d:\n%s", code, out)
		}
	})
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
