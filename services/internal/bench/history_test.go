package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"iter"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/seal"
	"github.com/together-coop/together/events/stakeholder"
	"github.com/together-coop/together/projections/historytest"
	"github.com/together-coop/together/services/internal/app"
	"github.com/together-coop/together/services/internal/audit"
	"github.com/together-coop/together/services/internal/bench"
	"github.com/together-coop/together/services/internal/busauth"
	"github.com/together-coop/together/services/internal/keyring"
	"github.com/together-coop/together/services/internal/logtest"
	"github.com/together-coop/together/services/internal/natsjs"
)

// TestHistoryColdStart builds a small generated history through the
// recorder, requires the store to hold exactly the generated events, each
// stream in its order, stamped and hash-chained by the recorder, then
// reads it raw and starts together on it until the reports reach its head.
func TestHistoryColdStart(t *testing.T) {
	ctx := context.Background()
	// Past the generator's set-up (the projects, 5,000 people and the
	// demographics three in five declare), so that engagements, feedback
	// and actions are appended too.
	const seed, n = 11, 10_000
	began := time.Now()
	dir, kek, h := buildHistory(t, n, seed)
	want := historytest.Generate(seed, n).Events[:n]
	if h.Events != n || h.Elapsed <= 0 || h.Head <= uint64(h.Events) {
		t.Fatalf("built %+v; want the %d generated events under a head past them (seals)", h, n)
	}

	seals := checkStore(t, dir, kek, want, began)
	if uint64(n+seals) != h.Head {
		t.Errorf("store holds %d events and %d seals, head %d", n, seals, h.Head)
	}

	raw, err := bench.MeasureRawRead(ctx, dir, kek)
	if err != nil {
		t.Fatal(err)
	}
	if uint64(raw.Messages) != h.Head || raw.Bytes <= 0 || raw.PerSecond() <= 0 {
		t.Errorf("raw read %+v, want %d messages", raw, h.Head)
	}

	st, token, cs, err := bench.StartCold(ctx, app.Config{Parts: app.AllParts(), DataDir: dir, HTTPAddr: "127.0.0.1:0",
		Logger: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel), KEK: kek}, h.Head)
	if err != nil {
		t.Fatal(err)
	}
	stopAtCleanup(t, st)
	if token == "" || cs.Head != h.Head || cs.Elapsed < cs.Started || cs.PerSecond() <= 0 || cs.HeapInUseMiB <= 0 {
		t.Errorf("cold start %+v (token %q), want the head reached with positive figures", cs, token)
	}
	if runtime.GOOS == "linux" {
		if m, idle := cs.Memory, cs.Idle; m == nil || idle == nil || m.PeakRSSMiB < m.RSSMiB || idle.RSSMiB <= 0 {
			t.Errorf("memory of the cold start %+v then %+v, want resident sets under a peak", m, idle)
		}
		// Where the kernel resets the peak, it is the cold start's own,
		// not building the history's.
		if bench.ResetPeak() && !cs.PeakSinceStart {
			t.Error("the peak was not reset before the cold start")
		}
	}
	var out bytes.Buffer
	if err := (bench.Report{Target: st.URL(), History: &h, RawRead: &raw, ColdStart: &cs}).WriteText(&out); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out.String())
	for _, line := range []string{"history built", "ceiling: raw ordered read", "cold start to the head", "cold start ÷ raw read", "memory after the cold start"} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("report lacks %q:\n%s", line, out.String())
		}
	}
	if strings.Contains(out.String(), "commands") {
		t.Errorf("report without a load prints load figures:\n%s", out.String())
	}
}

