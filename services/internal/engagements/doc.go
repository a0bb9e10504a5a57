// Package engagements is the command service for engagement activities:
// planning them on a project's elements, inviting stakeholders, recording
// their answers, the day it was held and who came, the support provided,
// and cancellation.
package engagements
