package reports

import (
	"context"

	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestHeavyReportsTakeTurns(t *testing.T) {
	ctx := context.Background()
	tr := newTurns(1)
	everything := scope{report: "programme"}
	project := scope{report: "programme", project: "p1"}

	// Nothing is known of a scope at first: it goes straight through.
	first, err := tr.take(ctx, everything)
	if err != nil {
		t.Fatal(err)
	}
	first(heavyReport, true) // it turned out heavy

	held, err := tr.take(ctx, everything)
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := tr.take(short, everything); err == nil {
		t.Fatal("a second heavy report ran while the only turn was taken")
	}
	light, err := tr.take(short, project)
	if err != nil {
		t.Fatalf("a report that was never heavy waited: %v", err)
	}
	light(time.Millisecond, true)

	waited := make(chan struct{})
	go func() {
		done, err := tr.take(ctx, everything)
		if err == nil {
			done(time.Millisecond, true) // quick this time: no longer heavy
		}
		close(waited)
	}()
	held(heavyReport, true)
	<-waited
	if _, err := tr.take(short, everything); err != nil {
		t.Fatalf("a scope that was quick last time still waits: %v", err)
	}
	// A refusal is no report: a scope that does not exist is never
	// remembered, however long its refusal took.
	refused, err := tr.take(ctx, scope{report: "programme", project: "made-up"})
	if err != nil {
		t.Fatal(err)
	}
	refused(time.Second, false)
	if len(tr.heavy) != 0 {
		t.Errorf("heavy scopes kept: %v, want none", tr.heavy)
	}
	if n := testutil.ToFloat64(tr.waiting); n != 0 {
		t.Errorf("%v heavy reports counted as waiting after all were done", n)
	}
	var waits dto.Metric
	if err := tr.waited.Write(&waits); err != nil {
		t.Fatal(err)
	}
	if n := waits.GetHistogram().GetSampleCount(); n != 3 {
		t.Errorf("%d waits observed, want 3 (the held turn, the one given up, the one that waited)", n)
	}
}
