package audit

import (
	"bytes"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/projections/decisions"
	"github.com/together-coop/together/projections/report"
)

// Table renders a report for a terminal: the decisions report as a
// timeline per element, the others as aligned columns.
func Table(r report.Document) []byte {
	if d, ok := r.(decisions.Report); ok {
		return timeline(d)
	}
	t := r.Table()
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 2, 4, 2, ' ', 0)
	for _, row := range append([][]string{t.Header}, t.Rows...) {
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	_ = tw.Flush()
	return b.Bytes()
}

// timeline is the decision audit trail: for each element, every decision
// in order with who made it, why, the rights agreed and the evidence
// before it.
func timeline(d decisions.Report) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Involvement decisions as of %s (position %d)\n", d.AsOf.Format("2006-01-02 15:04:05 MST"), d.Position)
	project := ""
	for _, el := range d.Elements {
		if el.ProjectID != project {
			project = el.ProjectID
			fmt.Fprintf(&b, "\nProject %q (%s)\n", el.ProjectName, project)
		}
		level := string(el.Level)
		if level == "" {
			level = "no decision yet"
		}
		flag := ""
		if el.Tokenism {
			flag = "  [TOKENISM: shared power, but no lived-experience attendee at a linked engagement]"
		}
		fmt.Fprintf(&b, "  Element %q — now %s%s\n", el.Name, level, flag)
		if len(el.Decisions) == 0 {
			b.WriteString("    (no decisions in this window)\n")
		}
		for _, dec := range el.Decisions {
			from := string(dec.PreviousLevel)
			if from == "" {
				from = "none"
			}
			fmt.Fprintf(&b, "    %s  %s (was %s), decided by %s\n", dec.OccurredAt.Format("2006-01-02 15:04"), dec.Level, from, dec.DecidedBy)
			fmt.Fprintf(&b, "      why: %s\n", dec.Rationale)
			for _, r := range dec.DecisionRights {
				fmt.Fprintf(&b, "      rights: %s — %s\n", r.Holder, r.Right)
			}
			var roles []string
			for _, role := range events.Roles {
				if n := dec.Evidence.ByRole[role]; n > 0 {
					roles = append(roles, fmt.Sprintf("%s %d", role, n))
				}
			}
			who := ""
			if len(roles) > 0 {
				who = " (" + strings.Join(roles, ", ") + ")"
			}
			fmt.Fprintf(&b, "      evidence before it: %d participants%s, %d feedback\n", dec.Evidence.Participants, who, dec.Evidence.Feedback)
		}
	}
	return b.Bytes()
}
