// Package microsvc holds what together's NATS micro services (the recorder,
// the identities, the keys) share to stop cleanly: a gate that counts the
// requests in flight and lets no new one in once closed, and the stop of
// the several service instances a worker pool registers.
package microsvc
