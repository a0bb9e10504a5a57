package embednats

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/rs/zerolog"
)

// Sentinel errors of [Server.Health].
var (
	// ErrOutOfSpace is reported while JetStream refuses writes for want of
	// storage: the disk holding the store is full, or the store has used
	// all the space JetStream set aside for it.
	ErrOutOfSpace = errors.New("embedded nats: out of storage space")
	// ErrJetStreamDown is reported while JetStream is off or a stream
	// cannot write, for a cause other than space.
	ErrJetStreamDown = errors.New("embedded nats: JetStream is not working")
)

// Defaults of the watchdog.
const (
	DefaultDiskCheckInterval = 5 * time.Second
	DefaultMinFreeBytes      = 64 << 20
)

// outOfSpaceText is how the operating system's "no space left on
// device" reads in an error; nats-server recognises it the same way.
const outOfSpaceText = "no space left"

// condition is what the watchdog found.
type condition int

const (
	healthy condition = iota
	// diskFull: a write failed for want of space on the disk.
	diskFull
	// storeLimit: the store has reached the limit JetStream sized from
	// the disk's free space when it started.
	storeLimit
	// down: JetStream is off, or a stream cannot write, for another
	// cause; nothing the watchdog can repair.
	down
)

// watchdog notices JetStream refusing writes for want of space, reports it
// through Health, and starts JetStream again once there is room, without
// a restart of the process. nats-server alone never recovers: a stream
// whose write failed refuses every later one, and JetStream, once shut
// down for lack of space, stays down.
type watchdog struct {
	ns       *server.Server
	opts     *server.Options
	dir      string
	log      zerolog.Logger
	interval time.Duration
	minFree  int64

	// kick asks for a look now: the server's log just told of a write
	// that found no space.
	kick chan struct{}
	// sawOutOfSpace is set when the server logs that it ran out of
	// space, so that JetStream found off afterwards is known to be off
	// for that reason.
	sawOutOfSpace atomic.Bool

	health atomic.Pointer[error]
	// cond is the last condition found; only the watchdog's goroutine
	// uses it, and failedRestart (the restart failure already logged).
	cond          condition
	failedRestart bool
	// fruitless is the free space when a restart left JetStream still
	// out of space (0: none did): the next waits for minFree more, so a
	// misjudged restart is not repeated at every look.
	fruitless int64

	cancel context.CancelFunc
	done   sync.WaitGroup
}

// serverSaid is called with every warning and error the server logs.
func (w *watchdog) serverSaid(line string) {
	switch {
	case strings.Contains(line, outOfSpaceText), strings.HasPrefix(line, "JetStream out of"):
		w.sawOutOfSpace.Store(true)
	case strings.Contains(line, "resource limits exceeded for server"):
	default:
		return
	}
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

func (w *watchdog) start() {
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	w.done.Add(1)
	go func() {
		defer w.done.Done()
		t := time.NewTicker(w.interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			case <-w.kick:
			}
			w.check()
		}
	}()
}

func (w *watchdog) stop() {
	w.cancel()
	w.done.Wait()
}

// Health reports whether JetStream takes writes, as of the watchdog's last
// look: nil, or an error wrapping [ErrOutOfSpace] or [ErrJetStreamDown]
// that names the cause.
func (w *watchdog) Health() error {
	if err := w.health.Load(); err != nil {
		return *err
	}
	return nil
}

func (w *watchdog) setHealth(err error) {
	if err == nil {
		w.health.Store(nil)
		return
	}
	w.health.Store(&err)
}

// usage is what the watchdog measured.
type usage struct {
	free int64 // bytes free on the disk for an unprivileged writer; -1 unknown
	used int64 // bytes JetStream holds on file
	max  int64 // JetStream's file storage limit
}

// check looks once, repairs what it can and logs each change once.
func (w *watchdog) check() {
	cond, cause, u := w.observe()
	if (cond == diskFull || cond == storeLimit) && w.roomAfterRestart(u) && (w.fruitless == 0 || u.free >= w.fruitless+w.minFree) {
		if w.restart(u) {
			cond, cause, u = w.observe()
			if cond == diskFull || cond == storeLimit {
				w.fruitless = max(u.free, 1)
			}
		}
	}
	if cond == healthy {
		w.fruitless = 0
	}
	w.setHealth(w.describe(cond, cause, u))
	if cond == w.cond {
		return
	}
	switch cond {
	case healthy:
		w.log.Info().Str("dir", w.dir).Int64("free_bytes", u.free).Msg("JetStream takes writes again")
	case diskFull:
		w.log.Error().Str("dir", w.dir).Int64("free_bytes", u.free).Int64("min_free_bytes", w.minFree).
			Msg("the disk holding the event store is full: every write is refused until space is freed")
	case storeLimit:
		w.log.Error().Str("dir", w.dir).Int64("free_bytes", u.free).Int64("used_bytes", u.used).Int64("limit_bytes", u.max).
			Msg("the event store has used all the space JetStream set aside for it: every write is refused until space is freed")
	case down:
		w.log.Error().Str("dir", w.dir).Str("cause", cause).Msg("JetStream is not working")
	}
	w.cond = cond
	w.failedRestart = false
}

