package keyring

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"

	"github.com/together-coop/together/events/stakeholder"
)

// Remote seals, in a process that does not keep the key stream, by
// asking one that does ([Keyring.ServeNATS]) over NATS: what the
// engagements and feedback services need of a keyring, and no more. It
// cannot open sealed data, nor destroy a person's key.
//
// Its errors are those of a [Keyring] ([ErrKeyDestroyed], [ErrInvalidID]),
// plus [ErrNotAllowed] for what the keys service refuses a remote, and an [UnavailableError] (answered 503) when no keys
// service answers in time. A Remote is safe for concurrent use.
type Remote struct {
	nc      *nats.Conn
	timeout time.Duration
	m       *remoteMetrics
}

// NewRemote returns a Remote asking over nc. Options: [WithNATSTimeout]
// (how long to wait for an answer when ctx allows longer) and
// [WithMetrics]; the others concern the key stream and are ignored.
func NewRemote(nc *nats.Conn, opts ...Option) (*Remote, error) {
	if nc == nil {
		return nil, errors.New("keyring: a remote keyring needs a NATS connection")
	}
	o := defaultOptions()
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	return &Remote{nc: nc, timeout: o.timeout, m: newRemoteMetrics(o.reg)}, nil
}

// Seal asks the keys service to seal plaintext under the key keyID names:
// a stakeholder's id, or a record key (feedback.RecordKeyID). It returns
// what [Keyring.Seal] would; [ErrKeyDestroyed] once the key was
// destroyed.
func (r *Remote) Seal(ctx context.Context, keyID string, plaintext []byte) (stakeholder.Sealed, error) {
	if err := checkID(keyID); err != nil {
		return stakeholder.Sealed{}, err
	}
	if len(plaintext) > MaxRemotePlaintext {
		return stakeholder.Sealed{}, fmt.Errorf("keyring: %d bytes to seal; at most %d cross the bus", len(plaintext), MaxRemotePlaintext)
	}
	data, err := json.Marshal(sealRequest{KeyID: keyID, Plaintext: plaintext})
	if err != nil {
		return stakeholder.Sealed{}, err
	}
	answer, err := r.ask(ctx, "seal", SubjectSeal, data)
	clear(data) // it held the plaintext
	if err != nil {
		return stakeholder.Sealed{}, err
	}
	s, err := decodeSealed(answer, keyID, len(plaintext))
	if err != nil {
		r.m.requests.WithLabelValues("seal", outcomeMalformed).Inc()
		return stakeholder.Sealed{}, err
	}
	r.m.requests.WithLabelValues("seal", outcomeOK).Inc()
	return s, nil
}

// Destroy asks the keys service to destroy the record key keyID (of
// anonymous feedback, on its redaction); destroying twice is harmless, as
// with [Keyring.Destroy]. A person's key is refused with [ErrNotAllowed]:
// erasing someone is the stakeholders service's.
func (r *Remote) Destroy(ctx context.Context, keyID string) error {
	if err := checkID(keyID); err != nil {
		return err
	}
	data, err := json.Marshal(destroyRequest{KeyID: keyID})
	if err != nil {
		return err
	}
	answer, err := r.ask(ctx, "destroy", SubjectDestroy, data)
	if err != nil {
		return err
	}
	if err := decodeDestroyAnswer(answer, keyID); err != nil {
		r.m.requests.WithLabelValues("destroy", outcomeMalformed).Inc()
		return err
	}
	r.m.requests.WithLabelValues("destroy", outcomeOK).Inc()
	return nil
}

// ask sends a request and returns the answer's data, or the error its
// error code stands for. It counts every outcome but a good answer, which
// the caller still checks.
func (r *Remote) ask(ctx context.Context, op, subject string, data []byte) ([]byte, error) {
	start := time.Now()
	defer func() { r.m.duration.WithLabelValues(op).Observe(time.Since(start).Seconds()) }()
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	msg, err := r.nc.RequestWithContext(ctx, subject, data)
	if err != nil {
		r.m.requests.WithLabelValues(op, outcomeUnavailable).Inc()
		switch {
		case errors.Is(err, nats.ErrNoResponders):
			return nil, &UnavailableError{Reason: "no stakeholders service is serving them", Err: err}
		case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout):
			return nil, &UnavailableError{Reason: fmt.Sprintf("the stakeholders service did not answer within %v", r.timeout), Err: err}
		case errors.Is(err, context.Canceled):
			return nil, err
		}
		return nil, &UnavailableError{Reason: "the bus is not reachable", Err: err}
	}
	code := msg.Header.Get(micro.ErrorCodeHeader)
	if code == "" {
		return msg.Data, nil
	}
	r.m.requests.WithLabelValues(op, outcomeOfCode(code)).Inc()
	switch code {
	case codeDestroyed:
		return nil, ErrKeyDestroyed
	case codeNotAllowed:
		return nil, fmt.Errorf("keyring: %s over NATS: %w", op, ErrNotAllowed)
	case codeMalformed:
		return nil, fmt.Errorf("keyring: the keys service found the %s request malformed: %w", op, ErrMalformed)
	case codeUnavailable:
		return nil, &UnavailableError{Reason: "the stakeholders service could not serve the request"}
	}
	return nil, fmt.Errorf("keyring: the keys service answered %s with error code %q: %w", op, code, ErrMalformed)
}
