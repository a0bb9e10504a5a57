package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// worker is one client working through programme life: a project with an
// element and a decision on it, then, over and over, people registered,
// an engagement planned, invitations and answers, the engagement held,
// feedback from those who came, an action agreed, completed and fed back.
// Each worker keeps to its own aggregates, as a project team does, so
// conflicts are rare and what is measured is the write path.
type worker struct {
	id     int
	c      *client
	t      *tally
	budget *atomic.Int64
	head   *atomic.Uint64
	log    zerolog.Logger
	rnd    *rand.Rand
	stop   context.Context

	project, element string
	cycles           int
}

var (
	roles    = []string{"service_user", "carer", "frontline_staff", "manager", "partner", "public"}
	channels = []string{"community_organisation", "staff_referral", "advert", "word_of_mouth", "existing_group"}
	methods  = []string{"workshop", "focus_group", "co_production_event", "meeting"}
	levels   = []string{"consult", "co_design", "co_produce", "engage"}
)

// errBudget ends a worker once the command budget is spent.
var errBudget = errors.New("command budget spent")

// run works until stop ends; a command in flight then is finished under
// ctx rather than cut off, so the server sees no cancelled requests.
func (w *worker) run(ctx, stop context.Context) {
	w.stop = stop
	w.rnd = rand.New(rand.NewPCG(uint64(w.id), 0x5eed))
	for stop.Err() == nil && ctx.Err() == nil {
		err := w.cycle(ctx)
		if errors.Is(err, errBudget) {
			return
		}
		if err != nil {
			// Start the next cycle afresh, after a breath, so that a server
			// that is down is not hammered.
			select {
			case <-stop.Done():
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
}

// send posts one command of kind and records what happened.
func (w *worker) send(ctx context.Context, kind, path string, body any) (answer, error) {
	if w.stop.Err() != nil {
		return answer{}, w.stop.Err()
	}
	if w.budget.Add(-1) < 0 {
		return answer{}, errBudget
	}
	a, took, err := w.c.post(ctx, path, body)
	if err != nil {
		if ctx.Err() != nil {
			return answer{}, ctx.Err() // the run ended mid-request: not a failure
		}
		status := 0
		var se *statusError
		if errors.As(err, &se) {
			status = se.status
		}
		w.t.errors[status]++
		if len(w.t.first) < 5 {
			w.t.first = append(w.t.first, fmt.Sprintf("%s: %v", kind, err))
		}
		return answer{}, err
	}
	w.t.latency[kind] = append(w.t.latency[kind], took)
	w.t.commands++
	w.t.events += len(a.EventIDs)
	for {
		h := w.head.Load()
		if a.Position <= h || w.head.CompareAndSwap(h, a.Position) {
			break
		}
	}
	return a, nil
}

func (w *worker) cycle(ctx context.Context) error {
	if w.project == "" || w.cycles%20 == 0 {
		if err := w.newProject(ctx); err != nil {
			return err
		}
	}
	w.cycles++
	n := w.cycles
	people := make([]string, 3)
	for i := range people {
		a, err := w.send(ctx, "register_stakeholder", "/api/v1/stakeholders", map[string]any{
			"name":                fmt.Sprintf("Bench person %d-%d-%d", w.id, n, i),
			"contact":             fmt.Sprintf("person-%d-%d-%d@example.invalid", w.id, n, i),
			"roles":               []string{roles[w.rnd.IntN(len(roles))]},
			"current_experience":  w.rnd.IntN(2) == 0,
			"recruitment_channel": channels[w.rnd.IntN(len(channels))],
		})
		if err != nil {
			return err
		}
		people[i] = a.ID
	}
	today := time.Now().UTC().Format(time.DateOnly)
	eng, err := w.send(ctx, "plan_engagement", "/api/v1/engagements", map[string]any{
		"project_id": w.project, "element_ids": []string{w.element}, "title": fmt.Sprintf("Session %d", n),
		"method": methods[w.rnd.IntN(len(methods))], "level": levels[w.rnd.IntN(len(levels))],
		"scheduled_for": time.Now().UTC().Add(-time.Hour).Format(time.RFC3339),
	})
	if err != nil {
		return err
	}
	for _, p := range people {
		if _, err := w.send(ctx, "invite", "/api/v1/engagements/"+eng.ID+"/invitations", map[string]any{"stakeholder_id": p, "channel": "email"}); err != nil {
			return err
		}
	}
	for i, p := range people {
		if _, err := w.send(ctx, "answer", "/api/v1/engagements/"+eng.ID+"/answers", map[string]any{"stakeholder_id": p, "accepted": i < 2, "reason": ""}); err != nil {
			return err
		}
	}
	if _, err := w.send(ctx, "hold_engagement", "/api/v1/engagements/"+eng.ID+"/held", map[string]any{
		"held_on": today, "attendee_ids": people[:2], "unnamed_attendees": w.rnd.IntN(4),
	}); err != nil {
		return err
	}
	var said []string
	for _, p := range people[:2] {
		f, err := w.send(ctx, "give_feedback", "/api/v1/feedback", map[string]any{
			"project_id": w.project, "engagement_id": eng.ID, "element_id": w.element, "stakeholder_id": p,
			"channel": "engagement", "sentiment": "mixed", "themes": []string{"access"}, "summary": "The room was hard to find",
		})
		if err != nil {
			return err
		}
		said = append(said, f.ID)
	}
	act, err := w.send(ctx, "agree_action", "/api/v1/actions", map[string]any{
		"project_id": w.project, "feedback_ids": said, "engagement_id": eng.ID,
		"description": "Signpost the room", "owner": "Estates", "due_on": time.Now().UTC().AddDate(0, 1, 0).Format(time.DateOnly),
	})
	if err != nil {
		return err
	}
	if _, err := w.send(ctx, "complete_action", "/api/v1/actions/"+act.ID+"/complete", map[string]any{"completed_on": today, "outcome": "Signs put up"}); err != nil {
		return err
	}
	_, err = w.send(ctx, "communicate", "/api/v1/actions/"+act.ID+"/communicate", map[string]any{"audience": "contributors", "channel": "newsletter"})
	return err
}

func (w *worker) newProject(ctx context.Context) error {
	p, err := w.send(ctx, "register_project", "/api/v1/projects", map[string]any{
		"programme": fmt.Sprintf("Bench programme %d", w.id%4), "name": fmt.Sprintf("Project %d-%d", w.id, w.cycles),
		"aim": "Measure the write path", "lead": "Bench",
	})
	if err != nil {
		return err
	}
	e, err := w.send(ctx, "add_element", "/api/v1/projects/"+p.ID+"/elements", map[string]any{"name": "Waiting area"})
	if err != nil {
		return err
	}
	if _, err := w.send(ctx, "decide_level", "/api/v1/projects/"+p.ID+"/elements/"+e.ID+"/decisions", map[string]any{
		"level": "co_design", "rationale": "People use it every day", "decided_by": "Project board",
		"decision_rights": []map[string]string{{"holder": "patients", "right": "choose the layout"}}, "expectations": "Two workshops",
	}); err != nil {
		return err
	}
	w.project, w.element = p.ID, e.ID
	return nil
}
