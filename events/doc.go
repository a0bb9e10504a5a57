// Package events is together's shared contract: the envelope every event
// travels in, the vocabulary of the co-production domain (involvement levels,
// stakeholder roles, calendar dates), the [Registry] that decodes and
// upcasts stored payloads, and the [Store] interface with its errors.
//
// The event catalogue itself lives in one package per aggregate
// (project, stakeholder, engagement, feedback, action); package catalogue
// registers all of them at once. Package memstore is the in-memory reference
// [Store] and package storetest the conformance suite every backend passes.
//
// This module depends on the standard library and github.com/google/uuid
// only, so that projections and every backend can import it freely.
package events
