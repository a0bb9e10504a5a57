package reports_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/engagement"
	"github.com/together-coop/together/events/feedback"
	"github.com/together-coop/together/events/memstore"
	"github.com/together-coop/together/events/project"
	"github.com/together-coop/together/events/stakeholder"
	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/disclosure"
	"github.com/together-coop/together/projections/historytest"
	"github.com/together-coop/together/projections/ledger"
	"github.com/together-coop/together/projections/participation"
	"github.com/together-coop/together/projections/report"
	"github.com/together-coop/together/services/internal/logtest"
	"github.com/together-coop/together/services/internal/natstest"
	"github.com/together-coop/together/services/internal/reports"
)

var snapshotKey = bytes.Repeat([]byte{0x5a}, 32)

func snapshotBucket(t *testing.T) (jetstream.JetStream, *reports.ObjectStoreSnapshots, jetstream.ObjectStore) {
	t.Helper()
	_, js := natstest.JetStream(t)
	ctx := context.Background()
	snaps, err := reports.NewObjectStoreSnapshots(ctx, js, snapshotKey, 1)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := js.ObjectStore(ctx, reports.SnapshotBucket)
	if err != nil {
		t.Fatal(err)
	}
	return js, snaps, raw
}

// objectName is where the snapshot lives in the bucket.
var objectName = reports.ProjectionName + "-v" + strconv.Itoa(ledger.SnapshotVersion)

func TestObjectStoreSnapshotsRefuseWhatTheyDidNotSign(t *testing.T) {
	js, snaps, raw := snapshotBucket(t)
	ctx := context.Background()
	data := []byte("a ledger, as encoded")
	if err := snaps.Save(ctx, data); err != nil {
		t.Fatal(err)
	}
	if got, err := snaps.Load(ctx); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Load = %q, %v; want what was saved", got, err)
	}
	signed, err := raw.GetBytes(ctx, objectName)
	if err != nil {
		t.Fatal(err)
	}
	otherKey, err := reports.NewObjectStoreSnapshots(ctx, js, bytes.Repeat([]byte{1}, 32), 1)
	if err != nil {
		t.Fatal(err)
	}
	edited := bytes.Clone(signed)
	edited[len(edited)-1] ^= 1
	tests := []struct {
		name   string
		stored []byte
		snaps  *reports.ObjectStoreSnapshots
	}{
		{"one bit of the ledger changed", edited, snaps},
		{"the ledger replaced, the MAC kept", append(bytes.Clone(signed[:len(signed)-len(data)]), []byte("a ledger, as I want")...), snaps},
		{"unsigned, as older versions saved", data, snaps},
		{"truncated", signed[:10], snaps},
		{"empty", []byte{}, snaps},
		{"signed under another key", signed, otherKey},
	}
	// LoadInto hands over the same bytes as they are read.
	var streamed []byte
	found, err := snaps.LoadInto(ctx, func(r io.Reader, size int) (err error) {
		streamed, err = io.ReadAll(r)
		if err == nil && size != len(data) {
			err = fmt.Errorf("told %d bytes", size)
		}
		return err
	})
	if !found || err != nil || !bytes.Equal(streamed, data) {
		t.Fatalf("LoadInto = %v, %v, %q; want found, nil, what was saved", found, err, streamed)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := raw.PutBytes(ctx, objectName, tt.stored); err != nil {
				t.Fatal(err)
			}
			got, err := tt.snaps.Load(ctx)
			if !errors.Is(err, reports.ErrSnapshotNotAuthentic) || got != nil {
				t.Errorf("Load = %q, %v; want nil, ErrSnapshotNotAuthentic", got, err)
			}
			decoded := false
			found, err := tt.snaps.LoadInto(ctx, func(r io.Reader, _ int) error { decoded = true; return nil })
			if !found || !errors.Is(err, reports.ErrSnapshotNotAuthentic) || decoded {
				t.Errorf("LoadInto = %v, %v, decoding %v; want found, ErrSnapshotNotAuthentic, nothing decoded", found, err, decoded)
			}
			// Replaced after LoadInto's first read checked it: the second
			// read refuses what it decoded.
			if len(tt.stored) > 40 && tt.snaps == snaps {
				decoded = false
				err := reports.DecodeUnchecked(ctx, snaps, func(r io.Reader, _ int) error { decoded = true; _, err := io.ReadAll(r); return err })
				if !decoded || !errors.Is(err, reports.ErrSnapshotNotAuthentic) {
					t.Errorf("the second read: decoding %v, %v; want it decoded and refused", decoded, err)
				}
			}
		})
	}
	if err := raw.Delete(ctx, objectName); err != nil {
		t.Fatal(err)
	}
	if found, err := snaps.LoadInto(ctx, func(io.Reader, int) error { t.Error("decoded nothing"); return nil }); found || err != nil {
		t.Errorf("LoadInto of no snapshot = %v, %v; want not found", found, err)
	}
	if _, err := reports.NewObjectStoreSnapshots(ctx, js, []byte("short"), 1); err == nil {
		t.Error("NewObjectStoreSnapshots with a 5-byte key succeeded, want refused")
	}
}

