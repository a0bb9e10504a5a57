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
// destruction a crash interrupted. [Keyring.Reconcile], called at start-up
// with the stakeholders the history says were erased, destroys any key of
// theirs that survived (a crash between recording an erasure and destroying
// the key, or keys brought back from an old backup).
package keyring
