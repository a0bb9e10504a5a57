// Package report is the table of together's reports: one entry per
// report with its name, what it answers, how it is computed and how it is
// rendered. The reports service, the auditors' replay and export, and the
// golden tests all go through it, so a report added here is served,
// exported and tested alike.
package report

import (
	"encoding/json"
	"fmt"

	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/decisions"
	"github.com/together-coop/together/projections/disclosure"
	"github.com/together-coop/together/projections/duty"
	"github.com/together-coop/together/projections/followthrough"
	"github.com/together-coop/together/projections/influence"
	"github.com/together-coop/together/projections/ledger"
	"github.com/together-coop/together/projections/participation"
	"github.com/together-coop/together/projections/programme"
	"github.com/together-coop/together/projections/reach"
	"github.com/together-coop/together/projections/reciprocity"
	"github.com/together-coop/together/projections/representativeness"
)

// Config is what some reports need beyond the history: configuration
// read by the services, and the opener of sealed demographics.
type Config struct {
	// Thresholds colour the programme view.
	Thresholds programme.Thresholds
	// Baseline is the population representativeness compares with; the
	// zero Baseline has no shares, so every gap is null.
	Baseline representativeness.Baseline
	// Demographics opens people's sealed demographics; nil opens none,
	// so everyone is "not recorded".
	Demographics representativeness.Opener
	// KeysRevision says which state of the keys Demographics opens with:
	// a number, read before opening, that grows whenever a key under which
	// something was opened is destroyed. With it a [Memo] keeps
	// representativeness, as it does the other reports, for as long as
	// that number holds as well as the revision of the report's scope: a
	// key destroyed before the ledger hears of the erasure is then not
	// opened again from what was kept. Without it (nil, or false for
	// "unknown"), representativeness is computed at every request.
	KeysRevision func() (uint64, bool)
	// Parts keeps the parts of the reports made of one part a project
	// between computations; nil keeps none.
	Parts *Parts
}

// Parts keeps, by project, what it adds to each report made of one part a
// project: every report (see [projections.Parts]).
type Parts struct {
	Programme     programme.Rows
	Duty          duty.Rows
	Decisions     decisions.Elements
	Participation participation.Parts
	FollowThrough followthrough.Parts
	Reach         reach.Parts
	Reciprocity   reciprocity.Parts
	Influence     influence.Parts
	// Representativeness keeps each project's participants; what they
	// declared is opened afresh.
	Representativeness representativeness.Parts
}

// parts returns the parts c keeps, or, with none, parts kept for one
// computation alone.
func (c Config) parts() *Parts {
	if c.Parts == nil {
		return &Parts{}
	}
	return c.Parts
}

// DefaultConfig has the default thresholds, no baseline and no opener.
func DefaultConfig() Config { return Config{Thresholds: programme.DefaultThresholds()} }

// Document is a computed report: its JSON is the report value itself
// (encoding/json), its CSV [Document.Table], and its
// [Document.Disclosure] declares its counts for suppression.
type Document interface {
	CSV() []byte
	Table() projections.Table
	Disclosure() disclosure.Plan
}

// Report is one entry of the table.
type Report struct {
	// Name is the report's name in URLs, files and headers.
	Name string
	// Question is what the report answers, in a sentence.
	Question string
	// Compute computes the report for a query over a ledger.
	Compute func(l *ledger.Ledger, q projections.Query, c Config) Document
	// rehead returns a copy of a report computed by Compute with another
	// header; nil for a report a [Memo] must not keep.
	rehead func(d Document, h projections.Header) Document
}

// opensKeys reports whether r opens sealed data, which depends on keys
// outside the ledger that an erasure destroys before the ledger hears of
// it: a [Memo] keeps such a report only for a known
// [Config.KeysRevision]. Representativeness alone does.
func (r Report) opensKeys() bool { return r.Name == representativeness.Name }

// headed is a pointer to a report, which embeds its header.
type headed[D any] interface {
	*D
	Head() *projections.Header
}

