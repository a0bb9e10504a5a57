package browse

import (
	"net/http"
	"time"

	"github.com/together-coop/together/projections/ledger"
)

// Feedback is one piece of feedback, with who gave it by id only (null
// for the wider audience), the response in force and the actions agreed
// from it.
type Feedback struct {
	ID            string     `json:"id"`
	ProjectID     string     `json:"project_id"`
	EngagementID  *string    `json:"engagement_id"`
	ElementID     *string    `json:"element_id"`
	StakeholderID *string    `json:"stakeholder_id"`
	Channel       string     `json:"channel"`
	Sentiment     string     `json:"sentiment"`
	Themes        []string   `json:"themes"`
	GivenAt       time.Time  `json:"given_at"`
	RetractedAt   *time.Time `json:"retracted_at"`
	Response      *Response  `json:"response"`
	ActionIDs     []string   `json:"action_ids"`
}

// FeedbackDetail is one piece of feedback and the store position the
// answer reflects.
type FeedbackDetail struct {
	Feedback
	Position uint64 `json:"position"`
}

// Response is how feedback influenced what was done, and why.
type Response struct {
	Influence  string    `json:"influence"`
	Reason     string    `json:"reason"`
	OccurredAt time.Time `json:"occurred_at"`
}

func feedbackFact(f *ledger.Feedback) ledger.Fact { return f.Fact }

func (s *Service) listFeedback(w http.ResponseWriter, r *http.Request) {
	s.serve(w, r, append([]string{"project"}, listParams...), func(l *ledger.Ledger, q *query) (any, error) {
		ids, err := q.projectFilter(l, l.FeedbackOrder, func(p *ledger.Project) []string { return p.FeedbackIDs })
		if err != nil {
			return nil, err
		}
		return paged(q, inOrder(q, ids, l.Feedback, feedbackFact, nil), func(f *ledger.Feedback) Feedback {
			return q.feedback(l, f)
		}), nil
	})
}

func (s *Service) showFeedback(w http.ResponseWriter, r *http.Request) {
	s.serve(w, r, readParams, func(l *ledger.Ledger, q *query) (any, error) {
		id := r.PathValue("id")
		f := l.Feedback.Get(id)
		if f == nil || !q.known(f.Fact) {
			return nil, q.notFound("feedback", id)
		}
		return FeedbackDetail{Feedback: q.feedback(l, f), Position: q.position}, nil
	})
}

func (q *query) feedback(l *ledger.Ledger, f *ledger.Feedback) Feedback {
	out := Feedback{
		ID: f.ID, ProjectID: f.ProjectID, EngagementID: optional(f.EngagementID), ElementID: optional(f.ElementID),
		StakeholderID: optional(f.StakeholderID), Channel: f.Channel, Sentiment: f.Sentiment, Themes: f.Themes,
		GivenAt: f.Fact.OccurredAt(), ActionIDs: []string{},
	}
	if out.Themes == nil {
		out.Themes = []string{}
	}
	if q.knownPtr(f.Retracted) {
		at := f.Retracted.OccurredAt()
		out.RetractedAt = &at
	}
	if resp := f.ResponseAt(q.asOf); resp != nil {
		out.Response = &Response{Influence: resp.Influence, Reason: resp.Reason, OccurredAt: resp.OccurredAt()}
	}
	for _, id := range f.ActionIDs {
		if a := l.Actions.Get(id); a != nil && q.known(a.Fact) {
			out.ActionIDs = append(out.ActionIDs, id)
		}
	}
	return out
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
