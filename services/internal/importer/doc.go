// Package importer reads the spreadsheets programme offices keep — a list
// of stakeholders, or the attendance registers of engagements — as CSV
// files, the way spreadsheets actually write them: with or without a
// UTF-8 byte-order mark, comma or semicolon separated (Excel uses the
// semicolon where the comma is the decimal mark), CRLF, LF or CR line
// ends, headers in any case and cells padded with spaces. It checks every
// row with the event catalogue's own rules and reports each problem under
// its spreadsheet row number, so that a person can find and fix it.
//
// It is pure: no I/O. What is already recorded, and recording, is the
// business of package importapi, which speaks to together's HTTP API.
//
// Each item an import would record carries an Idempotency-Key derived
// from the file's content hash and its row (for attendance, its
// engagement), so that importing the same file again replays rather than
// records. The hash is of the whole file: a key says nothing about the
// person on the row to anyone who does not hold the file, and stays in
// the history after the person is erased.
package importer
