// Package kurrenttest is a protocol double of KurrentDB for tests: an
// in-process gRPC server on a loopback port that the official Go client
// talks to as to a real node. It is not KurrentDB; it implements the
// subset of the protocol the kurrent adapter uses, with KurrentDB's
// documented semantics as we read them:
//
//   - Streams/Append: one stream per call, atomic; expected revision
//     NoStream, a revision, StreamExists or Any; an append whose event ids
//     are already stored right after the expected revision succeeds
//     without writing (answered with no position, as we expect a real node
//     may); any other mismatch is WrongExpectedVersion with the current
//     revision.
//   - Streams/Read of a stream, forwards from a revision or backwards from
//     the end, with StreamNotFound for a stream without events.
//   - Streams/Read of $all, forwards from the start or from a position
//     (inclusive) and backwards from the end.
//   - Streams/Read as a catch-up subscription to $all (exclusive start
//     position, stream-prefix filter): Confirmation first, the stored
//     events, CaughtUp, then live events until the client goes away.
//
// Positions grow by uneven steps, so code that assumes contiguous
// positions fails against it. Each event carries the "type",
// "content-type" and "created" (.NET ticks) metadata a real node sends.
// ServerFeatures, Gossip, Delete, Tombstone and BatchAppend are not
// implemented (the client tolerates the first; the adapter uses none).
// Run the same store suite against a real node with KURRENTDB_URL.
package kurrenttest

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

type record struct {
	stream   string
	revision uint64
	id       uuid.UUID
	meta     map[string]string
	custom   []byte
	data     []byte
	position uint64
}

// Server is a running protocol double.
type Server struct {
	streams.UnimplementedStreamsServer
	mu      sync.Mutex
	log     []*record
	byName  map[string][]*record
	changed chan struct{}
	grpc    *grpc.Server
	addr    string
}

// Start serves a new, empty double on 127.0.0.1 and returns its
// connection string; it stops through t.Cleanup.
func Start(t testing.TB) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{byName: map[string][]*record{}, changed: make(chan struct{}), grpc: grpc.NewServer(), addr: lis.Addr().String()}
	streams.RegisterStreamsServer(s.grpc, s)
	go func() { _ = s.grpc.Serve(lis) }()
	t.Cleanup(s.grpc.Stop)
	return "esdb://" + s.addr + "?tls=false"
}

// Append implements the Streams/Append RPC.
func (s *Server) Append(stream streams.Streams_AppendServer) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	opts := first.GetOptions()
	if opts == nil {
		return status.Error(codes.InvalidArgument, "append must start with options")
	}
	name := string(opts.GetStreamIdentifier().GetStreamName())
	var proposed []*streams.AppendReq_ProposedMessage
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		proposed = append(proposed, req.GetProposedMessage())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	existing := s.byName[name]
	n := int64(len(existing))
	// expected is the revision the writer believes is last: -1 for no
	// stream; any/exists are checked apart.
	expected := int64(-2)
	switch e := opts.GetExpectedStreamRevision().(type) {
	case *streams.AppendReq_Options_NoStream:
		expected = -1
	case *streams.AppendReq_Options_Revision:
		expected = int64(e.Revision)
	case *streams.AppendReq_Options_StreamExists:
		if n == 0 {
			return stream.SendAndClose(wrongVersion(n, opts))
		}
		expected = n - 1
	case *streams.AppendReq_Options_Any:
		expected = n - 1
	}
	if expected != n-1 {
		if expected < n-1 && expected+int64(len(proposed)) <= n-1 && sameIDs(existing[expected+1:expected+1+int64(len(proposed))], proposed) {
			last := existing[expected+int64(len(proposed))]
			return stream.SendAndClose(&streams.AppendResp{Result: &streams.AppendResp_Success_{Success: &streams.AppendResp_Success{
				CurrentRevisionOption: &streams.AppendResp_Success_CurrentRevision{CurrentRevision: last.revision},
				PositionOption:        &streams.AppendResp_Success_NoPosition{NoPosition: &shared.Empty{}},
			}}})
		}
		return stream.SendAndClose(wrongVersion(n, opts))
	}
	var last *record
	for i, p := range proposed {
		id, err := protoUUID(p.GetId())
		if err != nil {
			return status.Error(codes.InvalidArgument, err.Error())
		}
		meta := map[string]string{}
		for k, v := range p.GetMetadata() {
			meta[k] = v
		}
		meta["created"] = strconv.FormatInt(time.Now().UnixNano()/100, 10)
		pos := uint64(1000)
		if len(s.log) > 0 {
			pos = s.log[len(s.log)-1].position + 100 + uint64(len(p.GetData())) // uneven steps
		}
		last = &record{stream: name, revision: uint64(n) + uint64(i), id: id, meta: meta, custom: p.GetCustomMetadata(), data: p.GetData(), position: pos}
		s.log = append(s.log, last)
		s.byName[name] = append(s.byName[name], last)
	}
	close(s.changed)
	s.changed = make(chan struct{})
	return stream.SendAndClose(&streams.AppendResp{Result: &streams.AppendResp_Success_{Success: &streams.AppendResp_Success{
		CurrentRevisionOption: &streams.AppendResp_Success_CurrentRevision{CurrentRevision: last.revision},
		PositionOption: &streams.AppendResp_Success_Position{Position: &streams.AppendResp_Position{
			CommitPosition: last.position, PreparePosition: last.position}},
	}}})
}

