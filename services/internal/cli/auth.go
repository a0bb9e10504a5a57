package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"
	"golang.org/x/term"

	"github.com/together-coop/together/services/internal/app"
	"github.com/together-coop/together/services/internal/auth"
	"github.com/together-coop/together/services/internal/busauth"
)

// stdin is where passwords are read from; a variable so tests can give
// one.
var stdin = os.Stdin

// cliActor is recorded as the creator of what the command line makes: it
// runs with the data directory's file permissions, not as an identity.
const cliActor = "cli"

// openAuth opens the identities: those of a stopped system's data
// directory, or, given a NATS server, those the reports process of a
// running production-shaped system keeps (connecting as its user).
func openAuth(ctx context.Context, dataDir, keyFile string, n natsFlags) (*auth.Service, func(), error) {
	var nc *nats.Conn
	var closeFn func()
	if n.URL != "" {
		opts := []nats.Option{nats.Name("together-admin-cli")}
		if n.User != "" {
			opts = append(opts, nats.UserInfo(n.User, n.Password))
		}
		if n.CAFile != "" {
			opts = append(opts, nats.RootCAs(n.CAFile))
		}
		c, err := nats.Connect(n.URL, opts...)
		if err != nil {
			return nil, nil, fmt.Errorf("connect to NATS at %s: %w", n.URL, err)
		}
		nc, closeFn = c, c.Close
	} else {
		if dataDir == "" {
			return nil, nil, errors.New("--data DIR (a stopped system) or --nats URL (a running one) is required")
		}
		kek, err := loadKEK(keyFile, dataDir, zerolog.Nop())
		if err != nil {
			return nil, nil, err
		}
		// The identities are kept with the reports, where people sign in.
		if nc, closeFn, err = app.OpenStopped(dataDir, kek, busauth.Reports); err != nil {
			return nil, nil, fmt.Errorf("%w (on a running system, use the API: /api/v1/tokens and /api/v1/users, or --nats)", err)
		}
	}
	js, err := jetstream.New(nc)
	if err != nil {
		closeFn()
		return nil, nil, err
	}
	st, err := auth.JetStreamStores(ctx, js, 1)
	if err != nil {
		closeFn()
		return nil, nil, err
	}
	s, err := auth.New(st)
	if err != nil {
		closeFn()
		return nil, nil, err
	}
	return s, closeFn, nil
}

// action runs one verb of a command with subcommands: "token create".
type action struct {
	name, usage, help string
	flags             func(fs *flag.FlagSet) func(ctx context.Context, s *auth.Service, args []string, stdout, stderr io.Writer) error
	// args is how many positional arguments the action takes.
	args int
}

