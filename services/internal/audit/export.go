package audit

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
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

// Manifest describes an export; it is written as manifest.json.
type Manifest struct {
	AsOf         time.Time `json:"as_of"`
	Events       uint64    `json:"events"`
	LastPosition uint64    `json:"last_position"`
	// ChainHash is the chain hash over every exported event, as together
	// verify --file reports it.
	ChainHash string   `json:"chain_hash"`
	Files     []string `json:"files"`
}

// Export writes the events of history recorded at or before asOf to
// dir/events.ndjson (one envelope a line, in global order), every report
// as of asOf to dir/reports/<report>.csv, and dir/manifest.json. The
// history is verified on the way: a broken one is not exported.
//
// The export holds sealed personal data and free text, so only its owner
// may read it: dir and dir/reports are made mode 0700 (also a dir that
// existed, empty), and every file 0600.
func Export(history iter.Seq2[events.Envelope, error], registry *events.Registry, asOf time.Time, t programme.Thresholds, dir string) (Manifest, error) {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return Manifest{}, fmt.Errorf("%s is not empty: export into a new folder", dir)
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
	f, err := os.OpenFile(filepath.Join(dir, "events.ndjson"), os.O_WRONLY|os.O_CREATE|os.O_EXCL, privateFile)
	if err != nil {
		return Manifest{}, err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	enc := json.NewEncoder(w)
	v := hashchain.NewVerifier()
	l := ledger.New()
	for e, err := range history {
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
	m.Files = []string{"events.ndjson"}
	c := report.DefaultConfig()
	c.Thresholds = t
	for _, r := range report.All() {
		// Auditors see exact counts: an export is personal data.
		rep := r.Compute(l, projections.Query{AsOf: asOf}, c)
		file := filepath.Join("reports", r.Name+".csv")
		if err := writePrivate(filepath.Join(dir, file), rep.CSV()); err != nil {
			return Manifest{}, err
		}
		m.Files = append(m.Files, file)
	}
	mb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return Manifest{}, err
	}
	if err := writePrivate(filepath.Join(dir, "manifest.json"), append(mb, '\n')); err != nil {
		return Manifest{}, err
	}
	return m, nil
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
