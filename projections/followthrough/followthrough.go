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
	projects := q.Projects(l)
	r := Report{Header: projections.HeaderOf(Name, q, l)}
	today := q.Today()
	var daysToComplete []int
	for _, a := range l.ActionsOf(projects) {
		if !q.Counts(a.Fact) {
			continue
		}
		r.Agreed++
		if a.RescheduledAt(q.AsOf) {
			r.Rescheduled++
		}
		c := a.CompletedAt(q.AsOf)
		switch {
		case c != nil:
			r.Completed++
			if !c.CompletedOn.After(a.DueOnBefore(c.Position)) {
				r.CompletedOnTime++
			}
			daysToComplete = append(daysToComplete, q.Date(a.Fact.OccurredAt).DaysUntil(c.CompletedOn))
		case a.DroppedAt(q.AsOf):
			r.Dropped++
		default:
			r.Open++
			if a.DueOnAt(q.AsOf).Before(today) {
				r.Overdue++
			}
		}
	}
	r.CompletionRate = projections.Ratio(r.Completed, r.Agreed-r.Dropped)
	r.OnTimeRate = projections.Ratio(r.CompletedOnTime, r.Completed)
	r.MedianDaysToComplete = projections.Median(daysToComplete)
	r.P90DaysToComplete = projections.P90(daysToComplete)

	var daysToOutcome []int
	for _, fb := range l.FeedbackOf(projects) {
		if !q.Counts(fb.Fact) || fb.RetractedAt(q.AsOf) {
			continue
		}
		r.Feedback++
		if fb.ResponseAt(q.AsOf) != nil {
			r.Responded++
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
			if f := a.FirstCommunicationAfterCompletion(q.AsOf); f != nil && (closedAt == nil || f.OccurredAt.Before(closedAt.OccurredAt)) {
				closedAt = f
			}
		}
		if withAction {
			r.FeedbackWithAction++
		}
		if closedAt != nil {
			r.LoopClosed++
			daysToOutcome = append(daysToOutcome, q.Days(fb.Fact.OccurredAt, closedAt.OccurredAt))
		}
	}
	r.ActionRate = projections.Ratio(r.FeedbackWithAction, r.Feedback)
	r.ResponseRate = projections.Ratio(r.Responded, r.Feedback)
	r.LoopClosedRate = projections.Ratio(r.LoopClosed, r.Feedback)
	r.MedianDaysFeedbackToOutcome = projections.Median(daysToOutcome)
	return r
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
