package commandtest_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/action"
	"github.com/together-coop/together/events/project"
	"github.com/together-coop/together/events/stakeholder"
	"github.com/together-coop/together/services/internal/command"
	"github.com/together-coop/together/services/internal/command/commandtest"
)

// recorder is a testing.TB that records failures instead of failing, so
// that the helpers can be shown to fail when they must.
type recorder struct {
	testing.TB
	failures []string
	fatal    bool
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	r.fatal = true
	runtime.Goexit()
}

func (r *recorder) Fatal(args ...any) { r.Fatalf("%s", fmt.Sprint(args...)) }

// record runs f on a recorder in a goroutine of its own, where a fatal
// failure may end it, and returns the recorder.
func record(t *testing.T, f func(testing.TB)) *recorder {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r
}

// names is a small aggregate on the project streams: the element names a
// project has, in a map a careless decision could write to.
type names struct {
	Registered bool
	Names      map[string]bool
}

var aggregate = command.Aggregate[names]{
	Name:   "project",
	Stream: project.Stream,
	Fold: func(_ string, history []command.Recorded) names {
		s := names{Names: map[string]bool{}}
		for _, r := range history {
			switch p := r.Data.(type) {
			case *project.Registered:
				s.Registered = true
			case *project.ElementAdded:
				s.Names[p.Name] = true
			}
		}
		return s
	},
	Exists: func(s names) bool { return s.Registered },
}

const (
	projectID = "019a0000-0000-7000-8000-000000000001"
	elementID = "019a0000-0000-7000-8000-000000000002"
)

var registered = &project.Registered{Programme: "South Tyneside", Name: "Waiting areas", Aim: "Calm", Lead: "Sarah"}

func addElement(s names) ([]events.Payload, error) {
	if !s.Registered {
		return nil, command.Rejectf(command.ErrNotFound, "no project")
	}
	if s.Names["Desk"] {
		return nil, command.Rejectf(command.ErrConflict, "already")
	}
	return []events.Payload{&project.ElementAdded{ElementID: elementID, Name: "Desk"}}, nil
}

func TestVerify(t *testing.T) {
	desk := &project.ElementAdded{ElementID: elementID, Name: "Desk"}
	tests := []struct {
		name      string
		c         commandtest.Case[names]
		wantFail  string // a piece of the failure, "" for a pass
		wantFatal bool
	}{
		{"accepted as expected", commandtest.Case[names]{
			Given: []events.Payload{registered}, When: addElement, Then: []events.Payload{desk},
		}, "", false},
		{"rejected as expected", commandtest.Case[names]{
			Given: []events.Payload{registered, desk}, When: addElement, Rejected: command.ErrConflict,
		}, "", false},
		{"other events than expected", commandtest.Case[names]{
			Given: []events.Payload{registered}, When: addElement,
			Then: []events.Payload{&project.ElementAdded{ElementID: elementID, Name: "Signage"}},
		}, "events (-want +got)", false},
		{"events where none were expected", commandtest.Case[names]{
			Given: []events.Payload{registered}, When: addElement,
		}, "events (-want +got)", false},
		{"accepted where a rejection was expected", commandtest.Case[names]{
			Given: []events.Payload{registered}, When: addElement, Rejected: command.ErrConflict,
		}, "want conflict", true},
		{"rejected with another kind", commandtest.Case[names]{
			When: addElement, Rejected: command.ErrConflict,
		}, "want conflict", true},
		{"rejected where events were expected", commandtest.Case[names]{
			When: addElement, Then: []events.Payload{desk},
		}, "want events", true},
		{"rejected but with events", commandtest.Case[names]{
			When: func(names) ([]events.Payload, error) {
				return []events.Payload{desk}, command.Rejectf(command.ErrInvalid, "no")
			},
			Rejected: command.ErrInvalid,
		}, "want no events", false},
		{"a decision that writes to its state", commandtest.Case[names]{
			Given: []events.Payload{registered},
			When: func(s names) ([]events.Payload, error) {
				s.Names["Desk"] = true
				return []events.Payload{desk}, nil
			},
			Then: []events.Payload{desk},
		}, "changed the state", false},
		{"an event that breaks its rules", commandtest.Case[names]{
			Given: []events.Payload{registered},
			When: func(names) ([]events.Payload, error) {
				return []events.Payload{&project.ElementAdded{ElementID: elementID}}, nil
			},
			Then: []events.Payload{&project.ElementAdded{ElementID: elementID}},
		}, "would be refused", false},
		{"an event of another aggregate", commandtest.Case[names]{
			Given: []events.Payload{registered},
			When: func(names) ([]events.Payload, error) {
				return []events.Payload{&stakeholder.Erased{Reason: commandtest.Sealed("asked")}}, nil
			},
			Then: []events.Payload{&stakeholder.Erased{Reason: commandtest.Sealed("asked")}},
		}, "belongs to stakeholder streams", false},
		{"a given event that breaks its rules", commandtest.Case[names]{
			Given: []events.Payload{&project.Registered{Name: "no programme"}}, When: addElement, Rejected: command.ErrNotFound,
		}, "could not be recorded", true},
		{"a given event of another aggregate", commandtest.Case[names]{
			Given: []events.Payload{registered, &stakeholder.Erased{Reason: commandtest.Sealed("asked")}}, When: addElement, Then: []events.Payload{desk},
		}, "belongs to stakeholder streams", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := record(t, func(tb testing.TB) { tt.c.Verify(tb, aggregate, projectID) })
			failures := strings.Join(r.failures, "\n")
			if tt.wantFail == "" {
				if len(r.failures) > 0 {
					t.Fatalf("Verify() failed, want a pass:\n%s", failures)
				}
				return
			}
			if !strings.Contains(failures, tt.wantFail) {
				t.Errorf("Verify() failures = %q, want one saying %q", failures, tt.wantFail)
			}
			if r.fatal != tt.wantFatal {
				t.Errorf("Verify() fatal = %v, want %v", r.fatal, tt.wantFatal)
			}
		})
	}
}

