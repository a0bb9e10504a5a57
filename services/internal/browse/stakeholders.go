package browse

import (
	"net/http"
	"time"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/projections/ledger"
)

// Stakeholder is a person as listed to everyone: what they bring and how
// they were found, never who they are. Their name and contact are sealed;
// GET /api/v1/stakeholders/{id} opens them for those allowed.
type Stakeholder struct {
	ID                 string        `json:"id"`
	Roles              []events.Role `json:"roles"`
	CurrentExperience  bool          `json:"current_experience"`
	RecruitmentChannel string        `json:"recruitment_channel"`
	RegisteredAt       time.Time     `json:"registered_at"`
	Erased             bool          `json:"erased"`
}

func stakeholderFact(s *ledger.Stakeholder) ledger.Fact { return s.Fact }

func (s *Service) listStakeholders(w http.ResponseWriter, r *http.Request) {
	s.serve(w, r, listParams, func(l *ledger.Ledger, q *query) (any, error) {
		return paged(q, inOrder(q, l.StakeholderOrder, l.Stakeholders, stakeholderFact, nil), func(st *ledger.Stakeholder) Stakeholder {
			out := Stakeholder{
				ID: st.ID, Roles: st.RolesKnownAt(q.asOf), CurrentExperience: st.CurrentExperience,
				RecruitmentChannel: st.RecruitmentChannel, RegisteredAt: st.Fact.OccurredAt(), Erased: q.knownPtr(st.Erased),
			}
			if out.Roles == nil {
				out.Roles = []events.Role{}
			}
			return out
		}), nil
	})
}