// rehead returns a copy of d, a D, with header h. The copy shares what d
// refers to, which nothing changes once computed.
func rehead[D Document, P headed[D]](d Document, h projections.Header) Document {
	c := d.(D)
	*P(&c).Head() = h
	return c
}

// All lists every report in the order they are documented.
func All() []Report {
	all := reports()
	return all[:]
}

// reports is [All] as an array, which [Lookup] ranges over on the stack:
// every request looks its report up.
func reports() [9]Report {
	return [...]Report{
		{participation.Name, "How broad is participation: who took part, from which groups, beyond the usual voices?",
			func(l *ledger.Ledger, q projections.Query, c Config) Document {
				return c.parts().Participation.Compute(l, q)
			},
			rehead[participation.Report]},
		{followthrough.Name, "Were the actions agreed done on time, was feedback answered, and was the loop closed?",
			func(l *ledger.Ledger, q projections.Query, c Config) Document {
				return c.parts().FollowThrough.Compute(l, q)
			},
			rehead[followthrough.Report]},
		{decisions.Name, "What involvement was decided on each element, by whom, why, and on what evidence?",
			func(l *ledger.Ledger, q projections.Query, c Config) Document {
				return c.parts().Decisions.Compute(l, q)
			},
			rehead[decisions.Report]},
		{programme.Name, "Which projects need attention, and why?",
			func(l *ledger.Ledger, q projections.Query, c Config) Document {
				return c.parts().Programme.Compute(l, q, c.Thresholds)
			},
			rehead[programme.Report]},
		{duty.Name, "Was the legal duty to involve assessed for each project, and does it apply?",
			func(l *ledger.Ledger, q projections.Query, c Config) Document { return c.parts().Duty.Compute(l, q) },
			rehead[duty.Report]},
		{influence.Name, "What did feedback change, what was done, and were people told (you said, we did)?",
			func(l *ledger.Ledger, q projections.Query, c Config) Document {
				return c.parts().Influence.Compute(l, q)
			},
			rehead[influence.Report]},
		{representativeness.Name, "Do the people who took part look like the people the programme serves?",
			func(l *ledger.Ledger, q projections.Query, c Config) Document {
				return c.parts().Representativeness.Compute(l, q, c.Baseline, c.Demographics)
			},
			rehead[representativeness.Report]},
		{reach.Name, "Of the people invited, how many accepted, came, gave feedback and heard back?",
			func(l *ledger.Ledger, q projections.Query, c Config) Document { return c.parts().Reach.Compute(l, q) },
			rehead[reach.Report]},
		{reciprocity.Name, "What support was given to the people who took part, and whose needs went unmet?",
			func(l *ledger.Ledger, q projections.Query, c Config) Document {
				return c.parts().Reciprocity.Compute(l, q)
			},
			rehead[reciprocity.Report]},
	}
}

// Names returns the reports' names in order.
func Names() []string {
	all := All()
	out := make([]string, len(all))
	for i, r := range all {
		out[i] = r.Name
	}
	return out
}

// Lookup returns the report called name.
func Lookup(name string) (Report, bool) {
	for _, r := range reports() {
		if r.Name == name {
			return r, true
		}
	}
	return Report{}, false
}

// Compute computes the report called name, or reports false if there is
// none.
func Compute(name string, l *ledger.Ledger, q projections.Query, c Config) (Document, bool) {
	r, ok := Lookup(name)
	if !ok {
		return nil, false
	}
	return r.Compute(l, q, c), true
}

// JSON renders d as the API serves it, compact on one line, published
// under rule (the zero rule: exact).
func JSON(d Document, rule disclosure.Rule) ([]byte, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("encode report: %w", err)
	}
	if !rule.Exact() {
		if b, err = rule.Apply(d.Disclosure()).JSON(b); err != nil {
			return nil, err
		}
	}
	return append(b, '\n'), nil
}

// CSV renders d as CSV, published under rule (the zero rule: exact).
func CSV(d Document, rule disclosure.Rule) []byte {
	if rule.Exact() {
		return d.CSV()
	}
	return rule.Apply(d.Disclosure()).Table(d.Table()).Bytes()
}
