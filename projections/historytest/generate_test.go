package historytest_test

import (
	"testing"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/catalogue"
	"github.com/together-coop/together/projections/historytest"
)

// The generated history must be one the write side could have stored:
// every payload decodes under the catalogue's rules.
func TestGeneratedHistoryDecodes(t *testing.T) {
	r := catalogue.New()
	b := historytest.Generate(1, 20000)
	types := map[string]int{}
	for _, e := range b.Events {
		if _, err := r.Decode(e.Envelope); err != nil {
			t.Fatalf("event %d (%s) does not decode: %v", e.Envelope.Position, e.Envelope.Type, err)
		}
		if err := events.CheckStreamName(e.Envelope.Stream); err != nil {
			t.Fatal(err)
		}
		types[e.Envelope.Type]++
	}
	for _, typ := range []string{"EngagementHeld", "ActionCompleted", "OutcomeCommunicated", "FeedbackRetracted", "ActionRescheduled", "InvolvementDecided", "DemographicsDeclared"} {
		if types[typ] == 0 {
			t.Errorf("no %s in a generated history of %d events", typ, len(b.Events))
		}
	}
	again := historytest.Generate(1, 20000)
	if len(again.Events) != len(b.Events) || string(again.Events[4000].Envelope.Payload) != string(b.Events[4000].Envelope.Payload) {
		t.Error("the same seed gave a different history")
	}
}
