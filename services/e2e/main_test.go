package e2e

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// world is what TestMain started for every test: nil when the tests skip.
var world *harness

// skipReason says why the tests skip, when they do.
var skipReason string

// harness is the running system and the browser the tests share.
type harness struct {
	sys *system
	// browser is the chromedp context of the one Chromium process; each
	// test opens a browser context of its own under it.
	browser context.Context
	stop    func()
	// shots is the folder screenshots are written to.
	shots string
}

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	h, err := setUp()
	switch {
	case errors.Is(err, errSkip):
		skipReason = err.Error()
		if os.Getenv("CI") == "true" {
			fmt.Fprintf(os.Stderr, "e2e: %s, and CI=true requires the browser tests to run (.ci/run installs chromium)\n", skipReason)
			return 1
		}
		fmt.Fprintf(os.Stderr, "e2e: skipping the browser tests: %s\n", skipReason)
	case err != nil:
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	default:
		world = h
		defer h.stop()
	}
	return m.Run()
}

// errSkip marks a reason to skip rather than fail.
var errSkip = errors.New("skip")

type skipError string

func (s skipError) Error() string        { return string(s) }
func (s skipError) Is(target error) bool { return target == errSkip }

// needWorld skips t when the harness could not start.
func needWorld(t *testing.T) *harness {
	t.Helper()
	if world == nil {
		t.Skip(skipReason)
	}
	return world
}

// chromiumPath finds the browser: TOGETHER_E2E_CHROMIUM, or Debian's
// chromium (or a Chrome) on PATH.
func chromiumPath() (string, error) {
	if p := os.Getenv("TOGETHER_E2E_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("TOGETHER_E2E_CHROMIUM: %w", err)
		}
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", skipError("no Chromium found (install it with `apt-get install chromium`, or set TOGETHER_E2E_CHROMIUM to a Chromium or Chrome binary)")
}

func setUp() (*harness, error) {
	if testing.Short() {
		return nil, skipError("they build and run the whole system and a browser; skipped with -short")
	}
	chromium, err := chromiumPath()
	if err != nil {
		return nil, err
	}
	shots := os.Getenv("TOGETHER_E2E_SCREENSHOTS")
	if shots == "" {
		shots = "screenshots"
	}
	if err := os.MkdirAll(shots, 0o700); err != nil {
		return nil, fmt.Errorf("screenshots folder: %w", err)
	}

	sys, err := startSystem()
	if err != nil {
		return nil, err
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.WindowSize(1280, 900),
		// Pages come from 127.0.0.1 only; nothing else is needed.
		chromedp.Flag("disable-background-networking", true),
	)
	if os.Geteuid() == 0 {
		// Chromium refuses to start its sandbox as root (CI containers).
		opts = append(opts, chromedp.NoSandbox)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	// Start the browser now, so that a broken one fails here once. (The
	// context of this first call owns the process: no timeout on it.)
	if err := chromedp.Do(browser); err != nil {
		cancelBrowser()
		cancelAlloc()
		sys.stop()
		return nil, fmt.Errorf("starting %s: %w", chromium, err)
	}
	abs, _ := filepath.Abs(shots)
	return &harness{
		sys: sys, browser: browser, shots: abs,
		stop: func() {
			cancelBrowser()
			cancelAlloc()
			sys.stop()
		},
	}, nil
}
