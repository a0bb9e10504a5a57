// Package deploy checks the repository's deployment files —
// docker-compose.yml, its three-node NATS override and the configuration
// under deploy/ — with the loader Docker Compose itself uses, since no
// Docker engine runs where the tests do. It has no code of its own.
package deploy
