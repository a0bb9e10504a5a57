package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/together-coop/together/services/internal/app"
	"github.com/together-coop/together/services/internal/auth"
	"github.com/together-coop/together/services/internal/busauth"
	"github.com/together-coop/together/services/internal/keyring"
	"github.com/together-coop/together/services/internal/natsjs"
	"github.com/together-coop/together/services/internal/reports"
)

// RawRead is the ceiling of a cold start: the whole event stream of a
// stopped system read in order by an ordered consumer, nothing decoded.
type RawRead struct {
	Messages int
	Bytes    int64
	// Open is starting the stopped system's nats-server on its data;
	// Elapsed is reading, from creating the consumer to the head.
	Open, Elapsed time.Duration
}

// PerSecond is the read throughput in messages.
func (r RawRead) PerSecond() float64 { return float64(r.Messages) / r.Elapsed.Seconds() }

// MeasureRawRead reads the event stream of the stopped system at dataDir
// from the first message to the head.
func MeasureRawRead(ctx context.Context, dataDir string, kek keyring.KEK) (RawRead, error) {
	start := time.Now()
	// As the administrator, as the audit reads: a role that may answer
	// requests (the recorder's) has the server note the reply subject of
	// every message delivered to it, and nats-server keeps a stopped
	// server's memory for up to two minutes, so the cold start measured
	// next would count a table of every event read here.
	h, err := app.OpenHistory(ctx, dataDir, kek)
	if err != nil {
		return RawRead{}, fmt.Errorf("open the data directory: %w", err)
	}
	defer h.Close()
	r := RawRead{Open: time.Since(start)}
	js, err := jetstream.New(h.Conn())
	if err != nil {
		return r, err
	}
	stream, err := js.Stream(ctx, natsjs.DefaultStreamName)
	if err != nil {
		return r, fmt.Errorf("the event stream: %w", err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return r, fmt.Errorf("the event stream: %w", err)
	}
	head := info.State.LastSeq
	if head == 0 {
		return r, errors.New("the event stream is empty")
	}
	start = time.Now()
	cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return r, err
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(512))
	if err != nil {
		return r, err
	}
	defer it.Stop()
	for {
		m, err := it.Next()
		if err != nil {
			return r, fmt.Errorf("read after %d messages: %w", r.Messages, err)
		}
		r.Messages++
		r.Bytes += int64(len(m.Data()))
		meta, err := m.Metadata()
		if err != nil {
			return r, err
		}
		if meta.Sequence.Stream >= head {
			break
		}
	}
	r.Elapsed = time.Since(start)
	return r, nil
}

// ColdStart is what starting together on a history measured.
type ColdStart struct {
	Head uint64
	// Started is until app.Start returned; Elapsed until a report first
	// answered for the head.
	Started, Elapsed time.Duration
	// HeapInUseMiB is the Go heap in use after a collection, once the
	// reports reflect the head.
	HeapInUseMiB float64
	// Memory is the process's resident set then, and Idle the same
	// idleAfterColdStart later, with nothing asked meanwhile; nil off
	// Linux. The peak is the cold start's if PeakSinceStart, else the
	// whole process's life, building the history included.
	Memory, Idle   *Memory
	PeakSinceStart bool
}

// idleAfterColdStart is how long after the cold start the resident set is
// read again: what a started together holds before anyone asks anything.
const idleAfterColdStart = 2 * time.Second

// PerSecond is the events reflected per second of the cold start.
func (c ColdStart) PerSecond() float64 { return float64(c.Head) / c.Elapsed.Seconds() }

// coldStartLimit bounds how long the reports may take to reach the head.
const coldStartLimit = 15 * time.Minute

