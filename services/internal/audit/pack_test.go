package audit_test

import (
	"bytes"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"

	"github.com/together-coop/together/projections/disclosure"
	"github.com/together-coop/together/projections/historytest"
	"github.com/together-coop/together/projections/ledger"
	"github.com/together-coop/together/projections/report"
	"github.com/together-coop/together/services/internal/audit"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// storyPack is the annual pack of 2026 built from the hand-counted story,
// as of the end of March.
func storyPack(t *testing.T) []audit.PackFile {
	t.Helper()
	files, err := audit.Pack(historytest.Story().Ledger(), 2026, historytest.Day(31), nil, disclosure.NHSEngland(), report.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestPackGolden compares every file of the story's pack with
// testdata/pack; run with -update after checking a change by eye (open
// the HTML in a browser and print it).
func TestPackGolden(t *testing.T) {
	files := storyPack(t)
	golden := filepath.Join("testdata", "pack")
	if *update {
		if err := os.RemoveAll(golden); err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			p := filepath.Join(golden, filepath.FromSlash(f.Path))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	var want []string
	err := filepath.WalkDir(golden, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(golden, p)
			want = append(want, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatalf("%v (run with -update to create the golden files)", err)
	}
	var got []string
	for _, f := range files {
		got = append(got, f.Path)
		wantData, err := os.ReadFile(filepath.Join(golden, filepath.FromSlash(f.Path)))
		if err != nil {
			continue // reported as a difference of the file lists
		}
		if diff := cmp.Diff(string(wantData), string(f.Data)); diff != "" {
			t.Errorf("%s differs from its golden file (-want +got):\n%s", f.Path, diff)
		}
	}
	if diff := cmp.Diff(want, got, cmpSorted); diff != "" {
		t.Errorf("the pack's files differ from the golden ones (-want +got):\n%s", diff)
	}
}

var cmpSorted = cmp.Transformer("sort", func(in []string) []string {
	out := append([]string(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
})

// TestPackContents checks what the golden files must show whatever their
// layout: a folder per programme, every report, the byte-order mark,
// suppressed counts, and an HTML document whose tables have captions and
// headers with scope.
func TestPackContents(t *testing.T) {
	byPath := map[string][]byte{}
	for _, f := range storyPack(t) {
		byPath[f.Path] = f.Data
	}
	for _, programme := range []string{"north", "south"} {
		for _, name := range report.Names() {
			data, ok := byPath[programme+"/"+name+".csv"]
			if !ok {
				t.Errorf("no %s/%s.csv", programme, name)
				continue
			}
			if !bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
				t.Errorf("%s/%s.csv does not start with a UTF-8 byte-order mark", programme, name)
			}
		}
	}
	participation := string(byPath["north/participation.csv"])
	for _, want := range []string{"counts,\"suppressed: 1 to 7 shown as *, others rounded to the nearest 5\"", "participants,*", "scope.programme,North",
		"from,2026-01-01T00:00:00Z", "to,2027-01-01T00:00:00Z"} {
		if !strings.Contains(participation, want) {
			t.Errorf("north/participation.csv lacks %q:\n%s", want, participation)
		}
	}

	page := byPath["north/involvement-2026.html"]
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var tables, captions, scoped, unscoped, h2 int
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "table":
				tables++
			case "caption":
				captions++
			case "h2":
				h2++
			case "th":
				if attr(n, "scope") == "col" || attr(n, "scope") == "row" {
					scoped++
				} else {
					unscoped++
				}
			case "link", "script", "img":
				t.Errorf("the document loads %s: it must stand alone", n.Data)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if tables < len(report.Names())-1 || captions != tables || scoped == 0 || unscoped != 0 || h2 < len(report.Names()) {
		t.Errorf("north's document has %d tables, %d captions, %d th with scope and %d without, %d h2", tables, captions, scoped, unscoped, h2)
	}
	for _, want := range []string{"Involvement in North, 2026", "1 January 2026 to 31 December 2026", "Letters", "Waiting",
		"@media print", "Participants who are carers", "Effective voices"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("north's document lacks %q", want)
		}
	}
	if bytes.Contains(page, []byte("Parking")) {
		t.Error("north's document names South's project")
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func TestPackWindowAndNothing(t *testing.T) {
	l := historytest.Story().Ledger()
	// 2025 is before the story: the pack is written, and says there was
	// nothing.
	files, err := audit.Pack(l, 2025, historytest.Day(31), nil, disclosure.NHSEngland(), report.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f.Path == "north/participation.csv" && !strings.Contains(string(f.Data), "participants,0") {
			t.Errorf("2025 has participants:\n%s", f.Data)
		}
	}
	// As of a moment before any project was known, there is no
	// programme to report on.
	if _, err := audit.Pack(l, 2026, time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), nil, disclosure.NHSEngland(), report.DefaultConfig()); !errors.Is(err, audit.ErrNothingSelected) {
		t.Errorf("pack before any programme: %v, want ErrNothingSelected", err)
	}
	if _, err := audit.Pack(ledger.New(), 26, historytest.Day(31), nil, disclosure.NHSEngland(), report.DefaultConfig()); err == nil {
		t.Error("a two-digit year was accepted")
	}
	dir := filepath.Join(t.TempDir(), "pack")
	if err := audit.WritePack(dir, storyPack(t)); err != nil {
		t.Fatal(err)
	}
	if err := audit.WritePack(dir, storyPack(t)); err == nil {
		t.Error("a pack was written over another")
	}
	fi, err := os.Stat(filepath.Join(dir, "north", "involvement-2026.html"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the pack's document: %v, mode %v", err, fi.Mode().Perm())
	}
}
