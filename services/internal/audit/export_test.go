package audit_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/catalogue"
	"github.com/together-coop/together/projections/programme"
	"github.com/together-coop/together/services/internal/audit"
)

// TestExportIsPrivate checks that nobody but the owner can read an
// export, whether Export makes its folder or is given an empty one.
func TestExportIsPrivate(t *testing.T) {
	given := filepath.Join(t.TempDir(), "given")
	if err := os.Mkdir(given, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(given, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, dir := range map[string]string{"new folder": filepath.Join(t.TempDir(), "a", "export"), "empty folder given": given} {
		t.Run(name, func(t *testing.T) {
			none := func(func(events.Envelope, error) bool) {}
			if _, err := audit.Export(none, catalogue.New(), time.Now(), programme.DefaultThresholds(), dir, audit.AllowEmpty()); err != nil {
				t.Fatal(err)
			}
			files := 0
			err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				fi, err := d.Info()
				if err != nil {
					return err
				}
				want := os.FileMode(0o600)
				if d.IsDir() {
					want = 0o700
				} else {
					files++
				}
				if got := fi.Mode().Perm(); got != want {
					t.Errorf("%s has mode %04o, want %04o", path, got, want)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if files < 3 {
				t.Errorf("export wrote %d files, want events, reports and manifest", files)
			}
		})
	}
}
