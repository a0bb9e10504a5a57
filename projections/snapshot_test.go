package projections_test

import (
	"testing"

	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/disclosure"
	"github.com/together-coop/together/projections/historytest"
	"github.com/together-coop/together/projections/ledger"
	"github.com/together-coop/together/projections/report"
)

// A ledger restored from a snapshot and fed the rest of the history gives
// byte for byte the reports of a full replay, wherever the snapshot falls.
func TestSnapshotThenRestEqualsReplay(t *testing.T) {
	for _, h := range []*historytest.Builder{historytest.Story(), historytest.Generate(3, 8000)} {
		full := h.Ledger()
		for _, cut := range []int{0, 1, len(h.Events) / 3, len(h.Events) - 1, len(h.Events)} {
			before := historytest.LedgerOf(h.Events[:cut])
			data, err := before.Snapshot()
			if err != nil {
				t.Fatal(err)
			}
			restored, err := ledger.Restore(data)
			if err != nil {
				t.Fatal(err)
			}
			if restored.Position != before.Position || restored.LastEvent != before.LastEvent {
				t.Fatalf("restored at %d, event %s; snapshot of %d, event %s", restored.Position, restored.LastEvent, before.Position, before.LastEvent)
			}
			for _, e := range h.Events[cut:] {
				restored.Apply(e.Envelope, e.Payload)
			}
			for _, q := range []projections.Query{{AsOf: historytest.Day(21)}, {AsOf: historytest.Day(31)}, {Programme: "North", AsOf: historytest.Day(15)}} {
				for _, report := range report.Names() {
					want, got := render(t, full, report, q, disclosure.Rule{}), render(t, restored, report, q, disclosure.Rule{})
					if string(want.json) != string(got.json) || string(want.csv) != string(got.csv) {
						t.Fatalf("%s after a snapshot at %d of %d events differs from a full replay:\n%s\n%s", report, cut, len(h.Events), got.json, want.json)
					}
				}
			}
		}
	}
}

func TestRestoreRefusesOtherVersions(t *testing.T) {
	if _, err := ledger.Restore([]byte("not a snapshot")); err == nil {
		t.Error("Restore accepted garbage")
	}
}
