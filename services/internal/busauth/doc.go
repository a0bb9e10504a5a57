// Package busauth is who may do what on NATS: one account and one user per
// together process (the recorder, the five command services, the reports),
// each allowed exactly the subjects its job needs, and the nats-server
// configuration that enforces it.
//
// Accounts, not only users: everything JetStream keeps lives in an
// account, and within one account any stream or consumer may be pointed
// at any subject of that account (a push consumer delivers wherever its
// creator says, a stream may source another). So the event stream lives
// in RECORDER, the keys in STAKEHOLDERS, and the reports' snapshots and
// the identities (API tokens, accounts, sessions) in REPORTS. The only
// ways between accounts are the exports written here: the recorder's
// request subjects and its append notifications, read-only direct gets on
// the event stream for the reports, the reports process's identities
// service, which tells a command service who a request's credentials
// belong to, and the stakeholders process's keys service, which seals
// personal free text for the engagements and feedback services (and
// shreds anonymous feedback for the latter) without letting them read a
// key. That plaintext crosses the bus on its way to be sealed: where the
// bus leaves the machine, connect over TLS.
//
// The same configuration text serves the embedded server (with generated
// passwords, see [Passwords]) and the docker-compose NATS server
// (deploy/nats/accounts.conf, with passwords from environment variables;
// a golden test keeps that file equal to what [ServerConfig] renders).
package busauth
