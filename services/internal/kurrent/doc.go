// Package kurrent is the [events.Store] on KurrentDB (EventStoreDB), the
// production store, through the official client
// github.com/EventStore/EventStore-Client-Go/v4.
//
// Each catalogue stream is a KurrentDB stream of the same name. Our event
// ids are the KurrentDB event ids, so the server's own idempotency makes a
// retried append a no-op; the expected version is KurrentDB's expected
// revision (NoStream for a new stream, else the 0-based revision of the
// last event), and one append is one atomic write. The envelope's fields
// other than the payload travel as the event's JSON metadata. Positions
// are KurrentDB commit positions of $all: increasing, not contiguous.
// ReadAll, Subscribe and Head see only the streams whose names start with
// the catalogue's prefixes, never system streams.
package kurrent
