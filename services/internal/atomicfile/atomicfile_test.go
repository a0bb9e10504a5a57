package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestReplaceAndCreate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "settings")
	for _, data := range []string{"first\n", "second\n"} {
		if err := Replace(path, []byte(data)); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(path); string(got) != data {
			t.Fatalf("after Replace the file holds %q, want %q", got, data)
		}
	}
	key := filepath.Join(dir, "key")
	if made, err := Create(key, []byte("mine")); err != nil || !made {
		t.Fatalf("Create of a new file = %v, %v", made, err)
	}
	if made, err := Create(key, []byte("theirs")); err != nil || made {
		t.Fatalf("Create over an existing file = %v, %v; want false, nil", made, err)
	}
	if got, _ := os.ReadFile(key); string(got) != "mine" {
		t.Errorf("Create replaced the existing file: %q", got)
	}
	for _, p := range []string{path, key} {
		if st, err := os.Stat(p); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, %v; want 0600", p, st.Mode().Perm(), err)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("the directory holds %d files, want the 2 written and no temporary ones", len(entries))
	}
}
