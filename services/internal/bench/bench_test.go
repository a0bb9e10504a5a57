package bench_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/together-coop/together/services/internal/app"
	"github.com/together-coop/together/services/internal/auth"
	"github.com/together-coop/together/services/internal/bench"
	"github.com/together-coop/together/services/internal/keyring"
)

func TestNewRefuses(t *testing.T) {
	tests := []struct {
		name string
		url  string
		opts []bench.Option
	}{
		{"not loopback", "http://10.0.0.1:8080", nil},
		{"a name", "http://example.org", nil},
		{"not http", "ftp://127.0.0.1/", nil},
		{"no host", "/api", nil},
		{"no clients and no readers", "http://127.0.0.1:8080", []bench.Option{bench.WithClients(0)}},
		{"clients below none", "http://127.0.0.1:8080", []bench.Option{bench.WithClients(-1)}},
		{"endless", "http://127.0.0.1:8080", []bench.Option{bench.WithDuration(2 * time.Hour)}},
		{"no commands", "http://127.0.0.1:8080", []bench.Option{bench.WithMaxCommands(0)}},
		{"report readers below none", "http://127.0.0.1:8080", []bench.Option{bench.WithReportReaders(-1)}},
		{"too many report readers", "http://127.0.0.1:8080", []bench.Option{bench.WithReportReaders(65)}},
		{"no such report to read", "http://127.0.0.1:8080", []bench.Option{bench.WithReadReport("everything")}},
		{"a programme and a project to read", "http://127.0.0.1:8080", []bench.Option{bench.WithReadProgramme("North"), bench.WithReadProject("p1")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := bench.New(tt.url, tt.opts...); !errors.Is(err, bench.ErrInvalidOption) {
				t.Errorf("New(%q) error = %v, want ErrInvalidOption", tt.url, err)
			}
		})
	}
	for _, ok := range []string{"http://127.0.0.1:8080", "http://[::1]:8080", "http://localhost:8080"} {
		if _, err := bench.New(ok); err != nil {
			t.Errorf("New(%q) = %v, want a load", ok, err)
		}
	}
}

// TestLoadAgainstStack runs the command mix against a fresh stack until
// its command budget is spent, and requires every command to succeed, the
// reports to reach the last one and the report to print.
func TestLoadAgainstStack(t *testing.T) {
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
	stopAtCleanup(t, st)
	const budget = 45 // more than one cycle of every client
	_, token, err := st.IssueToken(ctx, auth.Recorder, "bench test")
	if err != nil {
		t.Fatal(err)
	}
	load, err := bench.New(st.URL(), bench.WithClients(2), bench.WithReportReaders(1), bench.WithReadReport("participation"), bench.WithReadProgramme("Bench programme 1"), bench.WithMaxCommands(budget), bench.WithDuration(5*time.Minute), bench.WithToken(token))
	if err != nil {
		t.Fatal(err)
	}
	res, err := load.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 0 {
		t.Fatalf("failed commands %v: %v", res.Errors, res.FirstErrors)
	}
	if res.Commands != budget || res.Events < budget || res.LastPosition < budget {
		t.Errorf("commands %d, events %d, last position %d; want %d, at least %d, at least %d", res.Commands, res.Events, res.LastPosition, budget, budget, budget)
	}
	if res.ReportReaders != 1 || res.ReadReport != "participation" || res.ReadProgramme != "Bench programme 1" || res.ReportReads.N == 0 {
		t.Errorf("%d report readers read %q of %q %d times; want 1 reader, participation of Bench programme 1, some reads", res.ReportReaders, res.ReadReport, res.ReadProgramme, res.ReportReads.N)
	}
	for _, kind := range []string{"register_project", "add_element", "decide_level", "register_stakeholder", "plan_engagement", "invite", "answer", "hold_engagement", "give_feedback", "agree_action", "complete_action", "communicate"} {
		if res.ByCommand[kind].N == 0 {
			t.Errorf("no %s command was sent", kind)
		}
	}
	var out bytes.Buffer
	if err := (bench.Report{Target: st.URL(), Load: res, Memory: &bench.Memory{RSSMiB: 300, PeakRSSMiB: 400}, PeakOfLoad: true}).WriteText(&out); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"commands", "report participation of Bench programme 1, 1 readers", "300 MiB now, 400 MiB peak during the load"} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("report lacks %q:\n%s", line, out.String())
		}
	}

	// Readers alone read for the whole duration and the report says so,
	// with nothing of commands.
	alone, err := bench.New(st.URL(), bench.WithClients(0), bench.WithReportReaders(2), bench.WithReadReport("participation"), bench.WithDuration(time.Second), bench.WithToken(token))
	if err != nil {
		t.Fatal(err)
	}
	res, err = alone.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Commands != 0 || res.ReportReaders != 2 || res.ReportReads.N == 0 || res.Elapsed < time.Second {
		t.Errorf("readers alone: %d commands, %d readers, %d reads in %v; want none, 2, some, at least 1s", res.Commands, res.ReportReaders, res.ReportReads.N, res.Elapsed)
	}
	out.Reset()
	if err := (bench.Report{Target: st.URL(), Load: res}).WriteText(&out); err != nil {
		t.Fatal(err)
	}
	if text := out.String(); !strings.Contains(text, "none: the report readers alone") || !strings.Contains(text, "report participation, 2 readers") || strings.Contains(text, "command latency") {
		t.Errorf("the report of readers alone:\n%s", text)
	}
}

