package ledger

import (
	"reflect"
	"testing"
)

// TestSnapshotCarriesEveryField checks the snapshot's header has a field of the
// same name for every exported field of the ledger, but the orders, which
// it carries as the order of its entities, and the last event's id, which
// it carries printed.
func TestSnapshotCarriesEveryField(t *testing.T) {
	orders := map[string]string{"ProjectOrder": "Projects", "StakeholderOrder": "Stakeholders",
		"EngagementOrder": "Engagements", "FeedbackOrder": "Feedback", "ActionOrder": "Actions",
		"LastEvent": "LastEventID"}
	carried := map[string]bool{}
	for f := range reflect.TypeFor[snapshotHeader]().Fields() {
		carried[f.Name] = true
	}
	for f := range reflect.TypeFor[Ledger]().Fields() {
		name := f.Name
		if by, ok := orders[name]; ok {
			name = by
		}
		if f.IsExported() && !carried[name] {
			t.Errorf("the ledger's %s is not in its snapshot", f.Name)
		}
	}
}
