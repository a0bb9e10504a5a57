package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCommandLine(t *testing.T) {
	noEnv := func(string) string { return "" }
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"no command", nil, 2, "Usage: together <command>", ""},
		{"help", []string{"help"}, 0, "serve", ""},
		{"unknown command", []string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{"serve help", []string{"serve", "--help"}, 0, "", "Example:\n  together serve"},
		{"serve bad flag", []string{"serve", "--port", "1"}, 2, "", "flag provided but not defined: -port"},
		{"serve stray argument", []string{"serve", "now"}, 2, "", `unexpected argument "now"`},
		{"serve bad log level", []string{"serve", "--log-level", "loud"}, 2, "", `--log-level "loud" is not one of`},
		{"bench history with url", []string{"bench", "--history", "10", "--url", "http://127.0.0.1:8080"}, 2, "", "cannot load one at --url"},
		{"bench negative history", []string{"bench", "--history", "-1"}, 2, "", "--history must be 0 or more"},
		{"bench history age without history", []string{"bench", "--history-age", "2m"}, 2, "", "--history-age needs --history"},
		{"bench negative history age", []string{"bench", "--history", "10", "--history-age", "-1s"}, 2, "", "--history-age must be between 0 and 1h"},
		{"bench rebuild without history", []string{"bench", "--rebuild"}, 2, "", "--rebuild needs --history"},
		{"bench restart without history", []string{"bench", "--restart"}, 2, "", "--restart needs --history"},
		{"bench heap profile with url", []string{"bench", "--heap-profile", "heap.pprof", "--url", "http://127.0.0.1:8080"}, 2, "", "cannot profile one at --url"},
		{"bench cpu profile with url", []string{"bench", "--cpu-profile", "cpu.pprof", "--url", "http://127.0.0.1:8080"}, 2, "", "cannot profile one at --url"},
		{"bench no such report to read", []string{"bench", "--report-readers", "1", "--read-report", "everything"}, 2, "", `no report "everything"`},
		{"bench separate process without history", []string{"bench", "--separate-process", "--duration", "0"}, 2, "", "--separate-process measures a cold start alone"},
		{"bench nothing to measure", []string{"bench", "--clients", "0"}, 2, "", "no clients and no report readers"},
		{"bench separate process with load", []string{"bench", "--history", "10", "--separate-process"}, 2, "", "it needs --history and --duration 0"},
		{"bench separate process with profile", []string{"bench", "--history", "10", "--separate-process", "--duration", "0", "--cpu-profile", "cpu.pprof"}, 2, "", "the profiles of this one would miss"},
		{"bench start on without head", []string{"bench", "--start-on", "/nonexistent", "--key-file", "k"}, 2, "", "--start-on needs --head"},
		{"bench read raw without key file", []string{"bench", "--start-on", "/nonexistent", "--read-raw"}, 2, "", "--read-raw needs --key-file"},
		{"bench no duration without history", []string{"bench", "--duration", "0"}, 2, "", "duration must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := Main(context.Background(), tt.args, noEnv, &out, &errOut)
			if code != tt.wantCode {
				t.Errorf("Main(%q) = %d, want %d (stderr %q)", tt.args, code, tt.wantCode, errOut.String())
			}
			if !strings.Contains(out.String(), tt.wantStdout) {
				t.Errorf("stdout = %q, want it to contain %q", out.String(), tt.wantStdout)
			}
			if !strings.Contains(errOut.String(), tt.wantStderr) {
				t.Errorf("stderr = %q, want it to contain %q", errOut.String(), tt.wantStderr)
			}
		})
	}
}

func TestProgressLine(t *testing.T) {
	for _, tt := range []struct {
		n, position, head uint64
		want              string
	}{
		{5000, 5000, 10000, "\r[###############...............]  50%  5000 events  5000/s"},
		{10000, 10000, 10000, "\r[##############################] 100%  10000 events  10000/s"},
		{3000, 3000, 0, "\rverified 3000 events (3000/s)…"},
	} {
		if got := progressLine(tt.n, tt.position, tt.head, time.Second); got != tt.want {
			t.Errorf("progressLine(%d, %d, %d) = %q, want %q", tt.n, tt.position, tt.head, got, tt.want)
		}
	}
}

// A heap profile is written where asked, readable only by its owner, and
// is a profile (gzip, as pprof writes it).
func TestWriteHeapProfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "heap.pprof")
	if err := writeHeapProfile(path); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 || len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
		t.Errorf("profile mode %v, first bytes % x; want 0600 and gzip", info.Mode().Perm(), data[:min(len(data), 2)])
	}
}