// checkStore reads the stopped store at dir and compares it with want:
// every generated event, each stream in its order, recorded (stamped)
// after began, and a hash chain that verifies. It returns how many seals
// the recorder wrote among them.
func checkStore(t *testing.T, dir string, kek keyring.KEK, want []historytest.Event, began time.Time) int {
	t.Helper()
	ctx := context.Background()
	conns, closeFn, err := app.OpenStoppedAs(dir, kek, busauth.Recorder, busauth.Stakeholders)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	store, err := natsjs.New(ctx, conns[0])
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(conns[1])
	if err != nil {
		t.Fatal(err)
	}
	keys, err := keyring.New(ctx, js, kek)
	if err != nil {
		t.Fatal(err)
	}
	var all []events.Envelope
	got := map[string][]events.Envelope{}
	seals := 0
	for e, err := range store.ReadAll(ctx, 0) {
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, e)
		if e.Stream == seal.Stream {
			seals++
			continue
		}
		got[e.Stream] = append(got[e.Stream], e)
	}
	if len(all)-seals != len(want) {
		t.Fatalf("store holds %d events, want %d", len(all)-seals, len(want))
	}
	types := map[string]bool{}
	next := map[string]int{}
	for _, w := range want {
		we := w.Envelope
		types[we.Type] = true
		i := next[we.Stream]
		next[we.Stream]++
		if i >= len(got[we.Stream]) {
			t.Fatalf("stream %s lacks its event %d", we.Stream, i+1)
		}
		g := got[we.Stream][i]
		if we.Type == stakeholder.TypeDemographicsDeclared {
			// Sealed under the person's key, where the generator only
			// pretends to: it opens to what was generated.
			var gp, wp stakeholder.DemographicsDeclared
			if err := errors.Join(json.Unmarshal(g.Payload, &gp), json.Unmarshal(we.Payload, &wp)); err != nil {
				t.Fatal(err)
			}
			plain, err := keys.Open(ctx, strings.TrimPrefix(we.Stream, stakeholder.StreamPrefix), gp.Demographics)
			if err != nil || !bytes.Equal(plain, wp.Demographics.Ciphertext) || bytes.Equal(gp.Demographics.Ciphertext, plain) {
				t.Fatalf("stream %s event %d: sealed %q opens to %q (%v), want %q", we.Stream, i+1, gp.Demographics.Ciphertext, plain, err, wp.Demographics.Ciphertext)
			}
			g.Payload = we.Payload
		}
		if g.Type != we.Type || g.StreamVersion != we.StreamVersion || !g.OccurredAt.Equal(we.OccurredAt) || !bytes.Equal(g.Payload, we.Payload) {
			t.Fatalf("stream %s event %d is %s v%d at %s %s, want %s v%d at %s %s", we.Stream, i+1,
				g.Type, g.StreamVersion, g.OccurredAt, g.Payload, we.Type, we.StreamVersion, we.OccurredAt, we.Payload)
		}
		if g.RecordedAt.Before(began) || g.Hash == "" {
			t.Fatalf("stream %s event %d recorded at %s with hash %q: not stamped by the recorder", we.Stream, i+1, g.RecordedAt, g.Hash)
		}
	}
	// The 18 types Generate writes, so that the recorder's checks were
	// passed by each.
	if len(types) != 18 {
		t.Errorf("the history holds %d event types (%v); want the generator's 18", len(types), types)
	}
	v, err := audit.Verify(each(all), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !v.OK || v.Break != nil || v.Result.Events != uint64(len(all)) || v.Result.Unsealed != 0 {
		t.Errorf("verification %+v, want a clean chain over %d events, all sealed", v, len(all))
	}
	return seals
}

func each(evs []events.Envelope) iter.Seq2[events.Envelope, error] {
	return func(yield func(events.Envelope, error) bool) {
		for _, e := range evs {
			if !yield(e, nil) {
				return
			}
		}
	}
}

// TestDropSnapshotsMakesTheNextStartRebuild: a stopped together keeps the
// reports' snapshot, and the next start resumes from it, to the head
// StoppedHead gives; once the snapshots are dropped, the start after
// rebuilds the reports from the history, to the head DropSnapshots gives.
func TestDropSnapshotsMakesTheNextStartRebuild(t *testing.T) {
	ctx := context.Background()
	dir, kek, h := buildHistory(t, 300, 5)
	start := func(head uint64) (resumed bool) {
		t.Helper()
		var logs logtest.Buffer
		st, _, _, err := bench.StartCold(ctx, app.Config{Parts: app.AllParts(), DataDir: dir, HTTPAddr: "127.0.0.1:0",
			Logger: zerolog.New(&logs).Level(zerolog.InfoLevel), KEK: kek}, head)
		if err != nil {
			t.Fatal(err)
		}
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := st.Shutdown(sctx); err != nil {
			t.Fatal(err)
		}
		return strings.Contains(logs.String(), "projection resumed from snapshot")
	}
	if start(h.Head) {
		t.Fatal("the first start resumed from a snapshot")
	}
	stopped, err := bench.StoppedHead(ctx, dir, kek)
	if err != nil {
		t.Fatal(err)
	}
	if stopped < h.Head {
		t.Errorf("head %d after the first start, below the history's %d", stopped, h.Head)
	}
	if !start(stopped) {
		t.Fatal("the second start did not resume from the snapshot the first saved")
	}
	head, err := bench.DropSnapshots(ctx, dir, kek)
	if err != nil {
		t.Fatal(err)
	}
	if head < stopped {
		t.Errorf("head %d after the starts, below the %d before the second", head, stopped)
	}
	if start(head) {
		t.Error("the start after DropSnapshots resumed from a snapshot")
	}
}

// buildHistory builds the first n events of the generated programme of
// seed in a new data directory under a new key, and returns them.
func buildHistory(t *testing.T, n int, seed uint64) (string, keyring.KEK, bench.History) {
	t.Helper()
	kek, err := keyring.GenerateKEK()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	h, err := bench.BuildHistory(context.Background(), dir, kek, n, seed)
	if err != nil {
		t.Fatal(err)
	}
	return dir, kek, h
}
