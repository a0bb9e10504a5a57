package openapi

import (
	"bytes"
	_ "embed"
	"net/http"
)

// Path is where the document is served.
const Path = "/api/v1/openapi.json"

//go:embed openapi.json
var document []byte

// Document returns the OpenAPI 3.1 document of the API.
func Document() []byte { return bytes.Clone(document) }

// Service serves the document. It is safe for concurrent use.
type Service struct{}

// NewService returns the service.
func NewService() *Service { return &Service{} }

// Routes adds GET /api/v1/openapi.json to mux.
func (*Service) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+Path, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(document)
	})
}
