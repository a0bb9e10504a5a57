// Package cli is the together command line: one binary whose subcommands
// run the system or inspect its history. main hands it the arguments, the
// environment and the standard streams.
package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
)

// Env reads an environment variable; main passes os.Getenv.
type Env func(key string) string

type subcommand struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, env Env, stdout, stderr io.Writer) int
}

func subcommands() []subcommand {
	return []subcommand{
		{"serve", "run everything in one process on an embedded NATS (the default)", runServe},
		{"verify", "check the history's hash chains and seals; report the first break", runVerify},
		{"replay", "rebuild a report as the system knew it at a past moment", runReplay},
		{"export", "write the history and every report to a folder an auditor can open", runExport},
		{"recorder", "run the recorder alone (holds the store: JetStream or KurrentDB)", runRecorder},
		{"service", "run one command service alone: projects, stakeholders, engagements, feedback, actions", runService},
		{"reports", "run the reports service alone", runReports},
		{"token", "create, list or revoke API tokens (a stopped system's data directory)", runToken},
		{"users", "add, list, disable or reset local accounts (a stopped system's data directory)", runUsers},
		{"import", "check a spreadsheet of stakeholders or attendance (CSV) and, with --approve, record it through the API", runImport},
		{"healthcheck", "exit 0 if a URL answers 200 (the containers' health check)", runHealthcheck},
		{"bench", "drive a together with a realistic command mix and print throughput, latency and ceilings", runBench},
	}
}

// Main runs the subcommand named by args[0] and returns the exit status.
func Main(ctx context.Context, args []string, env Env, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range subcommands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], env, stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "together: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	var b strings.Builder
	b.WriteString("together — an event-sourced ledger of involvement for co-production programmes\n\nUsage: together <command> [flags]\n\nCommands:\n")
	for _, c := range subcommands() {
		fmt.Fprintf(&b, "  %-12s %s\n", c.name, c.summary)
	}
	b.WriteString("\nRun 'together <command> --help' for a command's flags and an example.\n")
	_, _ = io.WriteString(w, b.String())
}
