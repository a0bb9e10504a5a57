// Package command runs the commands of together's HTTP API: decode and
// bound the request, load the aggregate's history through the recorder,
// let the service decide, append the resulting events with the expected
// version, and answer with the event ids and the store position. It owns
// the behaviour every command shares: problem+json errors, Idempotency-Key,
// back-dated occurred_at, actor and correlation ids, and retries when
// another writer got there first.
package command