func TestHistory(t *testing.T) {
	agreed := time.Date(2026, time.April, 1, 23, 30, 0, 0, time.FixedZone("BST", 3600))
	p := &action.Agreed{ProjectID: projectID, FeedbackIDs: []string{}, Description: "d", Owner: "o", DueOn: commandtest.Day(t, "2026-05-01")}
	h := commandtest.History(t, action.Stream(elementID), p, commandtest.At(agreed, &action.Dropped{Reason: "r"}), &action.Dropped{Reason: "again"})
	if len(h) != 3 {
		t.Fatalf("History() = %d events, want 3", len(h))
	}
	for i, r := range h {
		if r.StreamVersion != uint64(i+1) || r.Position != uint64(i+1) || r.Stream != action.Stream(elementID) {
			t.Errorf("event %d at %s version %d position %d, want %s version %d position %d",
				i+1, r.Stream, r.StreamVersion, r.Position, action.Stream(elementID), i+1, i+1)
		}
	}
	if !h[0].OccurredAt.Equal(commandtest.Epoch) || !h[1].OccurredAt.Equal(agreed) || !h[2].OccurredAt.Equal(commandtest.Epoch.Add(2*time.Minute)) {
		t.Errorf("History() occurred at %v, %v, %v; want %v, %v, %v", h[0].OccurredAt, h[1].OccurredAt, h[2].OccurredAt,
			commandtest.Epoch, agreed, commandtest.Epoch.Add(2*time.Minute))
	}
	// The payloads are decoded afresh, as loading them would.
	if h[0].Data == events.Payload(p) {
		t.Error("History() kept the given payload; want the decoded one")
	}
	if diff := commandtest.Diff(events.Payload(p), h[0].Data); diff != "" {
		t.Errorf("History() payload (-given +decoded):\n%s", diff)
	}
	if d, ok := h[1].Data.(*action.Dropped); !ok || d.Reason != "r" {
		t.Errorf("History() second event = %#v, want the dropped event given At a time", h[1].Data)
	}
}

func TestDiffComparesDatesByDay(t *testing.T) {
	a := commandtest.Day(t, "2026-05-01")
	b := events.DateOf(time.Date(2026, time.May, 1, 17, 0, 0, 0, time.UTC))
	if diff := commandtest.Diff(a, b); diff != "" {
		t.Errorf("Diff(same day) = %s, want none", diff)
	}
	if commandtest.Diff(a, commandtest.Day(t, "2026-05-02")) == "" {
		t.Error("Diff(other days) is empty, want a difference")
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		want     error
		wantFail bool
	}{
		{"accepted as expected", nil, nil, false},
		{"rejected as expected", command.Rejectf(command.ErrNotFound, "no project"), command.ErrNotFound, false},
		{"rejected unexpectedly", command.Rejectf(command.ErrNotFound, "no project"), nil, true},
		{"accepted unexpectedly", nil, command.ErrConflict, true},
		{"rejected with another kind", command.Rejectf(command.ErrNotFound, "no project"), command.ErrInvalid, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := record(t, func(tb testing.TB) { commandtest.Check(tb, tt.err, tt.want) })
			if failed := len(r.failures) > 0; failed != tt.wantFail {
				t.Errorf("Check(%v, %v) failed = %v (%q), want %v", tt.err, tt.want, failed, r.failures, tt.wantFail)
			}
		})
	}
}
