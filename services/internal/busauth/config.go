package busauth

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// PasswordFromEnv renders a role's password as a reference to its
// environment variable ([Role.PasswordEnv]), which nats-server resolves
// when it reads the configuration and refuses to start without.
func PasswordFromEnv(r Role) string { return "$" + r.PasswordEnv() }

// Literal renders the role's password itself, for a configuration that
// never reaches a file (the embedded server's).
func (p Passwords) Literal(r Role) string { return strconv.Quote(p[r]) }

// AdminUser is the user of the embedded server's in-process administrator.
const AdminUser = "admin"

// HistoryReaderUser is the user through which the reports of the process
// that runs the embedded server read the event stream in the recorder's
// own account (see historyReaderPermissions); a reports process of its
// own reads it through the account's exports instead.
const HistoryReaderUser = "history-reader"

// HistoryReaderInbox starts the reply subjects of [HistoryReaderUser],
// the only ones it may listen on besides the announcements of appends:
// it hears no other user's answers.
const HistoryReaderInbox = "_INBOX_HISTORY"

// InProcess are the passwords of the embedded server's in-process users,
// made anew for each run; an empty one leaves its user out.
type InProcess struct {
	// Admin is [AdminUser]'s.
	Admin string
	// HistoryReader is [HistoryReaderUser]'s.
	HistoryReader string
}

// export is one subject an account offers to others.
type export struct {
	from    Role // the exporter
	subject string
	stream  bool   // a stream of messages rather than a service
	many    bool   // a service that may answer one request with several messages
	to      string // the subject the importer uses, if different
	by      []Role // the importers
}

// exports are the only paths between accounts: the recorder's; the
// identities service of the reports process, through which each command
// service learns who a request's credentials belong to without reaching
// the buckets that keep them; and the keys service of the stakeholders
// process, through which the engagements and feedback services seal
// without reaching the key stream.
func exports() []export {
	readers := append(slices.Clone(commandRoles), Reports)
	jsAPI := func(s string) string { return strings.Replace(s, "$JS.API", RecorderAPIPrefix, 1) }
	return []export{
		{from: Recorder, subject: SubjectAppend, by: commandRoles},
		{from: Recorder, subject: SubjectReadStream, by: readers},
		{from: Recorder, subject: SubjectHead, by: readers},
		{from: Recorder, subject: SubjectReadAll, by: []Role{Reports, Stakeholders}},
		{from: Recorder, subject: SubjectAppended, stream: true, by: []Role{Reports}},
		{from: Recorder, subject: "$JS.API.STREAM.INFO." + EventStream, to: jsAPI("$JS.API.STREAM.INFO." + EventStream), by: []Role{Reports}},
		// A batched direct get answers with several messages.
		{from: Recorder, subject: "$JS.API.DIRECT.GET." + EventStream, many: true, to: jsAPI("$JS.API.DIRECT.GET." + EventStream), by: []Role{Reports}},
		{from: Recorder, subject: "$JS.API.DIRECT.GET." + EventStream + ".>", many: true, to: jsAPI("$JS.API.DIRECT.GET." + EventStream + ".>"), by: []Role{Reports}},
		{from: Reports, subject: SubjectAuthenticate, by: append([]Role{Recorder}, commandRoles...)},
		{from: Stakeholders, subject: SubjectSeal, by: []Role{Engagements, Feedback}},
		{from: Stakeholders, subject: SubjectDestroy, by: []Role{Feedback}},
	}
}

// usesJetStream are the roles whose accounts keep JetStream data.
var usesJetStream = []Role{Recorder, Stakeholders, Reports}

// ServerConfig renders the accounts, users and permissions of together as
// nats-server configuration (an accounts block, to be included in or
// appended to a server's configuration). password renders each role's
// password: [Passwords.Literal] or [PasswordFromEnv]. The passwords of
// inProcess add the users [AdminUser] and [HistoryReaderUser] to the
// RECORDER account, able to connect in-process only (see
// adminPermissions and historyReaderPermissions).
func ServerConfig(password func(Role) string, inProcess InProcess) string {
	var b strings.Builder
	b.WriteString("accounts {\n")
	for _, r := range Roles() {
		fmt.Fprintf(&b, "  %s {\n", r.Account())
		if slices.Contains(usesJetStream, r) {
			b.WriteString("    jetstream: enabled\n")
		}
		b.WriteString("    users: [\n")
		writeUser(&b, string(r), password(r), r.Permissions(), "")
		if r == Recorder && inProcess.Admin != "" {
			writeUser(&b, AdminUser, strconv.Quote(inProcess.Admin), adminPermissions(), "IN_PROCESS")
		}
		if r == Recorder && inProcess.HistoryReader != "" {
			writeUser(&b, HistoryReaderUser, strconv.Quote(inProcess.HistoryReader), historyReaderPermissions(), "IN_PROCESS")
		}
		b.WriteString("    ]\n")
		var out, in []export
		for _, e := range exports() {
			if e.from == r {
				out = append(out, e)
			}
			if slices.Contains(e.by, r) {
				in = append(in, e)
			}
		}
		if len(out) > 0 {
			b.WriteString("    exports: [\n")
			for _, e := range out {
				kind := "service"
				if e.stream {
					kind = "stream"
				}
				var accounts []string
				for _, by := range e.by {
					accounts = append(accounts, by.Account())
				}
				response := ""
				if e.many {
					response = ", response_type: stream"
				}
				fmt.Fprintf(&b, "      {%s: %s%s, accounts: [%s]}\n", kind, strconv.Quote(e.subject), response, strings.Join(accounts, ", "))
			}
			b.WriteString("    ]\n")
		}
		if len(in) > 0 {
			b.WriteString("    imports: [\n")
			for _, e := range in {
				kind := "service"
				if e.stream {
					kind = "stream"
				}
				to := ""
				if e.to != "" {
					to = ", to: " + strconv.Quote(e.to)
				}
				fmt.Fprintf(&b, "      {%s: {account: %s, subject: %s}%s}\n", kind, e.from.Account(), strconv.Quote(e.subject), to)
			}
			b.WriteString("    ]\n")
		}
		b.WriteString("  }\n")
	}
	b.WriteString("}\n")
	return b.String()
}

func writeUser(b *strings.Builder, user, password string, p Permissions, connectionType string) {
	list := func(subjects []string) string {
		q := make([]string, len(subjects))
		for i, s := range subjects {
			q[i] = strconv.Quote(s)
		}
		return "[" + strings.Join(q, ", ") + "]"
	}
	fmt.Fprintf(b, "      {\n        user: %s\n        password: %s\n", user, password)
	if connectionType != "" {
		fmt.Fprintf(b, "        allowed_connection_types: [%q]\n", connectionType)
	}
	b.WriteString("        permissions: {\n")
	fmt.Fprintf(b, "          publish: {\n            allow: %s\n", list(p.PublishAllow))
	if len(p.PublishDeny) > 0 {
		fmt.Fprintf(b, "            deny: %s\n", list(p.PublishDeny))
	}
	b.WriteString("          }\n")
	fmt.Fprintf(b, "          subscribe: {\n            allow: %s\n          }\n", list(p.SubscribeAllow))
	if p.AllowResponses {
		b.WriteString("          allow_responses: true\n")
	}
	b.WriteString("        }\n      }\n")
}
