// Package feedback defines the events of one piece of feedback: what was
// said (by a named stakeholder or anonymously), how the programme responded
// to it — the evidence, asked for by the fourth Gunning principle, that
// responses were conscientiously taken into account — and its retraction.
// Streams are named "feedback-<id>".
package feedback