func runActions(ctx context.Context, command, summary string, actions []action, args []string, env Env, stdout, stderr io.Writer) int {
	usage := func(w io.Writer) {
		fmt.Fprintf(w, "Usage: together %s <action> --data DIR [flags]\n\n%s\n\nActions:\n", command, summary)
		for _, a := range actions {
			fmt.Fprintf(w, "  %s %s\n", command, a.usage)
		}
		fmt.Fprintf(w, "\nRun 'together %s <action> --help' for an action's flags.\n", command)
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, a := range actions {
		if a.name != args[0] {
			continue
		}
		fs := flag.NewFlagSet(command+" "+a.name, flag.ContinueOnError)
		fs.SetOutput(stderr)
		dataDir := fs.String("data", orDefault(env("TOGETHER_DATA"), "./data"), "data directory of a stopped together, created if new (env TOGETHER_DATA)")
		keyFile := registerKeyFile(fs, env)
		var n natsFlags
		fs.StringVar(&n.URL, "nats", "", "a running system's NATS server, instead of --data: connect as the reports user (env TOGETHER_NATS_USER, TOGETHER_NATS_PASSWORD), who keeps the identities")
		n.User, n.Password, n.CAFile = env("TOGETHER_NATS_USER"), env("TOGETHER_NATS_PASSWORD"), env("TOGETHER_NATS_CA")
		run := a.flags(fs)
		fs.Usage = func() {
			fmt.Fprintf(stderr, "Usage: together %s %s\n\n%s\n\nFlags:\n", command, a.usage, a.help)
			fs.PrintDefaults()
		}
		// Flags may come before or after the arguments.
		var positional []string
		for rest := args[1:]; ; {
			if err := fs.Parse(rest); err != nil {
				if errors.Is(err, flag.ErrHelp) {
					return 0
				}
				return 2
			}
			if fs.NArg() == 0 {
				break
			}
			positional = append(positional, fs.Arg(0))
			rest = fs.Args()[1:]
		}
		if len(positional) != a.args {
			fmt.Fprintf(stderr, "together %s %s: want %d argument(s), got %d\n", command, a.name, a.args, len(positional))
			return 2
		}
		s, closeFn, err := openAuth(ctx, *dataDir, *keyFile, n)
		if err != nil {
			fmt.Fprintf(stderr, "together %s %s: %v\n", command, a.name, err)
			return 1
		}
		defer closeFn()
		if err := run(ctx, s, positional, stdout, stderr); err != nil {
			fmt.Fprintf(stderr, "together %s %s: %v\n", command, a.name, err)
			if errors.Is(err, auth.ErrInvalidInput) {
				return 2
			}
			return 1
		}
		return 0
	}
	fmt.Fprintf(stderr, "together %s: unknown action %q\n\n", command, args[0])
	usage(stderr)
	return 2
}

func runToken(ctx context.Context, args []string, env Env, stdout, stderr io.Writer) int {
	return runActions(ctx, "token", "Manages API tokens for scripts and services. Each token has one role: viewer, recorder, auditor or admin.", []action{
		{name: "create", usage: "create --name NAME --role ROLE", help: `Creates an API token and prints it alone on stdout: it is shown this once
and stored only as a hash. Use it as "Authorization: Bearer <token>".
Works on a stopped system, creating the data directory if it is new, so a
first admin token can be made before the first start.

Example:
  together token create --data ./data --name "first admin" --role admin`,
			flags: func(fs *flag.FlagSet) func(context.Context, *auth.Service, []string, io.Writer, io.Writer) error {
				name := fs.String("name", "", "what the token is for, such as \"nightly export\"")
				role := fs.String("role", "", "viewer, recorder, auditor or admin")
				return func(ctx context.Context, s *auth.Service, _ []string, stdout, _ io.Writer) error {
					_, secret, err := s.CreateToken(ctx, *name, auth.Role(*role), cliActor)
					if err != nil {
						return err
					}
					_, err = fmt.Fprintln(stdout, secret)
					return err
				}
			}},
		{name: "list", usage: "list", help: "Lists every token (never its secret), revoked ones too.", flags: func(*flag.FlagSet) func(context.Context, *auth.Service, []string, io.Writer, io.Writer) error {
			return func(ctx context.Context, s *auth.Service, _ []string, stdout, _ io.Writer) error {
				ts, err := s.ListTokens(ctx)
				if err != nil {
					return err
				}
				w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "ID\tNAME\tROLE\tCREATED\tREVOKED")
				for _, t := range ts {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Role, t.CreatedAt.Format(time.RFC3339), when(t.RevokedAt))
				}
				return w.Flush()
			}
		}},
		{name: "revoke", usage: "revoke ID", args: 1, help: "Revokes a token for good.", flags: func(*flag.FlagSet) func(context.Context, *auth.Service, []string, io.Writer, io.Writer) error {
			return func(ctx context.Context, s *auth.Service, args []string, stdout, _ io.Writer) error {
				t, err := s.RevokeToken(ctx, args[0], cliActor)
				if err != nil {
					return fmt.Errorf("token %s: %w", args[0], err)
				}
				_, err = fmt.Fprintf(stdout, "revoked %s (%s)\n", t.ID, t.Name)
				return err
			}
		}},
	}, args, env, stdout, stderr)
}

