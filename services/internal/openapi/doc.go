// Package openapi serves the OpenAPI 3.1 document of together's whole
// API at GET /api/v1/openapi.json: every route of every part, with its
// parameters, request bodies (every field, the enums of the event
// catalogue), answers and problem+json errors.
//
// The document is a hand-kept JSON file embedded in the binary rather
// than one generated from Go types at start-up: the command bodies are
// the catalogue's payload types with a few fields added or sealed, and
// their rules (required text, enums, at least one role) live in Validate
// methods that reflection cannot read, so a generator would need as many
// annotations as the document has lines and would still describe less.
// Its tests keep it honest instead: it must load and validate as OpenAPI
// 3.1, every route registered in the services must be in it and nothing
// else, every enum must equal the catalogue's, and every body's fields
// must equal the Go type's; package openapitest validates the requests
// and answers of integration tests against it.
package openapi
