package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// buildTogether builds this binary once for the test.
func buildTogether(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and kills the real binary; skipped with -short")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH to build the binary with")
	}
	bin := filepath.Join(t.TempDir(), "together")
	out, err := exec.Command(gobin, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startTogether runs `together serve` on dir and returns its URL once it
// logged that it is ready.
func startTogether(t *testing.T, bin, dir string) (*exec.Cmd, string) {
	t.Helper()
	// The key file lives beside the data, as it must, and stays the same
	// across restarts.
	cmd := exec.Command(bin, "serve", "--data", dir, "--http", "127.0.0.1:0", "--key-file", filepath.Join(filepath.Dir(dir), "key"))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var line struct {
				URL string `json:"url"`
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.URL != "" {
				urls <- line.URL
			}
		}
	}()
	select {
	case u := <-urls:
		return cmd, u
	case <-time.After(30 * time.Second):
		t.Fatal("together serve did not log that it was ready")
	}
	return nil, ""
}

// TestAcknowledgedEventsSurviveSIGKILL writes through the API from several
// clients, kills the server with SIGKILL in the middle of it, restarts it
// on the same data directory and requires every event it acknowledged.
func TestAcknowledgedEventsSurviveSIGKILL(t *testing.T) {
	bin := buildTogether(t)
	dir := t.TempDir()
	// An admin token, made on the stopped system before its first start.
	out, err := exec.Command(bin, "token", "create", "--data", dir, "--key-file", filepath.Join(filepath.Dir(dir), "key"),
		"--role", "admin", "--name", "crash test").Output()
	if err != nil {
		t.Fatalf("together token create: %v", err)
	}
	bearer := "Bearer " + strings.TrimSpace(string(out))
	acked := map[string]bool{}
	for round := range 2 {
		cmd, url := startTogether(t, bin, dir)
		var mu sync.Mutex
		var wg sync.WaitGroup
		stop := make(chan struct{})
		client := &http.Client{Timeout: 5 * time.Second}
		for w := range 4 {
			wg.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					body := fmt.Sprintf(`{"programme":"Crash %d","name":"Writer %d item %d","aim":"survive","lead":"ops"}`, round, w, i)
					req, _ := http.NewRequest(http.MethodPost, url+"/api/v1/projects", strings.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Authorization", bearer)
					res, err := client.Do(req)
					if err != nil {
						return // the server is gone; unacknowledged
					}
					b, _ := io.ReadAll(res.Body)
					res.Body.Close()
					if res.StatusCode != http.StatusCreated {
						continue
					}
					var ans struct {
						EventIDs []string `json:"event_ids"`
					}
					if json.Unmarshal(b, &ans) != nil {
						continue
					}
					mu.Lock()
					for _, id := range ans.EventIDs {
						acked[id] = true
					}
					mu.Unlock()
				}
			})
		}
		// Let the writers get going, then pull the plug mid-write.
		deadline := time.Now().Add(20 * time.Second)
		for {
			mu.Lock()
			n := len(acked)
			mu.Unlock()
			if n >= 40*(round+1) || time.Now().After(deadline) {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		close(stop)
		wg.Wait()
		if len(acked) == 0 {
			t.Fatal("no command was acknowledged before the kill")
		}
	}

	_, url := startTogether(t, bin, dir)
	stored := map[string]bool{}
	var last uint64
	after := "0"
	for {
		req, _ := http.NewRequest(http.MethodGet, url+"/api/v1/events?limit=1000&after="+after, nil)
		req.Header.Set("Authorization", bearer)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET /api/v1/events = %d: %s", res.StatusCode, b)
		}
		lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
		if len(b) == 0 {
			break
		}
		for _, l := range lines {
			var e struct {
				ID       string `json:"id"`
				Position uint64 `json:"position"`
			}
			if err := json.Unmarshal(l, &e); err != nil {
				t.Fatalf("audit log line %q: %v", l, err)
			}
			if stored[e.ID] || e.Position <= last {
				t.Fatalf("event %s at position %d repeats or goes backwards (after %d)", e.ID, e.Position, last)
			}
			stored[e.ID], last = true, e.Position
		}
		if after = res.Trailer.Get("Next-After"); after == "" {
			t.Fatal("audit log page without its Next-After trailer: cut short")
		}
	}
	missing := 0
	for id := range acked {
		if !stored[id] {
			missing++
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged events lost after SIGKILL", missing, len(acked))
	}
	t.Logf("%d acknowledged events all found among %d stored after two SIGKILLs", len(acked), len(stored))
}
