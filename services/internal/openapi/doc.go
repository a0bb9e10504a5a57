// Package openapi serves the OpenAPI 3.1 document of together's whole
// API at GET /api/v1/openapi.json: every route of every part, with its
// parameters, request bodies (every field, the enums of the event
// catalogue), answers and problem+json errors.
//
// The document is a hand-kept JSON file embedded in the binary rather
// than one generated from Go types at start-up: the command bodies are
// mostly the catalogue's payload types with a few fields added (and free
// text that the events hold sealed taken in the clear), and their rules
// (required text, enums, at least one role) live in Validate methods that
// reflection cannot read, so a generator would need as many annotations
// as the document has lines and would still describe less.
// Its tests keep it honest instead: it must load and validate as OpenAPI
// 3.1; every route registered in the services must be in it and nothing
// else; each operation's x-permission, security and 401/403 answers must
// be what the route policy enforces; every enum must equal the
// catalogue's; every request body's fields must equal those of the struct
// its handler decodes (plain text where the event holds it sealed), and
// the exported answer types' fields theirs. Package openapitest validates
// the requests and answers of integration tests against it.
package openapi
