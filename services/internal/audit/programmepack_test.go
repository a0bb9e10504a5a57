package audit_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/together-coop/together/projections/disclosure"
	"github.com/together-coop/together/projections/historytest"
	"github.com/together-coop/together/projections/report"
	"github.com/together-coop/together/services/internal/audit"
)

// TestProgrammePack checks that one programme's pack is exactly its part
// of the whole pack, whatever case its name is asked in, and that an
// unknown programme selects nothing.
func TestProgrammePack(t *testing.T) {
	all := storyPack(t)
	for _, tc := range []struct{ name, dir string }{{"North", "north"}, {"south", "south"}} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := audit.ProgrammePack(historytest.Story().Ledger(), tc.name, 2026, historytest.Day(31), nil, disclosure.NHSEngland(), report.DefaultConfig())
			if err != nil {
				t.Fatal(err)
			}
			var want []audit.PackFile
			for _, f := range all {
				if strings.HasPrefix(f.Path, tc.dir+"/") {
					want = append(want, f)
				}
			}
			if len(want) == 0 {
				t.Fatalf("the whole pack has no folder %s", tc.dir)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("files (-whole pack +one programme):\n%s", diff)
			}
		})
	}
	_, err := audit.ProgrammePack(historytest.Story().Ledger(), "Nowhere", 2026, historytest.Day(31), nil, disclosure.NHSEngland(), report.DefaultConfig())
	if !errors.Is(err, audit.ErrNothingSelected) {
		t.Errorf("unknown programme: err = %v, want ErrNothingSelected", err)
	}
}
