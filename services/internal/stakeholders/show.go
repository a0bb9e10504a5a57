package stakeholders

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/stakeholder"
	"github.com/together-coop/together/services/internal/command"
	"github.com/together-coop/together/services/internal/keyring"
	"github.com/together-coop/together/services/internal/problem"
)

// record is the stakeholder as shown to the project team: personal data
// opened with the person's key, or null once they were erased.
type record struct {
	ID                 string                    `json:"id"`
	Erased             bool                      `json:"erased"`
	Name               *string                   `json:"name"`
	Contact            *string                   `json:"contact"`
	Roles              []events.Role             `json:"roles"`
	CurrentExperience  bool                      `json:"current_experience"`
	RecruitmentChannel string                    `json:"recruitment_channel"`
	Demographics       *stakeholder.Demographics `json:"demographics"`
	SupportNeeds       []supportNeed             `json:"support_needs"`
	Consents           []string                  `json:"consents"`
}

type supportNeed struct {
	Need string `json:"need"`
	Note string `json:"note"`
}

func isDestroyed(err error) bool { return errors.Is(err, keyring.ErrKeyDestroyed) }

// show answers the stakeholder's record. Once they were erased it shows
// that, their roles and how they were recruited (what the reports count),
// and nothing else: no name, contact, demographics, support needs, notes
// (also those an older version recorded in the clear) or consents.
func (s *Service) show(w http.ResponseWriter, r *http.Request) {
	id, err := command.PathID(r, "id")
	if err != nil {
		problem.WriteError(w, r, err)
		return
	}
	st, err := Aggregate.Load(r.Context(), s.x, id)
	if err != nil {
		problem.WriteError(w, r, err)
		return
	}
	rec := record{
		ID: id, Erased: st.Erased, Roles: st.Roles, CurrentExperience: st.CurrentExperience,
		RecruitmentChannel: st.RecruitmentChannel, SupportNeeds: []supportNeed{}, Consents: []string{},
	}
	if st.Erased {
		problem.WriteJSON(w, http.StatusOK, rec)
		return
	}
	for _, scope := range stakeholder.ConsentScopes {
		if st.Consents[scope] {
			rec.Consents = append(rec.Consents, scope)
		}
	}
	var pii stakeholder.PII
	if err := s.open(r, id, st.PII, &pii); err != nil {
		problem.WriteError(w, r, s.erasedIfDestroyed(id, err))
		return
	}
	rec.Name, rec.Contact = &pii.Name, &pii.Contact
	if st.Demographics != nil {
		rec.Demographics = &stakeholder.Demographics{}
		if err := s.open(r, id, *st.Demographics, rec.Demographics); err != nil {
			problem.WriteError(w, r, s.erasedIfDestroyed(id, err))
			return
		}
	}
	for _, n := range st.SupportNeeds {
		need := supportNeed{Need: n.Need, Note: n.LegacyNote}
		if n.Note != nil {
			plain, err := s.keys.Open(r.Context(), id, *n.Note)
			if err != nil {
				problem.WriteError(w, r, s.erasedIfDestroyed(id, err))
				return
			}
			need.Note = string(plain)
		}
		rec.SupportNeeds = append(rec.SupportNeeds, need)
	}
	problem.WriteJSON(w, http.StatusOK, rec)
}

func (s *Service) open(r *http.Request, id string, sealed stakeholder.Sealed, into any) error {
	plain, err := s.keys.Open(r.Context(), id, sealed)
	if err != nil {
		return err
	}
	return json.Unmarshal(plain, into)
}
