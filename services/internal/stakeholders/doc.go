// Package stakeholders is the command service for the people involved:
// registering them with their roles, recording demographics, support needs
// and consent, and erasing them. Names, contacts and demographics are
// sealed with the person's own key before they reach the event store.
package stakeholders