func TestMeasureCeilings(t *testing.T) {
	c, err := bench.MeasureCeilings(context.Background(), t.TempDir(), 2, time.Minute, 60)
	if err != nil {
		t.Fatal(err)
	}
	if c.Messages != 60 || c.PublishPerSecond <= 0 || c.ReadPerSecond <= 0 || c.PublishLatency.N != 60 || c.PublishCPU <= 0 {
		t.Errorf("ceilings = %+v, want 60 messages published and read back, and the CPU they took", c)
	}
}

// The CPU a command, a reading and a ceiling's message cost, as the report
// prints them: a command's or a reading's share only when they do not share
// the process's time.
func TestReportPrintsTheCPU(t *testing.T) {
	commands := bench.Result{Clients: 8, Elapsed: 2 * time.Second, Commands: 1000, Events: 1000}
	withReaders := commands
	withReaders.ReportReaders, withReaders.ReadReport = 2, "participation"
	withReaders.ReportReads = bench.Percentiles{N: 6000}
	readersAlone := withReaders
	readersAlone.Clients, readersAlone.Commands, readersAlone.Events = 0, 0, 0
	ceilings := &bench.Ceilings{Publishers: 8, Messages: 4000, PublishPerSecond: 2000, PublishCPU: 800 * time.Millisecond}
	tests := []struct {
		name        string
		report      bench.Report
		want, never []string
	}{
		{"commands alone", bench.Report{Load: commands, LoadCPU: 3 * time.Second, Ceilings: ceilings},
			[]string{"3.00 s over the load (1.50 cores), 3.00 ms a command", "2000/s from 8 publishers (p50 0.0 ms, p99 0.0 ms), 0.20 ms of CPU a message"}, nil},
		{"with readers besides", bench.Report{Load: withReaders, LoadCPU: 3 * time.Second},
			[]string{"3.00 s over the load (1.50 cores)\n"}, []string{"a command", "a reading"}},
		{"readers alone", bench.Report{Load: readersAlone, LoadCPU: 3 * time.Second},
			[]string{"3.00 s over the load (1.50 cores), 0.50 ms a reading"}, []string{"a command"}},
		{"a stack elsewhere", bench.Report{Load: commands, Ceilings: &bench.Ceilings{Publishers: 8, Messages: 4000, PublishPerSecond: 2000}},
			[]string{"p99 0.0 ms)\n"}, []string{"CPU"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := tt.report.WriteText(&out); err != nil {
				t.Fatal(err)
			}
			text := out.String()
			for _, w := range tt.want {
				if !strings.Contains(squeeze(text), squeeze(w)) {
					t.Errorf("the report lacks %q:\n%s", w, text)
				}
			}
			for _, n := range tt.never {
				if strings.Contains(text, n) {
					t.Errorf("the report says %q:\n%s", n, text)
				}
			}
		})
	}
}

// squeeze makes every run of spaces one, as a tab writer's padding varies.
func squeeze(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' }), " ")
}

// stopAtCleanup stops the stack when the test ends.
func stopAtCleanup(t *testing.T, st *app.App) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = st.Shutdown(ctx)
	})
}
