package busauth

import (
	"fmt"
	"slices"
	"strings"
)

// Role is a together process that connects to NATS. Its name is also the
// NATS user name; its account is the name in upper case.
type Role string

// The roles, one per process of the production shape.
const (
	Recorder     Role = "recorder"
	Projects     Role = "projects"
	Stakeholders Role = "stakeholders"
	Engagements  Role = "engagements"
	Feedback     Role = "feedback"
	Actions      Role = "actions"
	Reports      Role = "reports"
)

// Names of what the roles use, as the packages that create or serve them
// spell them (a test holds them equal). They are repeated here rather
// than imported so that this package depends on nothing of together.
const (
	// EventStream is the JetStream stream of the events and the seals
	// (natsjs.DefaultStreamName), in the RECORDER account.
	EventStream = "EVENTS"
	// EventSubjects are the subjects EventStream captures.
	EventSubjects = "events.>"
	// KeyStream is the stakeholders' key stream (keyring.DefaultStream),
	// in the STAKEHOLDERS account.
	KeyStream = "TOGETHER_KEYS"
	// KeySubjects are the subjects KeyStream captures.
	KeySubjects = "keys.>"
	// SubjectSeal and SubjectDestroy are where the stakeholders process
	// serves the key stream to the engagements and feedback services
	// (keyring.SubjectSeal, keyring.SubjectDestroy): sealing for both,
	// destroying a record key (anonymous feedback's) for feedback only.
	SubjectSeal    = "together.keys.seal"
	SubjectDestroy = "together.keys.destroy"
	// SnapshotBucket is the reports' object store
	// (reports.SnapshotBucket), in the REPORTS account.
	SnapshotBucket = "TOGETHER_SNAPSHOTS"
	// SnapshotStream is the stream behind SnapshotBucket.
	SnapshotStream = "OBJ_" + SnapshotBucket

	SubjectAppend     = "together.recorder.append"
	SubjectReadStream = "together.recorder.read_stream"
	SubjectReadAll    = "together.recorder.read_all"
	SubjectHead       = "together.recorder.head"
	SubjectAppended   = "together.appended"

	// StateBucket and SessionBucket are the key/value buckets of the
	// identities (auth.StateBucket, auth.SessionBucket), in the REPORTS
	// account: the reports process serves sign-in and the administration
	// of identities.
	StateBucket   = "TOGETHER_AUTH"
	SessionBucket = "TOGETHER_SESSIONS"
	// SubjectAuthenticate is where the reports process answers, for the
	// command services, who a request's credentials belong to
	// (auth.SubjectAuthenticate).
	SubjectAuthenticate = "together.identities.authenticate"

	// RecorderAPIPrefix is where the REPORTS account sees the RECORDER
	// account's JetStream API for read-only direct gets on EventStream:
	// jetstream.NewWithAPIPrefix(nc, RecorderAPIPrefix).
	RecorderAPIPrefix = "$JS.RECORDER.API"
)

// identityBuckets are the buckets behind the identities.
var identityBuckets = []string{StateBucket, SessionBucket}

// kvStream is the stream behind a key/value bucket.
func kvStream(bucket string) string { return "KV_" + bucket }

// Roles returns every role, the recorder first.
func Roles() []Role {
	return []Role{Recorder, Projects, Stakeholders, Engagements, Feedback, Actions, Reports}
}

// commandRoles are the command services: they append through the
// recorder and read the streams they decide on.
var commandRoles = []Role{Projects, Stakeholders, Engagements, Feedback, Actions}

// ParseRole returns the role named s.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if !slices.Contains(Roles(), r) {
		return "", fmt.Errorf("%w: %q is not one of %v", ErrUnknownRole, s, Roles())
	}
	return r, nil
}

// Account is the NATS account of the role.
func (r Role) Account() string { return strings.ToUpper(string(r)) }

// PasswordEnv is the environment variable that carries the role's
// password to the NATS server of the compose stack.
func (r Role) PasswordEnv() string {
	return "TOGETHER_NATS_" + strings.ToUpper(string(r)) + "_PASSWORD"
}

