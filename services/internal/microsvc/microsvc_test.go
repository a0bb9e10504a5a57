package microsvc_test

import (
	"testing"
	"time"

	"github.com/together-coop/together/services/internal/microsvc"
)

func TestGateWaitsForWhatGotIn(t *testing.T) {
	var g microsvc.Gate
	if !g.Enter() {
		t.Fatal("an open gate refused a request")
	}
	g.Close()
	if g.Enter() {
		t.Fatal("a closed gate let a request in")
	}
	waited := make(chan struct{})
	go func() { g.Wait(); close(waited) }()
	select {
	case <-waited:
		t.Fatal("Wait returned with a request in flight")
	case <-time.After(20 * time.Millisecond):
	}
	g.Leave()
	<-waited
}