func wrongVersion(n int64, opts *streams.AppendReq_Options) *streams.AppendResp {
	w := &streams.AppendResp_WrongExpectedVersion{}
	if n == 0 {
		w.CurrentRevisionOption = &streams.AppendResp_WrongExpectedVersion_CurrentNoStream{CurrentNoStream: &shared.Empty{}}
	} else {
		w.CurrentRevisionOption = &streams.AppendResp_WrongExpectedVersion_CurrentRevision{CurrentRevision: uint64(n - 1)}
	}
	switch e := opts.GetExpectedStreamRevision().(type) {
	case *streams.AppendReq_Options_NoStream:
		w.ExpectedRevisionOption = &streams.AppendResp_WrongExpectedVersion_ExpectedNoStream{ExpectedNoStream: &shared.Empty{}}
	case *streams.AppendReq_Options_Revision:
		w.ExpectedRevisionOption = &streams.AppendResp_WrongExpectedVersion_ExpectedRevision{ExpectedRevision: e.Revision}
	case *streams.AppendReq_Options_StreamExists:
		w.ExpectedRevisionOption = &streams.AppendResp_WrongExpectedVersion_ExpectedStreamExists{ExpectedStreamExists: &shared.Empty{}}
	}
	return &streams.AppendResp{Result: &streams.AppendResp_WrongExpectedVersion_{WrongExpectedVersion: w}}
}

func sameIDs(stored []*record, proposed []*streams.AppendReq_ProposedMessage) bool {
	for i, p := range proposed {
		id, err := protoUUID(p.GetId())
		if err != nil || stored[i].id != id {
			return false
		}
	}
	return true
}

func protoUUID(u *shared.UUID) (uuid.UUID, error) {
	if st := u.GetStructured(); st != nil {
		return esdb.ParseUUIDFromInt64(st.MostSignificantBits, st.LeastSignificantBits)
	}
	return uuid.Parse(u.GetString_())
}

func toProto(r *record) *streams.ReadResp {
	most, least := esdb.UUIDAsInt64(r.id)
	return &streams.ReadResp{Content: &streams.ReadResp_Event{Event: &streams.ReadResp_ReadEvent{
		Event: &streams.ReadResp_ReadEvent_RecordedEvent{
			Id:               &shared.UUID{Value: &shared.UUID_Structured_{Structured: &shared.UUID_Structured{MostSignificantBits: most, LeastSignificantBits: least}}},
			StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(r.stream)},
			StreamRevision:   r.revision, PreparePosition: r.position, CommitPosition: r.position,
			Metadata: r.meta, CustomMetadata: r.custom, Data: r.data,
		},
		Position: &streams.ReadResp_ReadEvent_CommitPosition{CommitPosition: r.position},
	}}}
}