// Permissions are what one NATS user may publish and subscribe to.
// Anything not allowed is refused; a deny wins over an allow.
type Permissions struct {
	PublishAllow   []string
	PublishDeny    []string
	SubscribeAllow []string
	// AllowResponses lets the user answer, once and within two minutes,
	// a request it received, whatever its reply subject.
	AllowResponses bool
}

// alwaysDenied are JetStream API calls refused to every user: nothing
// that was recorded may be deleted or rewritten through NATS. A stream is
// created with a config and then only verified (never updated), so these
// hold across restarts too.
var alwaysDenied = []string{
	"$JS.API.STREAM.DELETE.>",
	"$JS.API.STREAM.UPDATE.>",
	"$JS.API.ACCOUNT.PURGE.>",
	"$JS.API.STREAM.RESTORE.>",
	"$JS.API.STREAM.PEER.REMOVE.>",
}

// Purging and deleting single messages are denied too, except where the
// role's own job needs them on its own stream (see Permissions).
var (
	purgeDenied     = "$JS.API.STREAM.PURGE.>"
	msgDeleteDenied = "$JS.API.STREAM.MSG.DELETE.>"
)

// streamReads are the JetStream API calls that read stream, without a
// consumer: info, get and direct get.
func streamReads(stream string) []string {
	return []string{
		"$JS.API.STREAM.INFO." + stream,
		"$JS.API.STREAM.MSG.GET." + stream,
		"$JS.API.DIRECT.GET." + stream,
		"$JS.API.DIRECT.GET." + stream + ".>",
	}
}

// consumers are the JetStream API calls of ephemeral (ordered) consumers
// on stream: create, read info, fetch, delete.
func consumers(stream string) []string {
	return []string{
		"$JS.API.CONSUMER.CREATE." + stream + ".>",
		"$JS.API.CONSUMER.INFO." + stream + ".>",
		"$JS.API.CONSUMER.MSG.NEXT." + stream + ".>",
		"$JS.API.CONSUMER.DELETE." + stream + ".>",
	}
}

