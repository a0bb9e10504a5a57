package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/errgroup"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/catalogue"
	"github.com/together-coop/together/events/stakeholder"
	"github.com/together-coop/together/projections/historytest"
	"github.com/together-coop/together/services/internal/app"
	"github.com/together-coop/together/services/internal/busauth"
	"github.com/together-coop/together/services/internal/keyring"
	"github.com/together-coop/together/services/internal/natsjs"
	"github.com/together-coop/together/services/internal/recorder"
)

// History is what building a generated history through the recorder
// measured.
type History struct {
	Seed uint64
	// Events is how many generated events were appended, each in its
	// own append.
	Events  int
	Writers int
	// Head is the store's last position once the recorder stopped: the
	// events and the seals the recorder wrote among them.
	Head uint64
	// Generated is generating the events in memory; Elapsed is appending
	// them, from the first request to the last answer.
	Generated, Elapsed time.Duration
}

// EventsPerSecond is the append throughput of the build.
func (h History) EventsPerSecond() float64 { return float64(h.Events) / h.Elapsed.Seconds() }

const (
	// historyWriters append at once, each owning the streams that hash to
	// it, so that a stream's appends stay in order; the recorder's group
	// commit takes the concurrent appends to different streams together.
	historyWriters = 64
	// historyWindow bounds, in events, how far the writers may drift
	// apart: every append of a window is answered before the next window
	// starts, so events land in the generated order across streams
	// except within one window (as concurrent commands do), and an event
	// that refers to another aggregate mostly finds it already recorded.
	historyWindow = 20_000
)

// batch is one append: one event, as one command of the running system
// appends. (Sending a stream's consecutive events together was slower:
// an append of several events is an atomic batch in JetStream, for which
// the server sets up a batch store each time.)
type batch struct {
	stream   string
	expected uint64
	writer   busauth.Role
	evs      []events.Envelope
}

// writerOf names the service that appends to an aggregate's streams, so
// that each append comes through the connection, and with the
// permissions, of the process that would send it.
func writerOf(aggregate string) (busauth.Role, bool) {
	switch aggregate {
	case "project":
		return busauth.Projects, true
	case "stakeholder":
		return busauth.Stakeholders, true
	case "engagement":
		return busauth.Engagements, true
	case "feedback":
		return busauth.Feedback, true
	case "action":
		return busauth.Actions, true
	}
	return "", false
}

// writers are the roles BuildHistory connects as: the recorder first.
func writers() []busauth.Role {
	return []busauth.Role{busauth.Recorder, busauth.Projects, busauth.Stakeholders, busauth.Engagements, busauth.Feedback, busauth.Actions}
}

// BuildHistory writes the first n events of a generated programme
// ([historytest.Generate] with seed) into the stopped system at dataDir,
// creating it if new, the way the running system writes: through a
// recorder service, which checks every event against the catalogue and
// the clock, stamps its recorded time, chains its hash and seals the
// ledger as it goes. Nothing is written to the stream behind it. kek
// opens the store's encryption and the keys, under which the people's
// declared demographics are sealed.
func BuildHistory(ctx context.Context, dataDir string, kek keyring.KEK, n int, seed uint64) (History, error) {
	if n < 1 {
		return History{}, fmt.Errorf("%w: a history needs at least one event", ErrInvalidOption)
	}
	h := History{Seed: seed, Writers: historyWriters}
	start := time.Now()
	batches, err := generateBatches(seed, n, start)
	if err != nil {
		return h, err
	}
	h.Generated = time.Since(start)
	h.Events = len(batches)

	roles := writers()
	conns, closeFn, err := app.OpenStoppedAs(dataDir, kek, roles...)
	if err != nil {
		return h, fmt.Errorf("open the data directory: %w", err)
	}
	defer closeFn()
	store, err := natsjs.New(ctx, conns[0])
	if err != nil {
		return h, fmt.Errorf("open the JetStream store: %w", err)
	}
	clients := map[busauth.Role]*recorder.Client{}
	for i, role := range roles[1:] {
		clients[role] = recorder.NewClient(conns[i+1], 30*time.Second)
	}
	js, err := jetstream.New(conns[slices.Index(roles, busauth.Stakeholders)])
	if err != nil {
		return h, err
	}
	keys, err := keyring.New(ctx, js, kek)
	if err != nil {
		return h, fmt.Errorf("open the keys: %w", err)
	}
	if err := sealDeclarations(ctx, keys, batches); err != nil {
		return h, err
	}
	err = withRecorder(ctx, conns[0], store, func() error {
		start := time.Now()
		err := appendAll(ctx, clients, batches)
		h.Elapsed = time.Since(start)
		return err
	})
	if err != nil {
		return h, err
	}
	if h.Head, err = store.Head(ctx); err != nil {
		return h, fmt.Errorf("read the head: %w", err)
	}
	return h, nil
}