// With --separate-process the cold start, the restart and the rebuild
// each run in a process of their own, which report what they measured,
// their memory among it.
func TestBenchStartsInASeparateProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a history and starts together on it three times")
	}
	t.Setenv(asTogether, "1")
	var out, errOut bytes.Buffer
	args := []string{"bench", "--history", "200", "--history-age", "1s", "--restart", "--rebuild", "--separate-process", "--duration", "0", "--dir", t.TempDir()}
	if code := Main(context.Background(), args, func(string) string { return "" }, &out, &errOut); code != 0 {
		t.Fatalf("bench exited %d:\n%s", code, errOut.String())
	}
	for _, line := range []string{"in a process of its own", "cold start to the head", "restart from the snapshot to the head", "rebuild on restart to the head", "memory after the rebuild on restart", "resident"} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("bench printed no %q:\n%s", line, out.String())
		}
	}
}

// --start-on reads a stopped directory's stream raw (--read-raw), or
// starts on it with its CPU profiled: each prints its measure as JSON;
// given --duration, it runs the load on what it started.
func TestBenchStartsOnAStoppedDirectory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a history and starts together on it")
	}
	dir := t.TempDir()
	run := func(args ...string) []byte {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := Main(context.Background(), append([]string{"bench"}, args...), func(string) string { return "" }, &out, &errOut); code != 0 {
			t.Fatalf("bench %s exited %d:\n%s", strings.Join(args, " "), code, errOut.String())
		}
		return out.Bytes()
	}
	run("--history", "200", "--duration", "0", "--dir", dir)
	keys, err := filepath.Glob(filepath.Join(dir, "stack-*.key"))
	if err != nil || len(keys) != 1 {
		t.Fatalf("key files %v (%v), want the history's one", keys, err)
	}
	stack := strings.TrimSuffix(keys[0], ".key")

	var raw struct{ Messages int }
	if err := json.Unmarshal(run("--start-on", stack, "--read-raw", "--key-file", keys[0]), &raw); err != nil || raw.Messages < 200 {
		t.Fatalf("raw read %+v (%v), want the 200 events and the seals", raw, err)
	}
	profile := filepath.Join(t.TempDir(), "start.pprof")
	var start struct{ Head uint64 }
	if err := json.Unmarshal(run("--start-on", stack, "--head", "200", "--key-file", keys[0], "--cpu-profile", profile), &start); err != nil || start.Head != 200 {
		t.Fatalf("start %+v (%v), want one to position 200", start, err)
	}
	data, err := os.ReadFile(profile)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
		t.Errorf("profile's first bytes % x, want gzip", data[:min(len(data), 2)])
	}
	// With --duration, the load runs on the together started, whose heap
	// is profiled once started.
	heap := filepath.Join(t.TempDir(), "heap.pprof")
	out := string(run("--start-on", stack, "--head", "200", "--key-file", keys[0], "--duration", "1s", "--clients", "0", "--report-readers", "1", "--read-report", "participation", "--heap-profile", heap))
	for _, line := range []string{"cold start to the head", "report participation, 1 readers", "resident memory"} {
		if !strings.Contains(out, line) {
			t.Errorf("a load after --start-on printed no %q:\n%s", line, out)
		}
	}
	if data, err := os.ReadFile(heap); err != nil || len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
		t.Errorf("heap profile: %v, want gzip", err)
	}
}

// With a history and no load, --cpu-profile profiles the cold start; the
// history is started on once it is as old as --history-age asks, with
// --restart started on again from the reports' snapshot, and with
// --rebuild once more without it.
func TestBenchProfilesTheColdStart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a history and starts together on it")
	}
	path := filepath.Join(t.TempDir(), "start.pprof")
	var out, errOut bytes.Buffer
	args := []string{"bench", "--history", "200", "--history-age", "1s", "--restart", "--rebuild", "--duration", "0", "--dir", t.TempDir(), "--cpu-profile", path}
	if code := Main(context.Background(), args, func(string) string { return "" }, &out, &errOut); code != 0 {
		t.Fatalf("bench exited %d:\n%s", code, errOut.String())
	}
	for _, line := range []string{"cold start to the head", "left to age", "1s before the cold start", "restart from the snapshot to the head", "memory after the restart from the snapshot", "rebuild on restart to the head", "memory after the rebuild on restart"} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("bench printed no %q:\n%s", line, out.String())
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
		t.Errorf("profile's first bytes % x, want gzip", data[:min(len(data), 2)])
	}
}
