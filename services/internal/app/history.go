package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/nats-io/nats.go"

	"github.com/together-coop/together/services/internal/embednats"
	"github.com/together-coop/together/services/internal/keyring"
	"github.com/together-coop/together/services/internal/natsjs"
)

// History is a stopped system's store, opened for reading by the audit
// commands. Close it when done.
type History struct {
	*natsjs.Store
	ns   *embednats.Server
	nc   *nats.Conn
	lock *os.File
}

// OpenHistory opens the event store under dataDir without starting any
// service; kek opens the store's encryption. It refuses a directory a
// running together holds, and one that holds no together data.
func OpenHistory(ctx context.Context, dataDir string, kek keyring.KEK) (*History, error) {
	storeDir := filepath.Join(dataDir, "nats")
	if _, err := os.Stat(filepath.Join(storeDir, "jetstream")); err != nil {
		return nil, fmt.Errorf("%s holds no together data (no %s)", dataDir, filepath.Join(storeDir, "jetstream"))
	}
	h := &History{}
	var err error
	if h.lock, err = lockDataDir(dataDir); err != nil {
		return nil, err
	}
	cfg := Config{DataDir: dataDir, KEK: kek}
	if h.ns, err = embednats.Start(cfg.embedded()); err != nil {
		h.Close()
		return nil, err
	}
	if h.nc, err = h.ns.Connect("together-audit"); err != nil {
		h.Close()
		return nil, err
	}
	if h.Store, err = natsjs.New(ctx, h.nc); err != nil {
		h.Close()
		return nil, err
	}
	return h, nil
}

// Conn is the history's connection to its server, for reading the
// stream raw (as the administrator, whose reads leave no reply
// permissions behind on the server).
func (h *History) Conn() *nats.Conn { return h.nc }

// Close releases the store and the data directory.
func (h *History) Close() error {
	if h.nc != nil {
		h.nc.Close()
	}
	if h.ns != nil {
		h.ns.Shutdown()
	}
	var err error
	if h.lock != nil {
		err = h.lock.Close()
	}
	return errors.Join(err)
}
