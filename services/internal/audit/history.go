package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"os"

	"github.com/together-coop/together/events"
)

// maxLine bounds one line of events.ndjson: an envelope with the largest
// payload the API accepts fits many times over.
const maxLine = 4 << 20

// ReadNDJSON yields the envelopes of an events.ndjson stream, one per
// line, refusing unknown fields and malformed lines with the line number.
func ReadNDJSON(r io.Reader) iter.Seq2[events.Envelope, error] {
	return func(yield func(events.Envelope, error) bool) {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), maxLine)
		line := 0
		for sc.Scan() {
			line++
			if len(sc.Bytes()) == 0 {
				continue
			}
			var e events.Envelope
			if err := events.DecodeStrict(sc.Bytes(), &e); err != nil {
				yield(events.Envelope{}, fmt.Errorf("line %d: %w: %v", line, events.ErrInvalidEvent, err))
				return
			}
			if !yield(e, nil) {
				return
			}
		}
		if err := sc.Err(); err != nil {
			yield(events.Envelope{}, fmt.Errorf("after line %d: %w", line, err))
		}
	}
}

// ReadFile yields the envelopes of an events.ndjson file.
func ReadFile(path string) iter.Seq2[events.Envelope, error] {
	return func(yield func(events.Envelope, error) bool) {
		f, err := os.Open(path)
		if err != nil {
			yield(events.Envelope{}, err)
			return
		}
		defer f.Close()
		for e, err := range ReadNDJSON(f) {
			if !yield(e, err) || err != nil {
				return
			}
		}
	}
}

// LastPosition returns the position of the last event of an events.ndjson
// file, reading only its end: what a progress bar measures against.
func LastPosition(path string) (uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	size := st.Size()
	start := max(size-maxLine, 0)
	tail := make([]byte, size-start)
	if _, err := f.ReadAt(tail, start); err != nil && err != io.EOF {
		return 0, err
	}
	lines := bytes.Split(bytes.TrimRight(tail, "\n"), []byte("\n"))
	var last struct {
		Position uint64 `json:"position"`
	}
	if err := json.Unmarshal(lines[len(lines)-1], &last); err != nil {
		return 0, fmt.Errorf("last line of %s: %w", path, err)
	}
	return last.Position, nil
}