// StartCold starts together with cfg on a data directory holding a
// history whose last position is head, and measures how long until the
// reports reflect the head. It returns the running stack, which the
// caller shuts down, and a token of a recorder for its API.
func StartCold(ctx context.Context, cfg app.Config, head uint64) (*app.App, string, ColdStart, error) {
	c := ColdStart{Head: head}
	// What this process held before, a generated history above all, goes
	// back to the system first, so that the resident set afterwards is
	// mostly the stack's.
	runtime.GC()
	debug.FreeOSMemory()
	c.PeakSinceStart = ResetPeak()
	start := time.Now()
	st, err := app.Start(ctx, cfg)
	if err != nil {
		return nil, "", c, fmt.Errorf("start together: %w", err)
	}
	c.Started = time.Since(start)
	token, err := waitForHead(ctx, st, head)
	if err != nil {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		return nil, "", c, errors.Join(err, st.Shutdown(sctx))
	}
	c.Elapsed = time.Since(start)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	c.HeapInUseMiB = float64(ms.HeapInuse) / (1 << 20)
	if m, ok := ReadMemory(); ok {
		c.Memory = &m
		select {
		case <-time.After(idleAfterColdStart):
			if m, ok := ReadMemory(); ok {
				c.Idle = &m
			}
		case <-ctx.Done():
		}
	}
	return st, token, c, nil
}

// waitForHead takes a token (every request needs an identity) and asks
// for the probe report at head every 20 ms until it answers. A report
// behind waits for the position up to reports.MaxWait and then answers
// 503: that, or no answer yet, is asked again; any other refusal ends
// the wait.
func waitForHead(ctx context.Context, st *app.App, head uint64) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, coldStartLimit)
	defer cancel()
	_, token, err := st.IssueToken(ctx, auth.Recorder, "together bench")
	if err != nil {
		return "", fmt.Errorf("issue a token: %w", err)
	}
	c := &client{base: st.URL(), token: token, http: &http.Client{Timeout: 30 * time.Second}}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		_, err := c.get(ctx, fmt.Sprintf("%s%d", probe, head))
		if err == nil {
			return token, nil
		}
		var se *statusError
		if errors.As(err, &se) && se.status != http.StatusServiceUnavailable {
			return "", fmt.Errorf("the reports at position %d: %w", head, err)
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("the reports did not reach position %d: %w (last: %v)", head, ctx.Err(), err)
		case <-tick.C:
		}
	}
}

// StoppedHead returns the last position of the history in the stopped
// system at dataDir: where a start on it is to reach (the stack that
// stopped may have sealed what it appended).
func StoppedHead(ctx context.Context, dataDir string, kek keyring.KEK) (uint64, error) {
	conns, closeFn, err := app.OpenStoppedAs(dataDir, kek, busauth.Recorder)
	if err != nil {
		return 0, fmt.Errorf("open the stopped system: %w", err)
	}
	defer closeFn()
	return headOf(ctx, conns[0])
}

// headOf returns the last position of the event store, read through nc,
// a recorder's connection.
func headOf(ctx context.Context, nc *nats.Conn) (uint64, error) {
	store, err := natsjs.New(ctx, nc)
	if err != nil {
		return 0, fmt.Errorf("open the JetStream store: %w", err)
	}
	return store.Head(ctx)
}

// DropSnapshots deletes the reports' snapshots from the stopped system at
// dataDir, so that its next start rebuilds the reports from the history,
// as the first start after an upgrade that changes the snapshot's format
// does, and returns the history's head, which the rebuild is to reach
// (the stack that stopped may have sealed what it appended).
func DropSnapshots(ctx context.Context, dataDir string, kek keyring.KEK) (head uint64, err error) {
	conns, closeFn, err := app.OpenStoppedAs(dataDir, kek, busauth.Reports, busauth.Recorder)
	if err != nil {
		return 0, fmt.Errorf("open the stopped system: %w", err)
	}
	defer closeFn()
	js, err := jetstream.New(conns[0])
	if err != nil {
		return 0, err
	}
	obs, err := js.ObjectStore(ctx, reports.SnapshotBucket)
	switch {
	case errors.Is(err, jetstream.ErrBucketNotFound):
	case err != nil:
		return 0, fmt.Errorf("snapshot bucket: %w", err)
	default:
		infos, err := obs.List(ctx)
		if err != nil && !errors.Is(err, jetstream.ErrNoObjectsFound) {
			return 0, fmt.Errorf("list the snapshots: %w", err)
		}
		for _, info := range infos {
			if err := obs.Delete(ctx, info.Name); err != nil {
				return 0, fmt.Errorf("drop snapshot %s: %w", info.Name, err)
			}
		}
	}
	return headOf(ctx, conns[1])
}
