package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"time"

	"github.com/together-coop/together/events"
)

// ErrNoManifest is returned by [VerifyExport] for a folder without
// manifest.json.
var ErrNoManifest = errors.New("no manifest.json")

// ExportVerification is the outcome of checking an export: its events'
// chains and seals, and, against its manifest, its count, last position,
// chain hash and every file. OK is false on a break or any problem.
type ExportVerification struct {
	Verification
	// Problems names everything that differs from what it should be,
	// other than a break of the chains: a file changed, missing or
	// added, a count or hash unlike the manifest's, a cut-short file.
	Problems []string `json:"problems,omitempty"`
	// Manifest is the manifest the export was checked against (nil
	// without one).
	Manifest *Manifest `json:"manifest,omitempty"`
}

func (v *ExportVerification) problem(format string, a ...any) {
	v.Problems = append(v.Problems, fmt.Sprintf(format, a...))
	v.OK = false
}

// VerifyFile checks an events.ndjson file alone: every event's hash, the
// chains and the seals, and that the file is whole (a last line cut short
// is a problem, not an error). Without a manifest it cannot tell that
// whole lines were cut from its end: [VerifyExport] can.
func VerifyFile(file string, progress func(events, position uint64)) (ExportVerification, error) {
	v, _, err := verifyEvents(file, progress)
	return v, err
}

// VerifyExport checks an export folder against its manifest.json: the
// events as [VerifyFile] does, then that their count, last position and
// chain hash are the manifest's, that no event was recorded after its
// as_of, and that the folder holds exactly the files the manifest lists,
// each with its SHA-256. Every difference is a problem. An error is
// returned only when the folder or a file cannot be read at all
// ([ErrNoManifest] without a manifest).
func VerifyExport(dir string, progress func(events, position uint64)) (ExportVerification, error) {
	raw, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return ExportVerification{}, fmt.Errorf("%w in %s", ErrNoManifest, dir)
	}
	if err != nil {
		return ExportVerification{}, err
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		v := ExportVerification{}
		v.problem("manifest.json cannot be read (%v): an export by an older version has no checksums; export again", err)
		return v, nil
	}
	v, lastRecorded, err := verifyEvents(filepath.Join(dir, EventsFile), progress)
	if err != nil {
		return ExportVerification{}, err
	}
	v.Manifest = &m
	r := v.Result
	if v.Break == nil {
		if r.Events != m.Events {
			v.problem("events.ndjson holds %d events, manifest.json says %d: events were removed or added", r.Events, m.Events)
		}
		if r.LastPosition != m.LastPosition {
			v.problem("the last event is at position %d, manifest.json says %d", r.LastPosition, m.LastPosition)
		}
		if r.ChainHash != m.ChainHash {
			v.problem("the chain hash is %s, manifest.json says %s", r.ChainHash, m.ChainHash)
		}
		if lastRecorded.After(m.AsOf) {
			v.problem("an event was recorded at %s, after the export's as_of %s", lastRecorded.Format(time.RFC3339Nano), m.AsOf.Format(time.RFC3339Nano))
		}
	}
	if err := checkFiles(dir, m, &v); err != nil {
		return ExportVerification{}, err
	}
	return v, nil
}

// checkFiles compares the folder with the manifest's list of files.
func checkFiles(dir string, m Manifest, v *ExportVerification) error {
	listed := map[string]bool{}
	if !slices.ContainsFunc(m.Files, func(f File) bool { return f.Path == EventsFile }) {
		v.problem("manifest.json does not list %s", EventsFile)
	}
	for _, f := range m.Files {
		// The manifest is input: a path that leaves the folder is not
		// followed.
		if !fs.ValidPath(f.Path) || f.Path == "." || f.Path == ManifestFile || path.Clean(f.Path) != f.Path {
			v.problem("manifest.json lists %q, which is not a file of the export", f.Path)
			continue
		}
		if listed[f.Path] {
			v.problem("manifest.json lists %s twice", f.Path)
			continue
		}
		listed[f.Path] = true
		sum, err := fileSHA256(filepath.Join(dir, filepath.FromSlash(f.Path)))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			v.problem("%s is missing (manifest.json lists it)", f.Path)
		case err != nil:
			return err
		case sum != f.SHA256:
			v.problem("%s was changed: its SHA-256 is %s, manifest.json says %s", f.Path, sum, f.SHA256)
		}
	}
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() || rel == ManifestFile || listed[rel] {
			return nil
		}
		v.problem("%s is not in manifest.json: it was added to the export", rel)
		return nil
	})
}

func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// verifyEvents verifies an events.ndjson file. A file that cannot be
// parsed to its end, or whose last line has no line break, is a problem:
// it was cut short or damaged. It also returns the latest recorded time.
func verifyEvents(file string, progress func(events, position uint64)) (ExportVerification, time.Time, error) {
	f, err := os.Open(file)
	if err != nil {
		return ExportVerification{}, time.Time{}, err
	}
	defer f.Close()
	var last time.Time
	var readErr error
	history := func(yield func(events.Envelope, error) bool) {
		for e, err := range ReadNDJSON(f) {
			if err != nil {
				readErr = err
				return
			}
			if e.RecordedAt.After(last) {
				last = e.RecordedAt
			}
			if !yield(e, nil) {
				return
			}
		}
	}
	res, err := Verify(history, progress)
	if err != nil {
		return ExportVerification{}, time.Time{}, err
	}
	v := ExportVerification{Verification: res}
	name := filepath.Base(file)
	if readErr != nil && res.Break == nil {
		v.problem("%s is cut short or damaged after %d events: %v", name, res.Result.Events, readErr)
	}
	if readErr == nil && res.Break == nil {
		whole, err := endsWithNewline(f)
		if err != nil {
			return ExportVerification{}, time.Time{}, err
		}
		if !whole {
			v.problem("%s does not end with a line break: it was cut short", name)
		}
	}
	return v, last, nil
}

// endsWithNewline reports whether a file is empty or ends with "\n".
func endsWithNewline(f *os.File) (bool, error) {
	st, err := f.Stat()
	if err != nil {
		return false, err
	}
	if st.Size() == 0 {
		return true, nil
	}
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, st.Size()-1); err != nil {
		return false, err
	}
	return b[0] == '\n', nil
}
