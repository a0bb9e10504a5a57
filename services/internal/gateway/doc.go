// Package gateway assembles together's HTTP server: the command services'
// routes, the audit log of events, health and readiness, metrics and the
// front page, behind middleware that gives every request an id, a logger
// and a place in the metrics.
package gateway