// observe finds the condition of JetStream and the disk.
func (w *watchdog) observe() (condition, string, usage) {
	u := usage{free: freeBytes(w.dir)}
	info, err := w.ns.Jsz(nil)
	if err != nil || info.Disabled {
		if w.sawOutOfSpace.Load() || u.free >= 0 && u.free < w.minFree {
			return diskFull, "", u
		}
		return down, "JetStream is disabled (the server's log says why)", u
	}
	u.used, u.max = int64(info.Store), info.Config.MaxStore
	hz := w.ns.Healthz(&server.HealthzOptions{Details: true})
	for _, e := range hz.Errors {
		if e.Type != server.HealthzErrorStream || !strings.Contains(e.Error, "write error") {
			continue
		}
		if strings.Contains(e.Error, outOfSpaceText) {
			return diskFull, "", u
		}
		return down, e.Error, u
	}
	// JetStream refuses a message once what it holds exceeds the limit.
	if u.max > 0 && u.used >= u.max {
		return storeLimit, "", u
	}
	return healthy, "", u
}

func (w *watchdog) describe(cond condition, cause string, u usage) error {
	switch cond {
	case diskFull:
		if u.free >= w.minFree {
			return fmt.Errorf("%w: the disk holding %s ran out of space and JetStream has not started again (%d bytes free now)", ErrOutOfSpace, w.dir, u.free)
		}
		return fmt.Errorf("%w: the disk holding %s is full: %d bytes free", ErrOutOfSpace, w.dir, max(u.free, 0))
	case storeLimit:
		sized := "its configured limit"
		if w.opts.JetStreamMaxStore <= 0 {
			sized = "three quarters of the disk's free space when it started"
		}
		return fmt.Errorf("%w: the store in %s has used all %d bytes JetStream set aside for it (%s); the disk has %d bytes free",
			ErrOutOfSpace, w.dir, u.max, sized, max(u.free, 0))
	case down:
		return fmt.Errorf("%w: %s", ErrJetStreamDown, cause)
	}
	return nil
}

// roomAfterRestart reports whether JetStream, started again now, would
// have at least minFree bytes to write: the disk has that much free and,
// when JetStream sizes its limit from the disk (no limit configured), the
// limit it would set leaves that much above what it holds.
func (w *watchdog) roomAfterRestart(u usage) bool {
	if u.free < w.minFree {
		return false
	}
	if w.opts.JetStreamMaxStore > 0 {
		return u.max <= 0 || u.max-u.used >= w.minFree
	}
	// nats-server's own sizing: three quarters of the free space, plus
	// three quarters of what the store already holds.
	limit := u.free/4*3 + u.used/4*3
	return limit-u.used >= w.minFree
}

// restart reports whether it tried to start JetStream again: it stops
// JetStream if it still runs (a stream whose write failed refuses every
// later write until it is loaded again) and starts it with the
// configuration the server started it with. Encryption is not part of
// that configuration: the server takes the key and cipher from its
// options, which are unchanged.
func (w *watchdog) restart(u usage) bool {
	// The server shuts JetStream down in a goroutine of its own after
	// saying it ran out of space; JetStream counts as disabled from the
	// start of that, and has only finished once its configuration is
	// gone. Starting before would have that shutdown undo the start.
	if !w.ns.JetStreamEnabled() && w.ns.JetStreamConfig() != nil {
		return false
	}
	if !w.failedRestart {
		w.log.Info().Str("dir", w.dir).Int64("free_bytes", u.free).Msg("restarting JetStream: there is room again")
	}
	if w.ns.JetStreamEnabled() {
		if err := w.ns.ShutdownJetStream(); err != nil {
			w.restartFailed(fmt.Errorf("stop JetStream: %w", err))
			return true
		}
	}
	w.sawOutOfSpace.Store(false)
	if err := w.ns.EnableJetStream(jetStreamConfig(w.opts)); err != nil {
		w.restartFailed(err)
		return true
	}
	if err := checkStreamsLoaded(w.ns, w.opts.StoreDir); err != nil {
		w.restartFailed(err)
	}
	return true
}

func (w *watchdog) restartFailed(err error) {
	if w.failedRestart {
		return
	}
	w.failedRestart = true
	w.log.Error().Err(err).Str("dir", w.dir).Msg("JetStream did not start again; the watchdog keeps trying")
}

// jetStreamConfig is the configuration nats-server starts JetStream with
// from opts (server.Start does the same).
func jetStreamConfig(opts *server.Options) *server.JetStreamConfig {
	return &server.JetStreamConfig{
		StoreDir:     opts.StoreDir,
		SyncInterval: opts.SyncInterval,
		SyncAlways:   opts.SyncAlways,
		Strict:       !opts.NoJetStreamStrict,
		MaxMemory:    opts.JetStreamMaxMemory,
		MaxStore:     opts.JetStreamMaxStore,
		Domain:       opts.JetStreamDomain,
		CompressOK:   true,
		UniqueTag:    opts.JetStreamUniqueTag,
	}
}
