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

	// RecorderAPIPrefix is where the REPORTS account sees the RECORDER
	// account's JetStream API for read-only direct gets on EventStream:
	// jetstream.NewWithAPIPrefix(nc, RecorderAPIPrefix).
	RecorderAPIPrefix = "$JS.RECORDER.API"
)

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
		// subject a request came with.
		pub := []string{"$JS.API.STREAM.CREATE." + EventStream}
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
		// on its own stream, the right to erasure).
		pub := []string{SubjectAppend, SubjectReadStream, SubjectHead, "$JS.API.STREAM.CREATE." + KeyStream}
		pub = append(pub, streamReads(KeyStream)...)
		pub = append(pub, "$JS.API.STREAM.MSG.DELETE."+KeyStream, KeySubjects)
		return Permissions{
			PublishAllow:   pub,
			PublishDeny:    deny(purgeDenied),
			SubscribeAllow: []string{"_INBOX.>"},
		}
	case Projects, Engagements, Feedback, Actions:
		return Permissions{
			PublishAllow:   []string{SubjectAppend, SubjectReadStream, SubjectHead},
			PublishDeny:    deny(purgeDenied, msgDeleteDenied),
			SubscribeAllow: []string{"_INBOX.>"},
		}
	case Reports:
		// Reads only: the recorder's read subjects, its notifications and
		// direct gets on the event stream. Its snapshot bucket is its own:
		// an object store replaces an object by writing the new chunks and
		// purging the old ones, so the purge of that one stream stays
		// allowed (it holds derived data; losing it costs one replay).
		// Answers cover the flow control of the ordered consumer that
		// reads an object.
		pub := []string{SubjectReadStream, SubjectReadAll, SubjectHead, "$JS.API.STREAM.CREATE." + SnapshotStream}
		pub = append(pub, streamReads(SnapshotStream)...)
		pub = append(pub, consumers(SnapshotStream)...)
		pub = append(pub, "$JS.API.STREAM.PURGE."+SnapshotStream, "$O."+SnapshotBucket+".>")
		pub = append(pub, RecorderAPIPrefix+".STREAM.INFO."+EventStream,
			RecorderAPIPrefix+".DIRECT.GET."+EventStream, RecorderAPIPrefix+".DIRECT.GET."+EventStream+".>")
		// TEMPORARY, this branch only: the identities' key/value buckets,
		// until the permissions made for them land.
		pub = append(pub, "$JS.API.INFO")
		for _, b := range []string{"TOGETHER_AUTH", "TOGETHER_SESSIONS"} {
			pub = append(pub, "$JS.API.STREAM.CREATE.KV_"+b)
			pub = append(pub, streamReads("KV_"+b)...)
			pub = append(pub, consumers("KV_"+b)...)
			pub = append(pub, "$KV."+b+".>")
		}
		return Permissions{
			PublishAllow:   pub,
			PublishDeny:    deny(msgDeleteDenied),
			SubscribeAllow: []string{SubjectAppended, "_INBOX.>"},
			AllowResponses: true,
		}
	}
	return Permissions{}
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
