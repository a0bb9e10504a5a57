package gateway

import (
	_ "embed"
	"net/http"
)

//go:embed front.html
var frontHTML []byte

// frontPage is the short page that links the API until the dashboard
// exists.
func frontPage(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(frontHTML)
}
