package e2e

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// account is the local account the tests sign in with.
type account struct {
	Username, Name, Password string
}

// system is a running `together serve` on a data directory of its own.
type system struct {
	URL string
	// Token is an API token with the recorder role, for recording what
	// the web pages cannot record yet.
	Token string
	// Recorder is a local account with the recorder role.
	Recorder account
	// Auditor is a local account with the auditor role.
	Auditor account

	root string
	cmd  *exec.Cmd
	done chan struct{}
	log  *lineLog
}

// startSystem builds the binary, makes the account and the token with its
// own commands on a fresh data directory (as an operator would, before the
// first start) and starts `together serve` on 127.0.0.1.
func startSystem() (_ *system, err error) {
	root, err := os.MkdirTemp("", "together-e2e-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(root)
		}
	}()
	bin := filepath.Join(root, "together")
	build := exec.Command("go", "build", "-o", bin, "./cmd/together")
	build.Dir = ".." // the services module
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build ./services/cmd/together: %v\n%s", err, out)
	}
	// The key file lives outside the data directory, as it must.
	data, key := filepath.Join(root, "data"), filepath.Join(root, "key")
	together := func(stdin string, args ...string) (string, error) {
		cmd := exec.Command(bin, append(args, "--data", data, "--key-file", key)...)
		cmd.Stdin = strings.NewReader(stdin)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("together %s: %v\n%s", strings.Join(args[:2], " "), err, stderr.String())
		}
		return stdout.String(), nil
	}

	s := &system{root: root, done: make(chan struct{}), log: &lineLog{}}
	out, err := together("", "token", "create", "--role", "recorder", "--name", "e2e tests")
	if err != nil {
		return nil, err
	}
	s.Token = strings.TrimSpace(out)
	s.Recorder = account{Username: "robin.recorder@example.org", Name: "Robin Recorder", Password: randomPassword()}
	s.Auditor = account{Username: "ali.auditor@example.org", Name: "Ali Auditor", Password: randomPassword()}
	for _, acc := range []struct {
		account
		role string
	}{{s.Recorder, "recorder"}, {s.Auditor, "auditor"}} {
		// The password goes in on stdin, never in an argument or a file.
		if _, err := together(acc.Password+"\n", "users", "add",
			"--username", acc.Username, "--name", acc.Name, "--role", acc.role); err != nil {
			return nil, err
		}
	}

	s.cmd = exec.Command(bin, "serve", "--data", data, "--key-file", key, "--http", "127.0.0.1:0")
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	ready := make(chan string, 1)
	go func() {
		defer close(s.done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			s.log.add(sc.Text())
			var line struct {
				URL     string `json:"url"`
				Message string `json:"message"`
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.URL != "" && strings.Contains(line.Message, "is ready") {
				select {
				case ready <- line.URL:
				default:
				}
			}
		}
		_ = s.cmd.Wait()
	}()
	select {
	case s.URL = <-ready:
		return s, nil
	case <-s.done:
		return nil, fmt.Errorf("together serve stopped before it was ready:\n%s", s.log)
	case <-time.After(60 * time.Second):
		s.stop()
		return nil, fmt.Errorf("together serve did not say it was ready within a minute:\n%s", s.log)
	}
}

// stop stops the server gracefully (SIGTERM, as an operator would) and
// removes its data.
func (s *system) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(20 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	}
	_ = os.RemoveAll(s.root)
}

// Problems returns the last n warnings and errors the server logged, for
// a failing test to show (its request log would drown them).
func (s *system) Problems(n int) string {
	var out []string
	for _, line := range strings.Split(s.log.last(keepLines), "\n") {
		if strings.Contains(line, `"level":"warn"`) || strings.Contains(line, `"level":"error"`) {
			out = append(out, line)
		}
	}
	if len(out) == 0 {
		return "(none)"
	}
	return strings.Join(out[max(0, len(out)-n):], "\n")
}

func randomPassword() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// lineLog keeps the last lines a process logged.
type lineLog struct {
	mu    sync.Mutex
	lines []string
}

const keepLines = 200

func (l *lineLog) add(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, line)
	if len(l.lines) > keepLines {
		l.lines = l.lines[len(l.lines)-keepLines:]
	}
}

func (l *lineLog) String() string { return l.last(keepLines) }

func (l *lineLog) last(n int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines[max(0, len(l.lines)-n):], "\n")
}
