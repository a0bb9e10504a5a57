// Package project defines the events of a co-production project: its
// registration, the elements that could be co-produced, the assessment of
// the legal duty to involve people, and the involvement decided per element.
// Streams are named "project-<id>".
package project
