package auth_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/together-coop/together/services/internal/auth"
)

// Wiring: the auth routes and the API on one mux, each API route wrapped
// in the permission it needs, and the whole mux behind Authenticate.
func Example() {
	s, err := auth.New(auth.MemoryStores()) // auth.JetStreamStores(ctx, js, replicas) in a deployment
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	s.Routes(mux)
	mux.Handle("POST /api/v1/projects", auth.Require(auth.RecordCommands, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "recorded by", auth.ActorID(r.Context())[:6])
	})))
	handler := s.Authenticate(mux)

	_, token, _ := s.CreateToken(context.Background(), "importer", auth.Recorder, "cli")
	for _, header := range []string{"", "Bearer " + token} {
		r := httptest.NewRequest(http.MethodPost, "/api/v1/projects", nil)
		if header != "" {
			r.Header.Set("Authorization", header)
		}
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		fmt.Print(w.Code, " ")
		if w.Code == http.StatusOK {
			fmt.Print(w.Body)
		} else {
			fmt.Println(w.Header().Get("WWW-Authenticate"))
		}
	}
	// Output:
	// 401 Bearer realm="together"
	// 200 recorded by token:
}
