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
	conns, closeFn, err := OpenStoppedAs(dataDir, kek, role)
	if err != nil {
		return nil, nil, err
	}
	return conns[0], closeFn, nil
}

// OpenStoppedAs is [OpenStopped] with one connection for each of roles,
// in the order given, for a tool that plays several processes at once —
// the recorder and the services that append through it, each with its
// own permissions.
func OpenStoppedAs(dataDir string, kek keyring.KEK, roles ...busauth.Role) (conns []*nats.Conn, closeFn func(), err error) {
	if len(roles) == 0 {
		return nil, nil, errors.New("open a stopped system: no role to connect as")
	}
	lock, err := lockDataDir(dataDir)
	if err != nil {
		return nil, nil, err
	}
	cfg := Config{DataDir: dataDir, KEK: kek}
	ns, err := embednats.Start(cfg.embedded())
	if err != nil {
		return nil, nil, errors.Join(err, lock.Close())
	}
	closeAll := func() error {
		for _, nc := range conns {
			nc.Close()
		}
		ns.Shutdown()
		return lock.Close()
	}
	for _, role := range roles {
		nc, err := ns.ConnectAs(role)
		if err != nil {
			return nil, nil, errors.Join(err, closeAll())
		}
		conns = append(conns, nc)
	}
	return conns, func() { _ = closeAll() }, nil
}
