// Package auth is together's identity layer: who is making a request, and
// what their role lets them do.
//
// # Roles and permissions
//
// Routes ask for a [Permission]; a fixed table gives each [Role] its
// permissions ([Allowed]):
//
//	viewer    ReadReports                                  dashboards and reports: aggregates, no personal data
//	recorder  ReadReports, RecordCommands, ReadPersonalData every command, and stakeholders' personal data
//	auditor   ReadReports, ReadAudit                       event log, verify, export, replay, decision timelines
//	admin     every permission, Administer and Erase only admin holds
//
// Admin implies every other permission. An admin can mint a token of any
// role, so withholding a permission from admin would protect nothing and
// only add a step; what keeps admins honest is that every act is recorded
// under their own identity. Auditors read the event log as it is stored,
// so sealed (encrypted) personal fields stay sealed for them.
//
// # Identities
//
// An [Identity] has a stable ID that the audit trail records as the
// actor: "token:<uuid>" for an API token, "user:<uuid>" for a local
// account, "oidc:<issuer-hash>:<sub>" for a person signed in through an
// organisation's OpenID Connect provider. No name goes into the history;
// the [Directory] maps an ID to its current display name.
//
// [Service.Authenticate] puts the identity in the request context
// ([FromContext]) from an "Authorization: Bearer" API token or the
// browser session cookie; [Require] wraps a route in the permission it
// needs and answers 401 or 403 as problem+json.
//
// # Secrets at rest
//
// API tokens are 256 random bits, shown once and stored as SHA-256:
// against a secret that size a fast hash is as safe as a slow one.
// Passwords are people's choice and guessable, so they are stored as
// argon2id hashes. Session ids are stored as SHA-256 too, so a copy of the
// buckets lets nobody in. Everything lives in two JetStream key/value
// buckets ([StateBucket], [SessionBucket]).
//
// # Records kept between requests
//
// Every request needs its token's record, or its session's and its
// account's. The service reads each once and keeps it while a watch of
// its bucket reports every change to such records ([Service.WatchRecords]):
// a change made through the service forgets the record before it returns,
// one made by another process once the watch reports it, and with no
// watch under way every request reads its records.
//
// # Across processes
//
// Only the process that serves sign-in keeps the buckets. It answers the
// others' authenticate requests on NATS ([Service.ServeNATS]); a process
// without the buckets authenticates with a [Remote], which sends the
// bearer token or session id it read and gets back the identity and the
// session's CSRF token. Both middlewares are one function
// ([Authenticator]), differing only in who checks the secret, so they
// answer every request alike.
package auth
