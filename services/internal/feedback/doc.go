// Package feedback is the command service for feedback: recording what
// was said, by a named stakeholder or anonymously, the programme's response
// to it, and its retraction.
package feedback
