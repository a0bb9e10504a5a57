package auth

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// keptKV is a [KV] that keeps the values it reads under some prefixes
// while a watch of the bucket reports every change under them, so that a
// request need not read its token's, session's or account's record again:
// a change reported, or made through this keptKV, takes the value out,
// and a read that a change may have overtaken is not kept. Without a
// watch under way nothing is kept and every read reads. It is safe for
// concurrent use.
type keptKV struct {
	KV
	// kept holds what is kept under each prefix watched, in the order
	// the prefixes were given.
	kept []*keptValues
}

// newKeptKV keeps the values kv holds under prefixes (each ending with
// ".") while [keptKV.watch] runs.
func newKeptKV(kv KV, prefixes ...string) *keptKV {
	k := &keptKV{KV: kv}
	for _, p := range prefixes {
		k.kept = append(k.kept, &keptValues{prefix: p})
	}
	return k
}

// valuesOf returns what is kept for key's prefix; nil if none is watched.
func (k *keptKV) valuesOf(key string) *keptValues {
	for _, v := range k.kept {
		if strings.HasPrefix(key, v.prefix) {
			return v
		}
	}
	return nil
}

// Get implements [KV]: from what is kept, or read (and kept, if it may
// be). The value returned is shared: callers only decode it.
func (k *keptKV) Get(ctx context.Context, key string) ([]byte, uint64, error) {
	v := k.valuesOf(key)
	if v == nil {
		return k.KV.Get(ctx, key)
	}
	if e, ok := v.look(key); ok {
		return e.value, e.revision, nil
	}
	ticket, keepable := v.ticket()
	value, rev, err := k.KV.Get(ctx, key)
	if err == nil && keepable {
		v.keep(key, keptValue{value: value, revision: rev}, ticket)
	}
	return value, rev, err
}

// Create implements [KV], forgetting what was kept of key.
func (k *keptKV) Create(ctx context.Context, key string, value []byte) (uint64, error) {
	rev, err := k.KV.Create(ctx, key, value)
	k.changed(key)
	return rev, err
}

// Update implements [KV], forgetting what was kept of key.
func (k *keptKV) Update(ctx context.Context, key string, value []byte, revision uint64) (uint64, error) {
	rev, err := k.KV.Update(ctx, key, value, revision)
	k.changed(key)
	return rev, err
}

// Delete implements [KV], forgetting what was kept of key.
func (k *keptKV) Delete(ctx context.Context, key string) error {
	err := k.KV.Delete(ctx, key)
	k.changed(key)
	return err
}

// changed forgets what was kept of key, whatever the write that changed
// it (or may have: an error can hide a change made) answered, before the
// write returns: the watch may report it only later.
func (k *keptKV) changed(key string) {
	if v := k.valuesOf(key); v != nil {
		v.changed(key)
	}
}

// watch keeps what is kept under every prefix current, from a watch of
// each, until ctx ends; watched is told when a prefix's watch begins
// (true) or ends (false). A watch that breaks begins again, after a pause
// that grows while beginning keeps failing. On a bucket that cannot be
// watched, nothing is ever kept.
func (k *keptKV) watch(ctx context.Context, log *zerolog.Logger, watched func(prefix string, on bool)) {
	w, ok := k.KV.(Watcher)
	if !ok {
		<-ctx.Done()
		return
	}
	var wg sync.WaitGroup
	for _, v := range k.kept {
		wg.Go(func() { v.watch(ctx, w, log, watched) })
	}
	wg.Wait()
}

// keptValues are the values kept under one prefix.
type keptValues struct {
	prefix string

	mu sync.Mutex
	// watched is set while a watch reports every change.
	watched bool
	// changes counts the changes reported and the watches begun and
	// ended: a read is kept only if nothing changed meanwhile.
	changes uint64
	kept    map[string]keptValue
}

type keptValue struct {
	value    []byte
	revision uint64
}

// mostKept bounds what keptValues keeps: more keys in use than that start
// it afresh.
const mostKept = 1024

// look returns the value kept under key, if any.
func (v *keptValues) look(key string) (keptValue, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	e, ok := v.kept[key]
	return e, ok && v.watched
}

// ticket is taken before a value is read, for keep: it says whether a
// read may be kept at all, and what has changed so far.
func (v *keptValues) ticket() (uint64, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.changes, v.watched
}

// keep keeps e, read under key after ticket was taken, unless something
// changed since.
func (v *keptValues) keep(key string, e keptValue, ticket uint64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.watched || v.changes != ticket {
		return
	}
	if v.kept == nil || len(v.kept) >= mostKept {
		v.kept = map[string]keptValue{}
	}
	v.kept[key] = e
}

// changed forgets the value under key, and any read in flight.
func (v *keptValues) changed(key string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.changes++
	delete(v.kept, key)
}

// watching says whether a watch now reports every change; either way,
// what was kept before is forgotten.
func (v *keptValues) watching(on bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.watched = on
	v.changes++
	clear(v.kept)
}

// watch keeps v current from w until ctx ends, beginning again after a
// pause whenever the watch breaks.
func (v *keptValues) watch(ctx context.Context, w Watcher, log *zerolog.Logger, watched func(prefix string, on bool)) {
	pause := time.Duration(0)
	for {
		began := time.Now()
		err := w.Watch(ctx, v.prefix, func() {
			v.watching(true)
			watched(v.prefix, true)
		}, v.changed)
		v.watching(false)
		watched(v.prefix, false)
		if ctx.Err() != nil {
			return
		}
		// A watch that held for a while broke for a reason of its own
		// (a reconnection, say): begin again at once, and wait longer
		// only while beginning keeps failing.
		if time.Since(began) > time.Minute {
			pause = 0
		}
		pause = min(max(2*pause, 100*time.Millisecond), 5*time.Second)
		log.Warn().Err(err).Str("records", strings.TrimSuffix(v.prefix, ".")).Dur("retry_in", pause).
			Msg("the watch of the identities broke; every request reads its records meanwhile")
		select {
		case <-time.After(pause):
		case <-ctx.Done():
			return
		}
	}
}
