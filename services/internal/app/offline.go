package app

import (
	"errors"
	"path/filepath"

	"github.com/nats-io/nats.go"

	"github.com/together-coop/together/services/internal/embednats"
)

// OpenStopped starts the embedded nats-server of a stopped system's data
// directory, creating the directory if it is new, with no service
// running, for tools that change state kept in NATS (such as the
// identities) while the system is stopped. It refuses a directory a
// running together holds. closeFn releases the server and the directory.
func OpenStopped(dataDir string) (nc *nats.Conn, closeFn func(), err error) {
	lock, err := lockDataDir(dataDir)
	if err != nil {
		return nil, nil, err
	}
	ns, err := embednats.Start(embednats.Config{StoreDir: filepath.Join(dataDir, "nats")})
	if err != nil {
		return nil, nil, errors.Join(err, lock.Close())
	}
	if nc, err = ns.Connect("together-admin"); err != nil {
		ns.Shutdown()
		return nil, nil, errors.Join(err, lock.Close())
	}
	return nc, func() {
		nc.Close()
		ns.Shutdown()
		_ = lock.Close()
	}, nil
}
