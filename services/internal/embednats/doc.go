// Package embednats runs a nats-server with JetStream file storage inside
// the process: the default of together serve, so that one binary on a
// laptop needs no other server.
//
// The server always runs with the accounts, users and permissions of
// busauth, in-process connections included: each part of together
// connects as its role ([Server.ConnectAs]) and can do nothing else, and a
// client reaching the listening port needs a role's password. With a
// store key, JetStream encrypts its files at rest.
//
// The server's notices, warnings and errors go to Config.Logger (debug
// and trace stay off; a message body in a log line is withheld). A
// watchdog watches for the disk running out: nats-server then refuses
// every write to a stream whose write failed (or, on a cluster, shuts
// JetStream down) and never recovers by itself. The watchdog reports it
// through [Server.Health] and, once the disk has room again, stops and
// starts JetStream with the configuration the server started it with, so
// writes resume without a restart of the process.
package embednats
