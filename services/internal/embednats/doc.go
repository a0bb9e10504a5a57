// Package embednats runs a nats-server with JetStream file storage inside
// the process: the default of together serve, so that one binary on a
// laptop needs no other server.
//
// The server always runs with the accounts, users and permissions of
// busauth, in-process connections included: each part of together
// connects as its role ([Server.ConnectAs]) and can do nothing else, and a
// client reaching the listening port needs a role's password. With a
// store key, JetStream encrypts its files at rest.
package embednats