// Permissions returns what the role's user may do in its account.
func (r Role) Permissions() Permissions {
	deny := func(extra ...string) []string { return append(slices.Clone(alwaysDenied), extra...) }
	switch r {
	case Recorder:
		// The recorder owns the event stream: it creates it, appends to
		// it (events and seals), reads it with gets and ordered
		// consumers, announces appends, and serves the recorder subjects
		// and micro's discovery subjects. Its answers go to whatever reply
		// subject a request came with. Like every process it asks the
		// identities who calls its HTTP server (its metrics).
		pub := []string{"$JS.API.STREAM.CREATE." + EventStream, SubjectAuthenticate}
		pub = append(pub, streamReads(EventStream)...)
		pub = append(pub, consumers(EventStream)...)
		pub = append(pub, EventSubjects, SubjectAppended)
		return Permissions{
			PublishAllow:   pub,
			PublishDeny:    deny(purgeDenied, msgDeleteDenied),
			SubscribeAllow: []string{"together.recorder.>", "$SRV.>", "_INBOX.>"},
			AllowResponses: true,
		}
	case Stakeholders:
		// A command service that also owns the key stream: it creates
		// keys and overwrites a destroyed one on disk (a message delete
		// on its own stream, the right to erasure). At start it reads the
		// whole history for erasures whose key a crash left behind. It
		// serves the keys to the engagements and feedback services as a
		// micro service (its two subjects, and micro's discovery within
		// the account), answering whatever reply subject they came with.
		pub := []string{SubjectAppend, SubjectReadStream, SubjectReadAll, SubjectHead, SubjectAuthenticate, "$JS.API.STREAM.CREATE." + KeyStream}
		pub = append(pub, streamReads(KeyStream)...)
		pub = append(pub, "$JS.API.STREAM.MSG.DELETE."+KeyStream, KeySubjects)
		return Permissions{
			PublishAllow:   pub,
			PublishDeny:    deny(purgeDenied),
			SubscribeAllow: []string{SubjectSeal, SubjectDestroy, "$SRV.>", "_INBOX.>"},
			AllowResponses: true,
		}
	case Projects, Engagements, Feedback, Actions:
		pub := []string{SubjectAppend, SubjectReadStream, SubjectHead, SubjectAuthenticate}
		// They seal personal free text through the stakeholders' keys
		// service; feedback also shreds anonymous feedback's own key.
		switch r {
		case Engagements:
			pub = append(pub, SubjectSeal)
		case Feedback:
			pub = append(pub, SubjectSeal, SubjectDestroy)
		}
		return Permissions{
			PublishAllow:   pub,
			PublishDeny:    deny(purgeDenied, msgDeleteDenied),
			SubscribeAllow: []string{"_INBOX.>"},
		}
	case Reports:
		// Reads only: the recorder's read subjects, its notifications and
		// direct gets on the event stream. Its snapshot bucket is its own:
		// an object store replaces an object by writing the new chunks and
		// purging the old ones, so the purge of that one stream stays
		// allowed (it holds derived data; losing it costs one replay).
		// Answers cover the flow control of the ordered consumers that
		// read an object or list a bucket, and the replies of the
		// identities service.
		//
		// The identities live here too: the reports process creates and
		// uses their two key/value buckets (creating one first asks for
		// the account's JetStream info; a bucket's values are written by
		// publishing to its $KV subjects, read with direct gets and
		// listed with ordered consumers), and answers the command
		// services' authenticate requests as micro service.
		pub := []string{SubjectReadStream, SubjectReadAll, SubjectHead, "$JS.API.STREAM.CREATE." + SnapshotStream}
		pub = append(pub, streamReads(SnapshotStream)...)
		pub = append(pub, consumers(SnapshotStream)...)
		pub = append(pub, "$JS.API.STREAM.PURGE."+SnapshotStream, "$O."+SnapshotBucket+".>")
		pub = append(pub, RecorderAPIPrefix+".STREAM.INFO."+EventStream,
			RecorderAPIPrefix+".DIRECT.GET."+EventStream, RecorderAPIPrefix+".DIRECT.GET."+EventStream+".>")
		pub = append(pub, "$JS.API.INFO")
		for _, b := range identityBuckets {
			pub = append(pub, "$JS.API.STREAM.CREATE."+kvStream(b))
			pub = append(pub, streamReads(kvStream(b))...)
			pub = append(pub, consumers(kvStream(b))...)
			pub = append(pub, "$KV."+b+".>")
		}
		return Permissions{
			PublishAllow:   pub,
			PublishDeny:    deny(msgDeleteDenied),
			SubscribeAllow: []string{SubjectAppended, SubjectAuthenticate, "$SRV.>", "_INBOX.>"},
			AllowResponses: true,
		}
	}
	return Permissions{}
}

// historyReaderPermissions are those of the embedded server's in-process
// reader of the history (see [ServerConfig]): what the reports account
// imports from the recorder's to read the event stream (its info and
// direct gets, and the announcements of appends), and nothing else. Read
// in the stream's own account, a page of events is not copied again as
// it crosses into another, which costs a rebuild a fifth of its CPU.
func historyReaderPermissions() Permissions {
	return Permissions{
		PublishAllow:   []string{"$JS.API.STREAM.INFO." + EventStream, "$JS.API.DIRECT.GET." + EventStream, "$JS.API.DIRECT.GET." + EventStream + ".>"},
		PublishDeny:    slices.Clone(alwaysDenied),
		SubscribeAllow: []string{SubjectAppended, HistoryReaderInbox + ".>"},
	}
}

// adminPermissions are those of the in-process administrator of the
// embedded server (see [ServerConfig]): anything in the RECORDER account
// except deleting or rewriting a stream and purging the events.
func adminPermissions() Permissions {
	return Permissions{
		PublishAllow:   []string{">"},
		PublishDeny:    append(slices.Clone(alwaysDenied), "$JS.API.STREAM.PURGE."+EventStream),
		SubscribeAllow: []string{">"},
		AllowResponses: false,
	}
}
