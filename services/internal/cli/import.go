package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/together-coop/together/services/internal/command"
	"github.com/together-coop/together/services/internal/importer"
	"github.com/together-coop/together/services/internal/importer/importapi"
)

func runImport(ctx context.Context, args []string, env Env, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	target := fs.String("url", env("TOGETHER_URL"), "the together to import into (env TOGETHER_URL); plain http only on this machine")
	token := fs.String("token", "", "an API token of a recorder (better: env TOGETHER_TOKEN, which no process list shows)")
	kindName := fs.String("kind", "", "what the file lists: "+strings.Join(kindNames(), " or "))
	approve := fs.Bool("approve", false, "record the new rows (without it, only show what would be recorded)")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: together import --url URL --kind stakeholders|attendance FILE [--approve]

Reads a spreadsheet saved as CSV (UTF-8, comma or semicolon separated) and
shows what importing it would record: how many rows are new, how many were
recorded by an earlier import of the same file, and each problem under its
row number. Nothing is recorded without --approve, and not even then while
any row has a problem. Importing the same file again records nothing twice.

The rows are recorded through the HTTP API as the token's identity, which
needs the recorder role. The token is read from TOGETHER_TOKEN unless
--token is given.

Example:
  TOGETHER_TOKEN=… together import --url http://127.0.0.1:8080 --kind stakeholders people.csv
  TOGETHER_TOKEN=… together import --url http://127.0.0.1:8080 --kind stakeholders people.csv --approve

Flags:
`)
		fs.PrintDefaults()
	}
	// Flags may come before or after the file.
	var files []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "together import: "+format+"\n", a...)
		return code
	}
	if len(files) != 1 {
		return fail(2, "give one file to import (got %d)", len(files))
	}
	kind, err := importer.ParseKind(*kindName)
	if err != nil {
		return fail(2, "--kind: %v", err)
	}
	secret := *token
	if secret == "" {
		secret = env("TOGETHER_TOKEN")
	}
	if secret == "" {
		return fail(2, "no token: set TOGETHER_TOKEN (or --token) to an API token of a recorder")
	}
	base, err := apiBase(*target)
	if err != nil {
		return fail(2, "--url: %v", err)
	}

	data, err := readBounded(files[0])
	if err != nil {
		return fail(1, "%v", err)
	}
	f, err := importer.Parse(kind, data)
	if err != nil {
		return fail(1, "%s: %v", files[0], err)
	}
	client, err := importapi.New(bearer{client: &http.Client{Timeout: time.Minute}, token: secret},
		importapi.WithBaseURL(base), importapi.WithHeader(command.HeaderCorrelationID, "import-"+f.Hash[:32]))
	if err != nil {
		return fail(2, "%v", err)
	}
	var rev *importapi.Review
	if *approve {
		rev, err = client.Approve(ctx, f)
	} else {
		rev, err = client.Review(ctx, f)
	}
	if rev != nil {
		printReview(stdout, filepath.Base(files[0]), rev, *approve && err == nil)
	}
	switch {
	case errors.Is(err, importapi.ErrProblems):
		return fail(1, "nothing was recorded: correct the rows with problems and import the file again")
	case err != nil:
		return fail(1, "%v; run it again with --approve to carry on (nothing is recorded twice)", err)
	case len(rev.Problems) > 0:
		return 1
	case !*approve && rev.Count(importapi.StatusNew) > 0:
		fmt.Fprintf(stdout, "\nNothing was recorded. Run it again with --approve to record the %d new.\n", rev.Count(importapi.StatusNew))
	}
	return 0
}

func kindNames() []string {
	var out []string
	for _, k := range importer.Kinds() {
		out = append(out, string(k))
	}
	return out
}

// apiBase checks the URL of the API: https anywhere, http only on this
// machine, since the token and people's names travel with it.
func apiBase(raw string) (string, error) {
	if raw == "" {
		return "", errors.New("give the URL of the together to import into (or set TOGETHER_URL)")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", fmt.Errorf("%q is not an http(s)://host[:port] URL", raw)
	}
	if u.Scheme == "http" {
		host := u.Hostname()
		ip := net.ParseIP(host)
		if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return "", fmt.Errorf("%q: plain http is only for this machine; personal data and the token need https", raw)
		}
	}
	return strings.TrimSuffix(u.Scheme+"://"+u.Host+u.Path, "/"), nil
}

func readBounded(path string) ([]byte, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	// One byte more than allowed, so that the parser says it is too
	// large rather than reading a cut file.
	return io.ReadAll(io.LimitReader(file, importer.MaxFileBytes+1))
}

// bearer sends each request with the API token.
type bearer struct {
	client *http.Client
	token  string
}

func (b bearer) Do(req *http.Request) (*http.Response, error) {
	req.Header.Set("Authorization", "Bearer "+b.token)
	return b.client.Do(req)
}

// printReview prints what the review found, or what the approval did.
func printReview(w io.Writer, name string, rev *importapi.Review, approved bool) {
	f := rev.File
	fmt.Fprintf(w, "%s from %s: %d %s\n", f.Kind, name, f.Rows, plural(f.Rows, "row", "rows"))
	if approved {
		fmt.Fprintf(w, "Imported: %s\n", rev.Summary())
	} else {
		fmt.Fprintf(w, "%s\n", rev.Summary())
	}
	if len(f.Ignored) > 0 {
		fmt.Fprintf(w, "Columns not imported: %s\n", strings.Join(f.Ignored, ", "))
	}
	if len(rev.Problems) > 0 {
		fmt.Fprintln(w, "\nRows with problems:")
		for _, p := range rev.Problems {
			fmt.Fprintf(w, "  %s\n", p)
		}
	}
	if len(rev.Items) > 0 {
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "rows\tid\tstatus")
		for _, it := range rev.Items {
			rows := make([]string, len(it.Rows))
			for i, r := range it.Rows {
				rows[i] = strconv.Itoa(r)
			}
			id := it.ID
			if id == "" {
				id = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", strings.Join(rows, ","), id, it.Status)
		}
		_ = tw.Flush()
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
