// Package followthrough computes the follow-through report: were the
// actions agreed done, on time, and was the outcome fed back to the people
// whose feedback asked for them.
package followthrough

import (
	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/disclosure"
	"github.com/together-coop/together/projections/ledger"
)

// Name is the report's name in URLs and headers.
const Name = "follow-through"

// Report is the follow-through report. Field names are binding
// (docs/reports.md, "Follow-through").
type Report struct {
	projections.Header
	Agreed                      int      `json:"agreed"`
	Completed                   int      `json:"completed"`
	CompletedOnTime             int      `json:"completed_on_time"`
	Rescheduled                 int      `json:"rescheduled"`
	Dropped                     int      `json:"dropped"`
	Open                        int      `json:"open"`
	Overdue                     int      `json:"overdue"`
	CompletionRate              *float64 `json:"completion_rate"`
	OnTimeRate                  *float64 `json:"on_time_rate"`
	MedianDaysToComplete        *float64 `json:"median_days_to_complete"`
	P90DaysToComplete           *float64 `json:"p90_days_to_complete"`
	Feedback                    int      `json:"feedback"`
	FeedbackWithAction          int      `json:"feedback_with_action"`
	Responded                   int      `json:"responded"`
	LoopClosed                  int      `json:"loop_closed"`
	ActionRate                  *float64 `json:"action_rate"`
	ResponseRate                *float64 `json:"response_rate"`
	LoopClosedRate              *float64 `json:"loop_closed_rate"`
	MedianDaysFeedbackToOutcome *float64 `json:"median_days_feedback_to_outcome"`
}

// Compute returns the report for q. The actions counted are those agreed
// in the window; the feedback counted is that given in the window. What
// became of them is as known at AsOf, whenever it happened.
func Compute(l *ledger.Ledger, q projections.Query) Report {
	return (*Parts)(nil).Compute(l, q)
}

// Parts keeps what each project adds to the report, each for as long as
// the revision of its project holds (see [projections.Parts]), and for a
// scope of several projects those parts added up (see
// [projections.SummedParts]): the durations the medians are taken over
// are tallied by value, so a change in one project costs what that
// project comes to, not a sort of every duration in scope. It is safe
// for concurrent use; the zero Parts is ready.
type Parts projections.SummedParts[*part, *sum]

// counts are the report's counts, which parts add up to.
type counts struct {
	agreed, completed, completedOnTime, rescheduled, dropped, open, overdue int
	feedback, feedbackWithAction, responded, loopClosed                     int
}

// add adds o to c by times (-1 takes it away).
func (c *counts) add(o counts, by int) {
	c.agreed += by * o.agreed
	c.completed += by * o.completed
	c.completedOnTime += by * o.completedOnTime
	c.rescheduled += by * o.rescheduled
	c.dropped += by * o.dropped
	c.open += by * o.open
	c.overdue += by * o.overdue
	c.feedback += by * o.feedback
	c.feedbackWithAction += by * o.feedbackWithAction
	c.responded += by * o.responded
	c.loopClosed += by * o.loopClosed
}

// part is what one project adds to the report: its counts, and the
// durations the medians are taken over. Nothing changes a part once made.
type part struct {
	project string
	counts
	daysToComplete, daysToOutcome []int
}

func (p *part) Project() string { return p.project }

// Compute returns the report for q as [Compute] does, taking the part of
// each project that ps keeps for its revision instead of computing it
// again, and keeping those it computes; it goes on from the sum of the
// parts it kept for the same query. Nil ps keeps none.
func (ps *Parts) Compute(l *ledger.Ledger, q projections.Query) Report {
	r := projections.AddUpParts((*projections.SummedParts[*part, *sum])(ps), l, q, partOf, newSum, (*sum).report)
	r.Header = projections.HeaderOf(Name, q, l)
	return r
}

// sum is the parts of a scope added up.
type sum struct {
	counts
	daysToComplete, daysToOutcome projections.Tally
}

func newSum() *sum { return &sum{} }

// Move implements [projections.Sum].
func (s *sum) Move(_ *ledger.Ledger, _ projections.Query, _, gone, came []*part) {
	projections.MoveCounts(gone, came, s.add)
}

func (s *sum) add(p *part, by int) {
	s.counts.add(p.counts, by)
	s.daysToComplete.Add(p.daysToComplete, by)
	s.daysToOutcome.Add(p.daysToOutcome, by)
}

// report returns the report the sum comes to, without its header.
func (s *sum) report() Report {
	c := s.counts
	return Report{
		Agreed: c.agreed, Completed: c.completed, CompletedOnTime: c.completedOnTime, Rescheduled: c.rescheduled,
		Dropped: c.dropped, Open: c.open, Overdue: c.overdue,
		CompletionRate:       projections.Ratio(c.completed, c.agreed-c.dropped),
		OnTimeRate:           projections.Ratio(c.completedOnTime, c.completed),
		MedianDaysToComplete: s.daysToComplete.Median(),
		P90DaysToComplete:    s.daysToComplete.P90(),
		Feedback:             c.feedback, FeedbackWithAction: c.feedbackWithAction, Responded: c.responded, LoopClosed: c.loopClosed,
		ActionRate:                  projections.Ratio(c.feedbackWithAction, c.feedback),
		ResponseRate:                projections.Ratio(c.responded, c.feedback),
		LoopClosedRate:              projections.Ratio(c.loopClosed, c.feedback),
		MedianDaysFeedbackToOutcome: s.daysToOutcome.Median(),
	}
}