func runUsers(ctx context.Context, args []string, env Env, stdout, stderr io.Writer) int {
	return runActions(ctx, "users", "Manages local accounts: people who sign in with a username and password.", []action{
		{name: "add", usage: "add --username USERNAME --name NAME --role ROLE [--password-file FILE]", help: `Adds an account. The password is read from --password-file, or asked for
on a terminal, or read as the first line of stdin; never from a flag, so
that it stays out of the shell's history.

Example:
  together users add --data ./data --username sarah@example.org --name "Sarah Jones" --role recorder`,
			flags: func(fs *flag.FlagSet) func(context.Context, *auth.Service, []string, io.Writer, io.Writer) error {
				username := fs.String("username", "", "what the person signs in with, such as their email address")
				name := fs.String("name", "", "the name shown for them")
				role := fs.String("role", "", "viewer, recorder, auditor or admin")
				pwFile := fs.String("password-file", "", "read the password from this file (- for stdin)")
				return func(ctx context.Context, s *auth.Service, _ []string, stdout, stderr io.Writer) error {
					pw, err := readPassword(*pwFile, stderr)
					if err != nil {
						return err
					}
					u, err := s.AddUser(ctx, *username, *name, auth.Role(*role), pw, cliActor)
					if err != nil {
						return err
					}
					_, err = fmt.Fprintf(stdout, "added %s (id %s, role %s)\n", u.Username, u.ID, u.Role)
					return err
				}
			}},
		{name: "list", usage: "list", help: "Lists every account, disabled ones too.", flags: func(*flag.FlagSet) func(context.Context, *auth.Service, []string, io.Writer, io.Writer) error {
			return func(ctx context.Context, s *auth.Service, _ []string, stdout, _ io.Writer) error {
				us, err := s.ListUsers(ctx)
				if err != nil {
					return err
				}
				w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "ID\tUSERNAME\tNAME\tROLE\tDISABLED")
				for _, u := range us {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", u.ID, u.Username, u.Name, u.Role, when(u.DisabledAt))
				}
				return w.Flush()
			}
		}},
		{name: "disable", usage: "disable USERNAME|ID", args: 1, help: "Stops an account from signing in and ends its sessions; it is kept so the audit trail can still name it.", flags: func(*flag.FlagSet) func(context.Context, *auth.Service, []string, io.Writer, io.Writer) error {
			return func(ctx context.Context, s *auth.Service, args []string, stdout, _ io.Writer) error {
				u, err := s.DisableUser(ctx, args[0], cliActor)
				if err != nil {
					return fmt.Errorf("account %s: %w", args[0], err)
				}
				_, err = fmt.Fprintf(stdout, "disabled %s\n", u.Username)
				return err
			}
		}},
		{name: "reset", usage: "reset USERNAME|ID [--password-file FILE]", args: 1, help: "Sets a new password (read as for add), enables the account and ends its sessions.", flags: func(fs *flag.FlagSet) func(context.Context, *auth.Service, []string, io.Writer, io.Writer) error {
			pwFile := fs.String("password-file", "", "read the password from this file (- for stdin)")
			return func(ctx context.Context, s *auth.Service, args []string, stdout, stderr io.Writer) error {
				pw, err := readPassword(*pwFile, stderr)
				if err != nil {
					return err
				}
				u, err := s.ResetPassword(ctx, args[0], pw, cliActor)
				if err != nil {
					return fmt.Errorf("account %s: %w", args[0], err)
				}
				_, err = fmt.Fprintf(stdout, "reset the password of %s\n", u.Username)
				return err
			}
		}},
	}, args, env, stdout, stderr)
}

func when(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format(time.RFC3339)
}

// readPassword reads a new password from a file, a terminal (asked twice,
// not echoed) or the first line of stdin.
func readPassword(file string, stderr io.Writer) (string, error) {
	var r io.Reader = stdin
	switch {
	case file != "" && file != "-":
		f, err := os.Open(file)
		if err != nil {
			return "", fmt.Errorf("--password-file: %w", err)
		}
		defer f.Close()
		r = f
	case file == "" && term.IsTerminal(int(stdin.Fd())):
		fd := int(stdin.Fd())
		fmt.Fprint(stderr, "Password: ")
		a, err := term.ReadPassword(fd)
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(stderr, "Again: ")
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		if string(a) != string(b) {
			return "", fmt.Errorf("%w: the two passwords differ", auth.ErrInvalidInput)
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(io.LimitReader(r, 4<<10)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", fmt.Errorf("%w: no password given (on stdin, a terminal or --password-file)", auth.ErrInvalidInput)
	}
	return pw, nil
}
