package audit

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"time"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/hashchain"
	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/ledger"
	"github.com/together-coop/together/projections/programme"
	"github.com/together-coop/together/projections/report"
)

// ErrNothingSelected is returned when an export (or a replay) would cover
// no event at all: almost always a moment before the history began, which
// must not pass for an empty but verified history.
var ErrNothingSelected = errors.New("nothing selected")

// nothingSelected explains why no event was selected as of asOf.
func nothingSelected(asOf time.Time, first *events.Envelope) error {
	if first == nil {
		return fmt.Errorf("%w: the history is empty", ErrNothingSelected)
	}
	return fmt.Errorf("%w: no event was recorded at or before %s; the first was recorded at %s (position %d)",
		ErrNothingSelected, asOf.UTC().Format(time.RFC3339), first.RecordedAt.UTC().Format(time.RFC3339), first.Position)
}

// Manifest describes an export; it is written as manifest.json.
type Manifest struct {
	AsOf         time.Time `json:"as_of"`
	Events       uint64    `json:"events"`
	LastPosition uint64    `json:"last_position"`
	// ChainHash is the chain hash over every exported event, as together
	// verify --file reports it.
	ChainHash string `json:"chain_hash"`
	// Files lists every other file of the export with its checksum: a
	// file changed, removed or added is found by together verify --file.
	Files []File `json:"files"`
}

// File is one file of an export.
type File struct {
	// Path is relative to the export's folder, with forward slashes.
	Path string `json:"path"`
	// SHA256 is the lowercase hexadecimal SHA-256 of its bytes.
	SHA256 string `json:"sha256"`
}

// Names of an export's parts.
const (
	EventsFile   = "events.ndjson"
	ManifestFile = "manifest.json"
)

// ExportOption changes how [Export] works.
type ExportOption func(*exportOptions) error

type exportOptions struct {
	allowEmpty bool
}

// AllowEmpty lets [Export] write an export of no event rather than return
// [ErrNothingSelected].
func AllowEmpty() ExportOption {
	return func(o *exportOptions) error { o.allowEmpty = true; return nil }
}

// Export writes the events of history recorded at or before asOf to
// dir/events.ndjson (one envelope a line, in global order), every report
// as of asOf to dir/reports/<report>.csv, and dir/manifest.json with the
// count, last position and chain hash of the events and the SHA-256 of
// every file. The history is verified on the way: a broken one is not
// exported. An export that would hold no event is refused with
// [ErrNothingSelected], and nothing is written, unless [AllowEmpty].
//
// The export holds sealed personal data and free text, so only its owner
// may read it: dir and dir/reports are made mode 0700 (also a dir that
// existed, empty), and every file 0600.
func Export(history iter.Seq2[events.Envelope, error], registry *events.Registry, asOf time.Time, t programme.Thresholds, dir string, opts ...ExportOption) (Manifest, error) {
	var o exportOptions
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return Manifest{}, err
		}
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return Manifest{}, fmt.Errorf("%s is not empty: export into a new folder", dir)
	}
	next, stop := iter.Pull2(history)
	defer stop()
	first, err, ok := next()
	if ok && err != nil {
		return Manifest{}, err
	}
	if !o.allowEmpty && (!ok || first.RecordedAt.After(asOf)) {
		var seen *events.Envelope
		if ok {
			seen = &first
		}
		return Manifest{}, nothingSelected(asOf, seen)
	}
	for _, d := range []string{dir, filepath.Join(dir, "reports")} {
		if err := os.MkdirAll(d, privateDir); err != nil {
			return Manifest{}, err
		}
		// MkdirAll leaves an existing folder as it was and filters a new
		// one's mode through the umask: say it exactly.
		if err := os.Chmod(d, privateDir); err != nil {
			return Manifest{}, err
		}
	}
	m := Manifest{AsOf: asOf.UTC()}
	f, err := os.OpenFile(filepath.Join(dir, EventsFile), os.O_WRONLY|os.O_CREATE|os.O_EXCL, privateFile)
	if err != nil {
		return Manifest{}, err
	}
	defer f.Close()
	sum := sha256.New()
	w := bufio.NewWriterSize(io.MultiWriter(f, sum), 1<<20)
	enc := json.NewEncoder(w)
	v := hashchain.NewVerifier()
	l := ledger.New()
	for e, err := range pushBack(first, ok, next) {
		if err != nil {
			return Manifest{}, err
		}
		if e.RecordedAt.After(asOf) {
			break // recorded times follow the global order
		}
		if err := v.Add(e); err != nil {
			return Manifest{}, fmt.Errorf("the history does not verify, so it is not exported: %w", err)
		}
		p, err := registry.Decode(e)
		if err != nil {
			return Manifest{}, fmt.Errorf("event %s at position %d: %w", e.ID, e.Position, err)
		}
		l.Apply(e, p)
		if err := enc.Encode(e); err != nil {
			return Manifest{}, err
		}
	}
	if err := errors.Join(w.Flush(), f.Sync(), f.Close()); err != nil {
		return Manifest{}, err
	}
	res := v.Result()
	m.Events, m.LastPosition, m.ChainHash = res.Events, res.LastPosition, res.ChainHash
	m.Files = []File{{Path: EventsFile, SHA256: hex.EncodeToString(sum.Sum(nil))}}
	c := report.DefaultConfig()
	c.Thresholds = t
	for _, r := range report.All() {
		// Auditors see exact counts: an export is personal data.
		rep := r.Compute(l, projections.Query{AsOf: asOf}, c)
		file := "reports/" + r.Name + ".csv"
		data := rep.CSV()
		if err := writePrivate(filepath.Join(dir, filepath.FromSlash(file)), data); err != nil {
			return Manifest{}, err
		}
		m.Files = append(m.Files, File{Path: file, SHA256: checksum(data)})
	}
	mb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return Manifest{}, err
	}
	if err := writePrivate(filepath.Join(dir, ManifestFile), append(mb, '\n')); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

// pushBack yields the value already pulled (if ok), then the rest.
func pushBack(first events.Envelope, ok bool, next func() (events.Envelope, error, bool)) iter.Seq2[events.Envelope, error] {
	return func(yield func(events.Envelope, error) bool) {
		if !ok || !yield(first, nil) {
			return
		}
		for {
			e, err, ok := next()
			if !ok || !yield(e, err) || err != nil {
				return
			}
		}
	}
}

func checksum(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

// Modes of what an export writes: its owner's only.
const (
	privateDir  = 0o700
	privateFile = 0o600
)

// writePrivate writes a new file only its owner can read, and syncs it.
func writePrivate(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, privateFile)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	return errors.Join(err, f.Sync(), f.Close())
}