// partOf returns what project p adds to the report for q.
func partOf(l *ledger.Ledger, q projections.Query, p *ledger.Project) *part {
	projects := []*ledger.Project{p}
	out := &part{project: p.ID}
	today := q.Today()
	for _, a := range l.ActionsOf(projects) {
		if !q.Counts(a.Fact) {
			continue
		}
		out.agreed++
		if a.RescheduledAt(q.AsOf) {
			out.rescheduled++
		}
		c := a.CompletedAt(q.AsOf)
		switch {
		case c != nil:
			out.completed++
			if !c.CompletedOn.After(a.DueOnBefore(c.Position)) {
				out.completedOnTime++
			}
			out.daysToComplete = append(out.daysToComplete, q.Date(a.Fact.OccurredAt()).DaysUntil(c.CompletedOn))
		case a.DroppedAt(q.AsOf):
			out.dropped++
		default:
			out.open++
			if a.DueOnAt(q.AsOf).Before(today) {
				out.overdue++
			}
		}
	}

	for _, fb := range l.FeedbackOf(projects) {
		if !q.Counts(fb.Fact) || fb.RetractedAt(q.AsOf) {
			continue
		}
		out.feedback++
		if fb.ResponseAt(q.AsOf) != nil {
			out.responded++
		}
		withAction := false
		var closedAt *ledger.Fact
		for _, aid := range fb.ActionIDs {
			a := l.Actions.Get(aid)
			if !q.Known(a.Fact) {
				continue
			}
			if !a.DroppedAt(q.AsOf) {
				withAction = true
			}
			if f := a.FirstCommunicationAfterCompletion(q.AsOf); f != nil && (closedAt == nil || f.OccurredAt().Before(closedAt.OccurredAt())) {
				closedAt = f
			}
		}
		if withAction {
			out.feedbackWithAction++
		}
		if closedAt != nil {
			out.loopClosed++
			out.daysToOutcome = append(out.daysToOutcome, q.Days(fb.Fact.OccurredAt(), closedAt.OccurredAt()))
		}
	}
	return out
}

// CSV returns the report as one row per figure.
func (r Report) CSV() []byte { return r.Table().Bytes() }

// Table returns the report as one row per figure.
func (r Report) Table() projections.Table {
	f := projections.NewFigures(r.Header)
	f.Int("agreed", r.Agreed)
	f.Int("completed", r.Completed)
	f.Int("completed_on_time", r.CompletedOnTime)
	f.Int("rescheduled", r.Rescheduled)
	f.Int("dropped", r.Dropped)
	f.Int("open", r.Open)
	f.Int("overdue", r.Overdue)
	f.Ratio("completion_rate", r.CompletionRate)
	f.Ratio("on_time_rate", r.OnTimeRate)
	f.Ratio("median_days_to_complete", r.MedianDaysToComplete)
	f.Ratio("p90_days_to_complete", r.P90DaysToComplete)
	f.Int("feedback", r.Feedback)
	f.Int("feedback_with_action", r.FeedbackWithAction)
	f.Int("responded", r.Responded)
	f.Int("loop_closed", r.LoopClosed)
	f.Ratio("action_rate", r.ActionRate)
	f.Ratio("response_rate", r.ResponseRate)
	f.Ratio("loop_closed_rate", r.LoopClosedRate)
	f.Ratio("median_days_feedback_to_outcome", r.MedianDaysFeedbackToOutcome)
	return f.Table()
}

// Disclosure declares the report's counts for small-number suppression:
// every action agreed is completed, dropped or open, so those three add
// up to agreed.
func (r Report) Disclosure() disclosure.Plan {
	var p disclosure.Plan
	for _, c := range []struct {
		name string
		v    int
	}{
		{"agreed", r.Agreed}, {"completed", r.Completed}, {"completed_on_time", r.CompletedOnTime},
		{"rescheduled", r.Rescheduled}, {"dropped", r.Dropped}, {"open", r.Open}, {"overdue", r.Overdue},
		{"feedback", r.Feedback}, {"feedback_with_action", r.FeedbackWithAction}, {"responded", r.Responded},
		{"loop_closed", r.LoopClosed},
	} {
		p.Count(c.name, c.v)
	}
	p.Internal("not_dropped", r.Agreed-r.Dropped)
	p.Sum("agreed", "completed", "dropped", "open")
	p.Sum("agreed", "dropped", "not_dropped")
	p.Ratio("completion_rate", "completed", "not_dropped")
	p.Ratio("on_time_rate", "completed_on_time", "completed")
	p.Ratio("action_rate", "feedback_with_action", "feedback")
	p.Ratio("response_rate", "responded", "feedback")
	p.Ratio("loop_closed_rate", "loop_closed", "feedback")
	p.Derive("median_days_to_complete", "completed")
	p.Derive("p90_days_to_complete", "completed")
	p.Derive("median_days_feedback_to_outcome", "loop_closed")
	return p
}