// withRecorder runs a recorder service on store while work runs, then
// stops it, which seals what it appended since its last seal.
func withRecorder(ctx context.Context, nc *nats.Conn, store events.Store, work func() error) error {
	svc, err := recorder.New(nc, store, catalogue.New())
	if err != nil {
		return err
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- svc.Run(rctx) }()
	select {
	case <-svc.Ready():
	case err := <-done:
		cancel()
		return fmt.Errorf("the recorder stopped while starting: %w", err)
	}
	err = work()
	cancel()
	if rerr := <-done; rerr != nil && !errors.Is(rerr, context.Canceled) {
		err = errors.Join(err, fmt.Errorf("the recorder: %w", rerr))
	}
	return err
}

// generateBatches generates the history, keeps its first n events (the
// generator finishes the engagement it is in; a programme's history up to
// any moment is a prefix of it) and makes an append of each event, holding only what a writer sets (the recorder sets the rest). It
// refuses a history that would run past now, which the recorder would
// refuse.
func generateBatches(seed uint64, n int, now time.Time) ([]batch, error) {
	gen := historytest.Generate(seed, n)
	registry := catalogue.New()
	out := make([]batch, 0, n)
	for _, g := range gen.Events[:n] {
		e := g.Envelope
		if e.OccurredAt.After(now) {
			return nil, fmt.Errorf("%w: a generated history of %d events runs to %s, past now; ask for fewer",
				ErrInvalidOption, n, e.OccurredAt.Format(time.DateOnly))
		}
		agg, ok := registry.AggregateOf(e.Stream)
		writer, known := writerOf(agg.Name)
		if !ok || !known {
			return nil, fmt.Errorf("no service appends to stream %s", e.Stream)
		}
		w := events.Envelope{ID: e.ID, Type: e.Type, SchemaVersion: e.SchemaVersion, OccurredAt: e.OccurredAt,
			Actor: e.Actor, CorrelationID: e.ID.String(), Payload: e.Payload}
		out = append(out, batch{stream: e.Stream, expected: e.StreamVersion - 1, writer: writer, evs: []events.Envelope{w}})
	}
	return out, nil
}

// sealDeclarations seals each declaration of demographics in batches
// under its person's key, as the stakeholders service does when someone
// declares: the generator only pretends to seal them, and the reports
// could open none of its declarations. Eight at a time, since each makes
// a key.
func sealDeclarations(ctx context.Context, keys *keyring.Keyring, batches []batch) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i := range batches {
		e := &batches[i].evs[0]
		if e.Type != stakeholder.TypeDemographicsDeclared {
			continue
		}
		g.Go(func() error {
			var p stakeholder.DemographicsDeclared
			if err := json.Unmarshal(e.Payload, &p); err != nil {
				return err
			}
			id := strings.TrimPrefix(batches[i].stream, stakeholder.StreamPrefix)
			sealed, err := keys.Seal(gctx, id, p.Demographics.Ciphertext)
			if err != nil {
				return fmt.Errorf("seal the demographics of %s: %w", id, err)
			}
			e.Payload, err = json.Marshal(stakeholder.DemographicsDeclared{Demographics: sealed})
			return err
		})
	}
	return g.Wait()
}

// appendAll sends the batches window by window.
func appendAll(ctx context.Context, clients map[busauth.Role]*recorder.Client, batches []batch) error {
	for len(batches) > 0 {
		n, size := 0, 0
		for n < len(batches) && size < historyWindow {
			size += len(batches[n].evs)
			n++
		}
		if err := appendWindow(ctx, clients, batches[:n]); err != nil {
			return err
		}
		batches = batches[n:]
	}
	return nil
}

// appendWindow sends one window's batches from historyWriters writers,
// each taking the streams that hash to it, in order.
func appendWindow(ctx context.Context, clients map[busauth.Role]*recorder.Client, batches []batch) error {
	lanes := make([][]*batch, historyWriters)
	for i := range batches {
		f := fnv.New32a()
		_, _ = f.Write([]byte(batches[i].stream))
		lane := f.Sum32() % historyWriters
		lanes[lane] = append(lanes[lane], &batches[i])
	}
	g, gctx := errgroup.WithContext(ctx)
	for _, lane := range lanes {
		g.Go(func() error {
			for _, b := range lane {
				if _, err := clients[b.writer].Append(gctx, b.stream, b.expected, b.evs); err != nil {
					return fmt.Errorf("append %d events to %s at version %d: %w", len(b.evs), b.stream, b.expected, err)
				}
			}
			return nil
		})
	}
	return g.Wait()
}
