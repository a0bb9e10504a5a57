// Package audit serves auditors: it verifies a history's hash chains and
// seals, replays the reports as the system knew them at any past moment,
// exports a history with its reports to a folder anyone can open, and
// reads such an export back. The sources are a stopped system's store, an
// export's events.ndjson, or a running system through the recorder.
package audit
