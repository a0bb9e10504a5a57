// Package engagement defines the events of one involvement activity — a
// workshop, co-production event, focus group, survey, interview, online
// board or meeting — from planning through invitations and answers to the
// day it was held and the support people were given to take part. Streams
// are named "engagement-<id>".
package engagement
