package kurrent_test

import (
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/storetest"
	"github.com/together-coop/together/services/internal/kurrent"
	"github.com/together-coop/together/services/internal/kurrent/kurrenttest"
)

func open(t *testing.T, url string, opts ...kurrent.Option) *kurrent.Store {
	t.Helper()
	s, err := kurrent.New(url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestConformanceOnProtocolDouble runs the store suite against the
// in-process double, always.
func TestConformanceOnProtocolDouble(t *testing.T) {
	storetest.Run(t, func(t *testing.T) events.Store { return open(t, kurrenttest.Start(t)) })
}

// TestConformanceOnKurrentDB runs the same suite against a real node:
//
//	docker compose up -d kurrentdb
//	KURRENTDB_URL='esdb://127.0.0.1:2113?tls=false' go test ./services/internal/kurrent/
//
// Every subtest writes under a namespace of its own, so one node, even a
// used one, serves the whole suite.
func TestConformanceOnKurrentDB(t *testing.T) {
	url := os.Getenv("KURRENTDB_URL")
	if url == "" {
		t.Skip("KURRENTDB_URL is not set; start a node with `docker compose up -d kurrentdb` and set KURRENTDB_URL='esdb://127.0.0.1:2113?tls=false'")
	}
	storetest.Run(t, func(t *testing.T) events.Store {
		return open(t, url, kurrent.WithNamespace("t"+strings.ReplaceAll(uuid.NewString()[:8], "-", "")+"_"))
	})
}

// The double and the adapter agree on namespaces too.
func TestConformanceOnProtocolDoubleWithNamespace(t *testing.T) {
	url := kurrenttest.Start(t)
	var n atomic.Int64
	storetest.Run(t, func(t *testing.T) events.Store {
		return open(t, url, kurrent.WithNamespace(fmt.Sprintf("ns%d_", n.Add(1))))
	})
}
