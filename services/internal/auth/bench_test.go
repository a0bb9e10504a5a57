package auth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/together-coop/together/services/internal/auth"
	"github.com/together-coop/together/services/internal/auth/authtest"
	"github.com/together-coop/together/services/internal/natstest"
)

// BenchmarkAuthenticate compares checking a bearer token and a session in
// the process that keeps them with asking that process over NATS
// (in-process server, memory stores: the cost of the round trip).
func BenchmarkAuthenticate(b *testing.B) {
	ctx := context.Background()
	s, headers := authtest.Service(b)
	session := signedIn(b, s)
	srv, serving := natstest.RunJetStream(b)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.ServeNATS(runCtx, serving) }()
	b.Cleanup(func() { stop(); <-done })
	<-s.Ready()
	nc, err := srv.Connect("remote")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(nc.Close)
	remote, err := auth.NewRemote(nc)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		rq   request
	}{
		{"bearer", request{method: "GET", path: "/closed", header: map[string]string{"Authorization": headers[auth.Viewer]}}},
		{"session", request{method: "GET", path: "/closed", cookie: &session}},
	} {
		for _, side := range []struct {
			name string
			h    http.Handler
		}{{"local", s.Authenticate(probe())}, {"remote", remote.Authenticate(probe())}} {
			b.Run(c.name+"/"+side.name, func(b *testing.B) {
				for b.Loop() {
					if a := serve(side.h, c.rq); a.Status != http.StatusOK {
						b.Fatalf("%d %s", a.Status, a.Body)
					}
				}
			})
		}
	}
}

// BenchmarkAuthenticateOnJetStream checks a bearer token and a session in
// the process that keeps them, on JetStream buckets (an in-process
// server): every record read over NATS, and the records kept while their
// watches run.
func BenchmarkAuthenticateOnJetStream(b *testing.B) {
	ctx := context.Background()
	_, js := natstest.JetStream(b)
	st, err := auth.JetStreamStores(ctx, js, 1)
	if err != nil {
		b.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	s, err := auth.New(st, auth.WithMetrics(reg), auth.WithPasswordParams(auth.PasswordParams{Memory: 64, Time: 1, Threads: 1}))
	if err != nil {
		b.Fatal(err)
	}
	_, secret, err := s.CreateToken(ctx, "bench", auth.Viewer, "test")
	if err != nil {
		b.Fatal(err)
	}
	session := signedIn(b, s)
	h := s.Authenticate(probe())
	for _, kept := range []bool{false, true} {
		how := "read"
		stop := func() {}
		if kept {
			how = "kept"
			watchCtx, cancel := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- s.WatchRecords(watchCtx) }()
			stop = func() { cancel(); <-done }
			for _, records := range []string{"tokens", "users", "sessions"} {
				for watchedGauge(b, reg, records) != 1 {
					time.Sleep(time.Millisecond)
				}
			}
		}
		for _, c := range []struct {
			name string
			rq   request
		}{
			{"bearer", request{method: "GET", path: "/closed", header: map[string]string{"Authorization": "Bearer " + secret}}},
			{"session", request{method: "GET", path: "/closed", cookie: &session}},
		} {
			b.Run(c.name+"/"+how, func(b *testing.B) {
				for b.Loop() {
					if a := serve(h, c.rq); a.Status != http.StatusOK {
						b.Fatalf("%d %s", a.Status, a.Body)
					}
				}
			})
		}
		stop()
	}
}

// signedIn adds an account to s, signs in with it and returns the
// session's cookie.
func signedIn(b *testing.B, s *auth.Service) string {
	b.Helper()
	if _, err := s.AddUser(context.Background(), "sarah@example.org", "Sarah Jones", auth.Viewer, password, "test"); err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	s.Routes(mux)
	form := url.Values{"username": {"sarah@example.org"}, "password": {password}}
	r := httptest.NewRequest(http.MethodPost, "/sign-in", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	s.Authenticate(mux).ServeHTTP(w, r)
	for _, c := range w.Result().Cookies() {
		if c.Name == auth.SessionCookie {
			return c.Value
		}
	}
	b.Fatalf("sign in = %d", w.Code)
	return ""
}
