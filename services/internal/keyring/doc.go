// Package keyring holds one data key per stakeholder (and per record of
// anonymous free text) in a JetStream stream, apart from the event store,
// and seals personal data with it (AES-256-GCM). Destroying a key is the
// right to erasure: the history keeps its sealed fields and still replays,
// but nobody can read them again.
//
// Data keys are never stored in the clear. Each is wrapped (AES-256-GCM)
// under a subkey of a key-encryption key ([KEK]) that lives in a key file
// outside the data directory ([LoadOrCreateKeyFile]), so a copy of the
// data directory alone, such as a backup, opens nothing. The KEK also
// derives the keys of other at-rest protections ([KEK.Derive]).
//
// Erasure is crash-safe in two ways. [Keyring.Destroy] writes a tombstone
// before it overwrites the key on disk, and [Keyring.New] finishes any
// destruction a crash interrupted. [Keyring.ReconcileHistory], called at
// start-up, destroys the key of anyone the history says was erased whose
// key survived (a crash between recording an erasure and destroying the
// key, or keys brought back from an old backup), reading the history from
// where the last start finished, or the streams of the people who still
// hold a key where that is less to read.
//
// # Across processes
//
// Only the stakeholders process may reach the key stream. It serves the
// engagements and feedback processes over NATS ([Keyring.ServeNATS]), and
// they seal through a [Remote]: under a stakeholder's key or a record key,
// getting back only the sealed value; and, for feedback, destroying a
// record key to redact anonymous feedback. A person's key is never
// destroyed, nor anything opened, at another process's request. The text
// to seal crosses the bus inside the NATS connection, so where the bus
// leaves the machine it should run over TLS; neither side logs it.
package keyring