var farFuture = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)

func participationOf(t *testing.T, l *ledger.Ledger) []byte {
	t.Helper()
	out, err := report.JSON(participation.Compute(l, projections.Query{AsOf: farFuture}), disclosure.Rule{})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRunnerRefusesEditedSnapshot is the reviewer's attack: the snapshot
// in the bucket is edited so that every report says what the editor wants,
// keeping its position and last event id so that it still matches the
// store. The runner must refuse it, say so in its log, replay the whole
// history, and on a clean stop save a genuine snapshot again.
func TestRunnerRefusesEditedSnapshot(t *testing.T) {
	_, snaps, raw := snapshotBucket(t)
	ctx := context.Background()
	story := historytest.Generate(7, 9000).Events
	store := &counting{Store: memstore.New()}
	for _, e := range story {
		env := e.Envelope
		if _, err := store.Append(ctx, env.Stream, env.StreamVersion-1, []events.Envelope{env}); err != nil {
			t.Fatal(err)
		}
	}
	end := uint64(len(story))
	truth := runUntil(t, store, end, reports.WithSnapshots(snaps, 0))

	// The editor has the bucket but not the key.
	signed, err := raw.GetBytes(ctx, objectName)
	if err != nil {
		t.Fatal(err)
	}
	head := len(signed) - len(mustLoad(t, snaps))
	l, err := ledger.Restore(signed[head:])
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range l.Engagements.All { // nobody came
		if e.Held != nil {
			e.Held.AttendeeIDs = nil
		}
	}
	forged, err := l.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(participationOf(t, l), truth) {
		t.Fatalf("the edit does not change the report: the test proves nothing\n%s", truth)
	}
	if _, err := raw.PutBytes(ctx, objectName, append(bytes.Clone(signed[:head]), forged...)); err != nil {
		t.Fatal(err)
	}

	log := &logtest.Buffer{}
	store.yielded.Store(0)
	got := runUntil(t, store, end, reports.WithSnapshots(snaps, 0), reports.WithLogger(zerolog.New(log)))
	if !bytes.Equal(got, truth) {
		t.Errorf("report after an edited snapshot:\n%s\nwant the history's:\n%s", got, truth)
	}
	if n := store.yielded.Load(); n != int64(end) {
		t.Errorf("runner read %d events, want the whole history (%d)", n, end)
	}
	if !strings.Contains(log.String(), "not authentic") {
		t.Errorf("the refusal is not logged; log:\n%s", log.String())
	}

	// The clean stop saved a genuine snapshot, which the next start uses.
	data := mustLoad(t, snaps)
	restored, err := ledger.Restore(data)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(participationOf(t, restored), truth) {
		t.Error("the snapshot saved after the refusal does not give the history's report")
	}
	store.yielded.Store(0)
	if got := runUntil(t, store, end, reports.WithSnapshots(snaps, 0)); !bytes.Equal(got, truth) {
		t.Error("report resumed from the new snapshot differs from the history's")
	}
	if n := store.yielded.Load(); n != 0 {
		t.Errorf("runner resumed from the new snapshot read %d events, want none", n)
	}
}

func mustLoad(t *testing.T, snaps *reports.ObjectStoreSnapshots) []byte {
	t.Helper()
	data, err := snaps.Load(context.Background())
	if err != nil || data == nil {
		t.Fatalf("Load = %d bytes, %v; want a snapshot", len(data), err)
	}
	return data
}

// TestSnapshotHoldsNoPersonalText checks what the ledger keeps: a
// snapshot taken after a person gave every kind of free text and was
// erased holds none of it, nor their sealed data, only their id and roles.
func TestSnapshotHoldsNoPersonalText(t *testing.T) {
	person, proj, eng, fb := uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString()
	secret := func(what string) string { return "SECRET-" + what + "-of-Alice-Example" }
	sealed := stakeholder.Sealed{KeyID: person, Nonce: []byte("nonce-alice!"), Ciphertext: []byte(secret("ciphertext"))}
	history := []struct {
		stream string
		p      events.Payload
	}{
		{project.Stream(proj), &project.Registered{Programme: "P", Name: "Waiting areas", Aim: "calm", Lead: "Sarah"}},
		{stakeholder.Stream(person), &stakeholder.Registered{Roles: []events.Role{"service_user"}, RecruitmentChannel: "advert", PII: sealed}},
		{stakeholder.Stream(person), &stakeholder.DemographicsDeclared{Demographics: sealed}},
		{stakeholder.Stream(person), &stakeholder.SupportNeedRecorded{Need: "accessibility", LegacyNote: secret("note")}},
		{stakeholder.Stream(person), &stakeholder.ConsentRecorded{Scope: "quotes"}},
		{engagement.Stream(eng), &engagement.Planned{ProjectID: proj, ElementIDs: []string{}, Title: "Workshop", Method: "workshop", Level: "co_design", ScheduledFor: farFuture}},
		{engagement.Stream(eng), &engagement.StakeholderInvited{StakeholderID: person, Channel: "email"}},
		{engagement.Stream(eng), &engagement.InvitationAnswered{StakeholderID: person, Accepted: false, LegacyReason: secret("answer")}},
		{feedback.Stream(fb), &feedback.Given{ProjectID: proj, StakeholderID: person, Channel: "email", Sentiment: "mixed", Themes: []string{}, LegacySummary: secret("summary")}},
		{feedback.Stream(fb), &feedback.Responded{Influence: "adopted", Reason: "done"}},
		{stakeholder.Stream(person), &stakeholder.Erased{LegacyReason: secret("erasure")}},
	}
	l := ledger.New()
	versions := map[string]uint64{}
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for i, h := range history {
		versions[h.stream]++
		data, err := json.Marshal(h.p)
		if err != nil {
			t.Fatal(err)
		}
		l.Apply(events.Envelope{
			ID: uuid.Must(uuid.NewV7()), Type: h.p.EventType(), SchemaVersion: 1, Stream: h.stream,
			StreamVersion: versions[h.stream], Position: uint64(i + 1), OccurredAt: at, RecordedAt: at, Payload: data,
		}, h.p)
	}
	snap, err := l.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(snap, []byte(person)) {
		t.Fatal("the snapshot does not even hold the person's id: the test looks in the wrong place")
	}
	for _, what := range []string{"ciphertext", "note", "answer", "summary", "erasure"} {
		if bytes.Contains(snap, []byte(secret(what))) {
			t.Errorf("the snapshot holds the person's %s", what)
		}
	}
	if bytes.Contains(snap, sealed.Nonce) {
		t.Error("the snapshot holds the person's sealed data")
	}
}
