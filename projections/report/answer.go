package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/disclosure"
)

// Answer is a report as a [Memo] answers it: the document with the
// asker's header and, for a report the memo keeps, the JSON the memo keeps
// of it, so that a report read again while nothing in its scope changes
// is not encoded (nor its disclosure planned) again.
type Answer struct {
	// Doc is the report.
	Doc Document

	header projections.Header
	kept   *keptReport // nil for a report computed for this answer alone
}

// JSON renders the answer as [JSON] renders its document under rule: byte
// for byte, from the report's JSON as the memo keeps it when it can.
func (a Answer) JSON(rule disclosure.Rule) ([]byte, error) {
	head, rest, err := a.JSONParts(rule)
	if err != nil || rest == nil {
		return head, err
	}
	return append(append(make([]byte, 0, len(head)+len(rest)), head...), rest...), nil
}

// JSONParts returns what [Answer.JSON] returns in two parts, to be written
// one after the other without copying what the memo keeps: the asker's
// header, left open, and the JSON the memo keeps to follow it; or the
// whole document and nil, where the memo keeps nothing to follow the
// header.
func (a Answer) JSONParts(rule disclosure.Rule) (head, rest []byte, err error) {
	if a.kept != nil {
		if rest, err = a.kept.rest(rule); err != nil {
			return nil, nil, err
		}
	}
	if rest == nil {
		head, err = JSON(a.Doc, rule)
		return head, nil, err
	}
	if head, err = headerJSON(a.header, rule); err != nil {
		return nil, nil, err
	}
	return head[:len(head)-1], rest, nil
}

// keptReport is a report a [Memo] keeps, with the header it was computed
// with, and what follows that header in its JSON under each rule it was
// rendered under.
type keptReport struct {
	doc    Document
	header projections.Header

	mu     sync.Mutex
	bodies []keptBody
}

// keptBody is a report's JSON under rule after the header's fields: from
// the comma before its own first field to the closing newline; nil if the
// JSON does not begin with the header as encoded alone.
type keptBody struct {
	rule disclosure.Rule
	rest []byte
}

// maxKeptRules bounds the rules a kept report keeps its JSON under: the
// services publish under one, and exact.
const maxKeptRules = 4

// rest returns what follows the header's fields in the kept report's JSON
// under rule, rendering it the first time, or nil if it cannot be
// separated from the header.
//
// Every report embeds its header first, so encoding/json writes the
// header's fields, then the report's own; publishing rewrites counts by
// their paths, which the header has none of, and the header's "counts"
// alone. So what follows the header depends on the report and the rule,
// not on the header, and a report answered again with another header
// (another as-of moment over the same revision) is that header's fields
// followed by it. That is checked here, on the kept report's own JSON,
// rather than assumed.
func (k *keptReport) rest(rule disclosure.Rule) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, b := range k.bodies {
		if b.rule == rule {
			return b.rest, nil
		}
	}
	full, err := JSON(k.doc, rule)
	if err != nil {
		return nil, err
	}
	head, err := headerJSON(k.header, rule)
	if err != nil {
		return nil, err
	}
	open := head[:len(head)-1]
	var rest []byte
	if bytes.HasPrefix(full, open) && len(full) > len(open) && (full[len(open)] == ',' || full[len(open)] == '}') {
		rest = full[len(open):]
	}
	if len(k.bodies) < maxKeptRules {
		k.bodies = append(k.bodies, keptBody{rule: rule, rest: rest})
	}
	return rest, nil
}

// headerJSON is h as a published report's JSON under rule begins: its own
// fields as encoding/json writes them, "counts" naming the rule.
func headerJSON(h projections.Header, rule disclosure.Rule) ([]byte, error) {
	if !rule.Exact() {
		h.Counts = rule.String()
	}
	b, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("encode report header: %w", err)
	}
	return b, nil
}
