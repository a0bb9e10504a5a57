package app

import (
	"errors"

	"github.com/nats-io/nats.go"

	"github.com/together-coop/together/services/internal/busauth"
	"github.com/together-coop/together/services/internal/embednats"
	"github.com/together-coop/together/services/internal/keyring"
)

// OpenStopped starts the embedded nats-server of a stopped system's data
// directory, creating the directory if it is new, with no service
// running, and connects as role, for tools that change state kept in NATS
// (such as the identities, the reports') while the system is stopped; kek
// opens the store's encryption. It refuses a directory a running together
// holds. closeFn releases the server and the directory.
func OpenStopped(dataDir string, kek keyring.KEK, role busauth.Role) (nc *nats.Conn, closeFn func(), err error) {
	lock, err := lockDataDir(dataDir)
	if err != nil {
		return nil, nil, err
	}
	cfg := Config{DataDir: dataDir, KEK: kek}
	ns, err := embednats.Start(cfg.embedded())
	if err != nil {
		return nil, nil, errors.Join(err, lock.Close())
	}
	if nc, err = ns.ConnectAs(role); err != nil {
		ns.Shutdown()
		return nil, nil, errors.Join(err, lock.Close())
	}
	return nc, func() {
		nc.Close()
		ns.Shutdown()
		_ = lock.Close()
	}, nil
}
