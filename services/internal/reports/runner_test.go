package reports_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/catalogue"
	"github.com/together-coop/together/events/memstore"
	"github.com/together-coop/together/projections/historytest"
	"github.com/together-coop/together/projections/ledger"
	"github.com/together-coop/together/services/internal/logtest"
	"github.com/together-coop/together/services/internal/reports"
	"github.com/together-coop/together/services/internal/reports/reportstest"
)

// counting wraps a store and counts the events its subscriptions yield.
type counting struct {
	*memstore.Store
	yielded atomic.Int64
}

func (c *counting) Subscribe(ctx context.Context, after uint64) iter.Seq2[events.Envelope, error] {
	return func(yield func(events.Envelope, error) bool) {
		for e, err := range c.Store.Subscribe(ctx, after) {
			c.yielded.Add(1)
			if !yield(e, err) {
				return
			}
		}
	}
}

type memorySnapshots struct {
	mu   sync.Mutex
	data []byte
}

func (m *memorySnapshots) Load(context.Context) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.data, nil
}

func (m *memorySnapshots) Save(_ context.Context, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data = data
	return nil
}

// runUntil runs a runner over source, with opts (logging to the test
// unless they say otherwise), until it applied position, stops it cleanly
// and returns its participation report.
func runUntil(t *testing.T, source reports.Source, position uint64, opts ...reports.RunnerOption) []byte {
	t.Helper()
	opts = append([]reports.RunnerOption{reports.WithLogger(zerolog.New(zerolog.NewTestWriter(t)))}, opts...)
	r, err := reports.NewRunner(source, catalogue.New(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	wctx, wcancel := context.WithTimeout(ctx, 60*time.Second)
	defer wcancel()
	if err := r.WaitFor(wctx, position); err != nil {
		t.Fatalf("runner did not reach %d: %v", position, err)
	}
	var out []byte
	r.Read(func(l *ledger.Ledger) { out = participationOf(t, l) })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRunnerResumesFromSnapshot stops a runner part way, lets more events
// arrive, and checks that the next runner reads only those, yet reports
// exactly what a full replay does; and that a snapshot of another history
// is not trusted.
func TestRunnerResumesFromSnapshot(t *testing.T) {
	story := historytest.Generate(5, 8000).Events // valid ids, as the recorder requires
	cut := len(story) * 2 / 3
	store := &counting{Store: memstore.New()}
	snaps := &memorySnapshots{}
	reportstest.AppendAll(t, store, story[:cut])
	runUntil(t, store, uint64(cut), reports.WithSnapshots(snaps, 50*time.Millisecond))
	if snaps.data == nil {
		t.Fatal("no snapshot saved")
	}
	reportstest.AppendAll(t, store, story[cut:])
	store.yielded.Store(0)
	resumed := runUntil(t, store, uint64(len(story)), reports.WithSnapshots(snaps, 50*time.Millisecond))
	if got := store.yielded.Load(); got != int64(len(story)-cut) {
		t.Errorf("resumed runner read %d events, want the %d after the snapshot", got, len(story)-cut)
	}
	fresh := runUntil(t, &counting{Store: store.Store}, uint64(len(story)), reports.WithSnapshots(&memorySnapshots{}, 50*time.Millisecond))
	if string(resumed) != string(fresh) {
		t.Errorf("resumed report differs from a full replay:\n%s\n%s", resumed, fresh)
	}

	// Another store whose events differ: the snapshot must be ignored.
	other := &counting{Store: memstore.New()}
	reportstest.AppendAll(t, other, historytest.Generate(5, 8000).Events) // same shape, other event ids
	runUntil(t, other, uint64(len(story)), reports.WithSnapshots(snaps, 50*time.Millisecond))
	if got := other.yielded.Load(); got != int64(len(story)) {
		t.Errorf("runner on another history read %d events, want all %d (the snapshot is not its own)", got, len(story))
	}
}

// scripted is a source whose subscriptions follow a script, one entry a
// call: failNow breaks at once, a positive n yields n events then breaks,
// and follow (or the end of the script) follows the store.
type scripted struct {
	*memstore.Store
	mu     sync.Mutex
	script []int
}

const (
	follow  = 0
	failNow = -1
)

var errBroken = errors.New("subscription broke")

func (s *scripted) Subscribe(ctx context.Context, after uint64) iter.Seq2[events.Envelope, error] {
	s.mu.Lock()
	step := follow
	if len(s.script) > 0 {
		step, s.script = s.script[0], s.script[1:]
	}
	s.mu.Unlock()
	return func(yield func(events.Envelope, error) bool) {
		if step == failNow {
			yield(events.Envelope{}, errBroken)
			return
		}
		n := 0
		for e, err := range s.Store.Subscribe(ctx, after) {
			if !yield(e, err) || err != nil {
				return
			}
			if n++; step > 0 && n == step {
				yield(events.Envelope{}, errBroken)
				return
			}
		}
	}
}

// TestRunnerRetries breaks the subscription in two outages with events
// applied between them, and requires the pause to start again from the
// first after events flowed, one warning per outage and one line per
// recovery rather than a line per attempt, and every failure counted.
func TestRunnerRetries(t *testing.T) {
	story := historytest.Generate(3, 50).Events
	store := memstore.New()
	reportstest.AppendAll(t, store, story[:10])
	source := &scripted{Store: store, script: []int{failNow, failNow, failNow, failNow, 1, failNow, failNow, failNow, follow}}
	logs := &logtest.Buffer{}
	reg := prometheus.NewRegistry()
	r, err := reports.NewRunner(source, catalogue.New(), reports.WithLogger(zerolog.New(logs)), reports.WithMetrics(reg))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var pauses []time.Duration
	reports.SetSleep(r, func(ctx context.Context, d time.Duration) bool {
		mu.Lock()
		pauses = append(pauses, d)
		mu.Unlock()
		return ctx.Err() == nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	if err := r.WaitFor(wctx, 10); err != nil {
		t.Fatalf("runner did not reach position 10: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	ms := func(n ...int) []time.Duration {
		out := make([]time.Duration, len(n))
		for i, v := range n {
			out[i] = time.Duration(v) * time.Millisecond
		}
		return out
	}
	// Four failures, then one event and a failure (a new outage), then
	// three more failures.
	want := ms(100, 200, 400, 800, 100, 200, 400, 800)
	if diff := cmp.Diff(want, pauses); diff != "" {
		t.Errorf("pauses (-want +got):\n%s", diff)
	}

	counts := map[string]int{}
	for line := range strings.Lines(logs.String()) {
		var l struct{ Level, Message string }
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		counts[l.Level+" "+l.Message]++
	}
	wantLogs := map[string]int{
		"warn projection subscription broke; retrying until it recovers": 2,
		"info projection subscription recovered":                         2,
	}
	if diff := cmp.Diff(wantLogs, counts); diff != "" {
		t.Errorf("log lines (-want +got):\n%s", diff)
	}

	var failures float64
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "together_projection_subscription_failures_total" {
			failures = mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	if failures != 8 {
		t.Errorf("together_projection_subscription_failures_total = %v, want 8", failures)
	}
}

// TestWaitForStalled requires a reader waiting for a position the runner
// cannot reach, because an event does not decode, to be told so at once
// rather than wait out its deadline; and waiters for reached positions to
// be answered.
func TestWaitForStalled(t *testing.T) {
	store := memstore.New()
	reportstest.AppendAll(t, store, historytest.Generate(3, 50).Events[:3])
	r, err := reports.NewRunner(store, catalogue.New())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wait := func(p uint64) error {
		wctx, wcancel := context.WithTimeout(ctx, time.Minute)
		defer wcancel()
		return r.WaitFor(wctx, p)
	}
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	if err := wait(3); err != nil {
		t.Fatalf("WaitFor(3) = %v, want it reached", err)
	}
	later := make(chan error, 1)
	go func() { later <- wait(10) }()
	bad := events.Envelope{ID: uuid.Must(uuid.NewV7()), Type: "NoSuchEvent", SchemaVersion: 1, Payload: []byte(`{}`)}
	if _, err := store.Append(context.Background(), "project-bad", 0, []events.Envelope{bad}); err != nil {
		t.Fatal(err)
	}
	if err := <-later; !errors.Is(err, events.ErrInvalidEvent) {
		t.Errorf("WaitFor(10) past an event that does not decode = %v, want the stall", err)
	}
	if err := wait(3); err != nil {
		t.Errorf("WaitFor(3) after the stall = %v: what was reached stays answerable", err)
	}
	if err := r.CaughtUp(); !errors.Is(err, events.ErrInvalidEvent) || !strings.Contains(err.Error(), "position 4") {
		t.Errorf("CaughtUp() = %v, want the stall naming position 4", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestNothingAnsweredWhileRebuilding: a projection that started behind the
// store answers no reader before it holds what was recorded at its start,
// and says so to readiness meanwhile.
func TestNothingAnsweredWhileRebuilding(t *testing.T) {
	store := memstore.New()
	reportstest.AppendAll(t, store, historytest.Generate(3, 50).Events[:200])
	gate := &slowSource{Store: store, release: make(chan struct{})}
	r, err := reports.NewRunner(gate, catalogue.New())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	wctx, wcancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer wcancel()
	if err := r.WaitFor(wctx, 0); err == nil {
		t.Error("WaitFor(0) answered while the projection held nothing of the 200 events already recorded")
	}
	if err := r.CaughtUp(); err == nil {
		t.Error("CaughtUp() = nil while rebuilding")
	}
	close(gate.release)
	if err := r.WaitFor(ctx, 0); err != nil {
		t.Fatalf("WaitFor(0) after the rebuild = %v", err)
	}
	if err := r.CaughtUp(); err != nil {
		t.Errorf("CaughtUp() after the rebuild = %v", err)
	}
	cancel()
	<-done
}

// slowSource holds the events back until released, as a long rebuild
// would.
type slowSource struct {
	*memstore.Store
	release chan struct{}
}

func (s *slowSource) Subscribe(ctx context.Context, after uint64) iter.Seq2[events.Envelope, error] {
	return func(yield func(events.Envelope, error) bool) {
		select {
		case <-s.release:
		case <-ctx.Done():
			return
		}
		for e, err := range s.Store.Subscribe(ctx, after) {
			if !yield(e, err) {
				return
			}
		}
	}
}

// TestReadersDoNotStarveTheProjection holds the ledger with a report
// while 300 events arrive, then keeps it read 20 ms at a time as heavy
// reports do: the projection must have gone on reading and decoding
// meanwhile, and apply what piled up at its next turn, not one event a
// read (it once applied under one event a second against four readers of
// the programme report, and read-your-writes gave up).
func TestReadersDoNotStarveTheProjection(t *testing.T) {
	story := historytest.Generate(11, 400).Events[:400]
	store := &counting{Store: memstore.New()}
	reportstest.AppendAll(t, store, story[:100])
	runner := reportstest.Run(t, store)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := runner.WaitFor(ctx, 100); err != nil {
		t.Fatal(err)
	}

	held, release := make(chan struct{}), make(chan struct{})
	go runner.Read(func(*ledger.Ledger) { close(held); <-release })
	<-held
	reportstest.AppendAll(t, store, story[100:])
	for deadline := time.Now().Add(10 * time.Second); store.yielded.Load() < int64(len(story)); {
		if time.Now().After(deadline) {
			close(release)
			t.Fatalf("while a report held the ledger the projection read %d of %d events, want all", store.yielded.Load(), len(story))
		}
		time.Sleep(time.Millisecond)
	}
	close(release)

	var reads atomic.Int64
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 2 {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				runner.Read(func(*ledger.Ledger) {
					reads.Add(1)
					time.Sleep(20 * time.Millisecond)
				})
			}
		})
	}
	err := runner.WaitFor(ctx, uint64(len(story)))
	close(stop)
	readers.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if n := reads.Load(); n > 6 {
		t.Errorf("the projection caught up after %d reads of the ledger, want at most 6", n)
	}
}

// TestAReportNeverHoldsUpTheProjection holds one version of the ledger in
// a read that has not finished, and checks the projection applies what
// comes after it and answers for it meanwhile, while the version held
// stays as it was.
func TestAReportNeverHoldsUpTheProjection(t *testing.T) {
	story := historytest.Generate(12, 300).Events[:300]
	store := memstore.New()
	reportstest.AppendAll(t, store, story[:100])
	runner := reportstest.Run(t, store)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := runner.WaitFor(ctx, 100); err != nil {
		t.Fatal(err)
	}
	held, release, done := make(chan *ledger.Ledger), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		runner.Read(func(l *ledger.Ledger) { held <- l; <-release })
	}()
	old := <-held
	defer func() { close(release); <-done }()

	reportstest.AppendAll(t, store, story[100:])
	reaches(ctx, t, runner, uint64(len(story)), "a read")
	runner.Read(func(l *ledger.Ledger) {
		if l.Position != uint64(len(story)) {
			t.Errorf("a read after waiting got position %d, want %d", l.Position, len(story))
		}
	})
	if old.Position != 100 || old.Recorded.Len() != 100 {
		t.Errorf("the version held changed: position %d, %d events; want 100 and 100", old.Position, old.Recorded.Len())
	}
}

// reaches fails the test unless the runner reaches position before ctx
// ends, while what is named holds something. WaitFor runs in its own
// goroutine: on a runner whose readers hold a lock it would block for
// good, and the test would hang instead of failing.
func reaches(ctx context.Context, t *testing.T, runner *reports.Runner, position uint64, while string) {
	t.Helper()
	waited := make(chan error, 1)
	go func() { waited <- runner.WaitFor(ctx, position) }()
	select {
	case err := <-waited:
		if err != nil {
			t.Fatalf("with %s in progress the projection did not reach position %d: %v", while, position, err)
		}
	case <-ctx.Done():
		t.Fatalf("with %s in progress the projection did not reach position %d in time", while, position)
	}
}

// blockedSnapshots saves a snapshot only once released.
type blockedSnapshots struct {
	memorySnapshots
	started chan struct{}
	once    sync.Once
	release chan struct{}
}

func (b *blockedSnapshots) Save(ctx context.Context, data []byte) error {
	b.once.Do(func() { close(b.started) })
	select {
	case <-b.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return b.memorySnapshots.Save(ctx, data)
}

// TestASnapshotNeverHoldsUpTheProjection keeps a snapshot from finishing
// and checks the projection applies and answers for what comes meanwhile,
// and that the snapshot, once written, is of one whole version.
func TestASnapshotNeverHoldsUpTheProjection(t *testing.T) {
	story := historytest.Generate(13, 300).Events[:300]
	store := memstore.New()
	snaps := &blockedSnapshots{started: make(chan struct{}), release: make(chan struct{})}
	reportstest.AppendAll(t, store, story[:100])
	runner := reportstest.Run(t, store, reports.WithSnapshots(snaps, time.Nanosecond))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	select {
	case <-snaps.started:
	case <-ctx.Done():
		t.Fatal("no snapshot was begun")
	}
	reportstest.AppendAll(t, store, story[100:])
	func() {
		defer close(snaps.release) // before the runner stops, which waits for the snapshot
		reaches(ctx, t, runner, uint64(len(story)), "a snapshot")
	}()
	var data []byte
	for data == nil && ctx.Err() == nil {
		data, _ = snaps.Load(ctx)
		time.Sleep(time.Millisecond)
	}
	l, err := ledger.Restore(data)
	if err != nil {
		t.Fatal(err)
	}
	if l.Position == 0 || l.Position != uint64(l.Recorded.Len()) {
		t.Errorf("the snapshot is of position %d with %d events", l.Position, l.Recorded.Len())
	}
}

// logOffsets is a source whose positions are offsets in a log, as on
// KurrentDB: ten apart, and a read may start only where an event does.
type logOffsets struct{ counting }

const offsetStep = 10

func (o *logOffsets) Subscribe(ctx context.Context, after uint64) iter.Seq2[events.Envelope, error] {
	return o.offsets(o.counting.Subscribe(ctx, after/offsetStep))
}

func (o *logOffsets) ReadAll(ctx context.Context, after uint64) iter.Seq2[events.Envelope, error] {
	if after%offsetStep != 0 {
		return func(yield func(events.Envelope, error) bool) {
			yield(events.Envelope{}, fmt.Errorf("position %d is not the start of an event", after))
		}
	}
	return o.offsets(o.Store.ReadAll(ctx, after/offsetStep))
}

func (o *logOffsets) Head(ctx context.Context) (uint64, error) {
	head, err := o.Store.Head(ctx)
	return head * offsetStep, err
}

func (o *logOffsets) offsets(evs iter.Seq2[events.Envelope, error]) iter.Seq2[events.Envelope, error] {
	return func(yield func(events.Envelope, error) bool) {
		for e, err := range evs {
			e.Position *= offsetStep
			if !yield(e, err) {
				return
			}
		}
	}
}

// TestRunnerResumesFromSnapshotOnLogOffsets checks a snapshot is trusted
// where positions are not consecutive: the runner finds the snapshot's
// last event by reading from the one before it, which the ledger knows,
// not from the position just before, where no event starts.
func TestRunnerResumesFromSnapshotOnLogOffsets(t *testing.T) {
	story := historytest.Generate(6, 3000).Events
	cut := len(story) / 2
	store := &logOffsets{counting{Store: memstore.New()}}
	snaps := &memorySnapshots{}
	reportstest.AppendAll(t, store.Store, story[:cut])
	runUntil(t, store, uint64(cut*offsetStep), reports.WithSnapshots(snaps, time.Hour))
	reportstest.AppendAll(t, store.Store, story[cut:])
	store.yielded.Store(0)
	resumed := runUntil(t, store, uint64(len(story)*offsetStep), reports.WithSnapshots(snaps, time.Hour))
	if got := store.yielded.Load(); got != int64(len(story)-cut) {
		t.Errorf("resumed runner read %d events, want the %d after the snapshot", got, len(story)-cut)
	}
	fresh := runUntil(t, &logOffsets{counting{Store: store.Store}}, uint64(len(story)*offsetStep))
	if string(resumed) != string(fresh) {
		t.Errorf("resumed report differs from a full replay:\n%s\n%s", resumed, fresh)
	}
}

// TestAStopDoesNotWaitForAStuckSnapshot blocks a snapshot's save for good
// and checks a stop gives up on it after its wait, cancelling it, rather
// than holding the stop for the minute a snapshot may take.
func TestAStopDoesNotWaitForAStuckSnapshot(t *testing.T) {
	story := historytest.Generate(14, 100).Events[:100]
	store := memstore.New()
	reportstest.AppendAll(t, store, story)
	snaps := &blockedSnapshots{started: make(chan struct{}), release: make(chan struct{})}
	r, err := reports.NewRunner(store, catalogue.New(), reports.WithSnapshots(snaps, time.Nanosecond),
		reports.WithLogger(zerolog.New(zerolog.NewTestWriter(t))))
	if err != nil {
		t.Fatal(err)
	}
	reports.SetStopSaveWait(r, 50*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	<-snaps.started
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		close(snaps.release)
		t.Fatal("the stop waited for the stuck snapshot")
	}
}

// TestARebuildPublishesOneVersion: events trickling in one at a time,
// as a rebuild reads them while the projection applies faster than they
// are decoded, are applied to one version while the runner rebuilds up to
// the head it started at, and published once, when it reaches it: a
// version for each batch would copy, every few events, whatever they
// change, only for the copy to be dropped. Once caught up, each event
// waited for is published as it comes.
func TestARebuildPublishesOneVersion(t *testing.T) {
	story := historytest.Generate(17, 400).Events[:303]
	store := memstore.New()
	reportstest.AppendAll(t, store, story[:300])
	reg := prometheus.NewRegistry()
	runner := reportstest.Run(t, &trickle{Store: store}, reports.WithMetrics(reg))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	reaches(ctx, t, runner, 300, "the rebuild")
	published := func() float64 {
		t.Helper()
		families, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range families {
			if f.GetName() == "together_projection_versions_published_total" {
				return f.GetMetric()[0].GetCounter().GetValue()
			}
		}
		t.Fatal("no together_projection_versions_published_total")
		return 0
	}
	if n := published(); n != 1 {
		t.Errorf("rebuilding 300 events published %v versions, want 1", n)
	}
	for i := 300; i < len(story); i++ {
		reportstest.AppendAll(t, store, story[i:i+1])
		reaches(ctx, t, runner, uint64(i+1), "an event after the rebuild")
	}
	if n := published(); n != 4 {
		t.Errorf("after three events, each waited for, %v versions published, want 4", n)
	}
}

// trickle yields events with a pause before each, so that the runner
// applies them in batches of one.
type trickle struct{ *memstore.Store }

func (s *trickle) Subscribe(ctx context.Context, after uint64) iter.Seq2[events.Envelope, error] {
	return func(yield func(events.Envelope, error) bool) {
		for e, err := range s.Store.Subscribe(ctx, after) {
			time.Sleep(100 * time.Microsecond)
			if !yield(e, err) {
				return
			}
		}
	}
}