// Read implements the Streams/Read RPC: stream reads, $all reads and
// $all subscriptions.
func (s *Server) Read(req *streams.ReadReq, out streams.Streams_ReadServer) error {
	o := req.GetOptions()
	backwards := o.GetReadDirection() == streams.ReadReq_Options_Backwards
	if st := o.GetStream(); st != nil {
		if o.GetSubscription() != nil {
			return status.Error(codes.Unimplemented, "stream subscriptions are not part of this double")
		}
		name := string(st.GetStreamIdentifier().GetStreamName())
		s.mu.Lock()
		recs := append([]*record(nil), s.byName[name]...)
		s.mu.Unlock()
		if len(recs) == 0 {
			return out.Send(&streams.ReadResp{Content: &streams.ReadResp_StreamNotFound_{StreamNotFound: &streams.ReadResp_StreamNotFound{StreamIdentifier: st.GetStreamIdentifier()}}})
		}
		var selected []*record
		switch {
		case backwards && st.GetEnd() != nil:
			for i := len(recs) - 1; i >= 0; i-- {
				selected = append(selected, recs[i])
			}
		case backwards:
			for i := len(recs) - 1; i >= 0; i-- {
				if recs[i].revision <= st.GetRevision() {
					selected = append(selected, recs[i])
				}
			}
		case st.GetStart() != nil:
			selected = recs
		default:
			for _, r := range recs {
				if r.revision >= st.GetRevision() {
					selected = append(selected, r)
				}
			}
		}
		return send(out, selected, o.GetCount())
	}
	all := o.GetAll()
	if all == nil {
		return status.Error(codes.InvalidArgument, "read needs a stream or $all")
	}
	if o.GetSubscription() != nil {
		return s.subscribe(out, all, o.GetFilter())
	}
	s.mu.Lock()
	recs := append([]*record(nil), s.log...)
	s.mu.Unlock()
	var selected []*record
	switch {
	case backwards:
		for i := len(recs) - 1; i >= 0; i-- {
			if all.GetEnd() != nil || all.GetPosition() != nil && recs[i].position < all.GetPosition().GetCommitPosition() {
				selected = append(selected, recs[i])
			}
		}
	case all.GetPosition() != nil:
		for _, r := range recs {
			if r.position >= all.GetPosition().GetCommitPosition() {
				selected = append(selected, r)
			}
		}
	case all.GetEnd() == nil:
		selected = recs
	}
	return send(out, selected, o.GetCount())
}

func send(out streams.Streams_ReadServer, recs []*record, count uint64) error {
	for i, r := range recs {
		if uint64(i) >= count {
			return nil
		}
		if err := out.Send(toProto(r)); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) subscribe(out streams.Streams_ReadServer, all *streams.ReadReq_Options_AllOptions, filter *streams.ReadReq_Options_FilterOptions) error {
	if err := out.Send(&streams.ReadResp{Content: &streams.ReadResp_Confirmation{Confirmation: &streams.ReadResp_SubscriptionConfirmation{SubscriptionId: fmt.Sprint(time.Now().UnixNano())}}}); err != nil {
		return err
	}
	var after uint64
	started := all.GetStart() != nil
	if p := all.GetPosition(); p != nil {
		after = p.GetCommitPosition()
	} else if all.GetEnd() != nil {
		s.mu.Lock()
		if len(s.log) > 0 {
			after = s.log[len(s.log)-1].position
		}
		s.mu.Unlock()
	}
	prefixes := filter.GetStreamIdentifier().GetPrefix()
	next := 0
	caughtUp := false
	for {
		s.mu.Lock()
		batch := append([]*record(nil), s.log[next:]...)
		next = len(s.log)
		wake := s.changed
		s.mu.Unlock()
		for _, r := range batch {
			if !started && r.position <= after || !matches(r.stream, prefixes) {
				continue
			}
			if err := out.Send(toProto(r)); err != nil {
				return err
			}
		}
		if !caughtUp {
			caughtUp = true
			if err := out.Send(&streams.ReadResp{Content: &streams.ReadResp_CaughtUp_{CaughtUp: &streams.ReadResp_CaughtUp{}}}); err != nil {
				return err
			}
		}
		select {
		case <-out.Context().Done():
			return nil
		case <-wake:
		}
	}
}

func matches(stream string, prefixes []string) bool {
	if strings.HasPrefix(stream, "$") {
		return false
	}
	if len(prefixes) == 0 {
		return true
	}
	for _, p := range prefixes {
		if strings.HasPrefix(stream, p) {
			return true
		}
	}
	return false
}
