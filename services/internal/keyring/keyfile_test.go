package keyring_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/together-coop/together/services/internal/keyring"
)

func TestLoadOrCreateKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "conf", "together", "key")
	kek, created, err := keyring.LoadOrCreateKeyFile(path)
	if err != nil || !created || kek.IsZero() {
		t.Fatalf("LoadOrCreateKeyFile(new) = zero %v, created %v, %v; want a key, created", kek.IsZero(), created, err)
	}
	for p, want := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("mode of %s = %04o, want %04o", p, got, want)
		}
	}
	again, created, err := keyring.LoadOrCreateKeyFile(path)
	if err != nil || created {
		t.Fatalf("LoadOrCreateKeyFile(existing) created %v, %v; want loaded", created, err)
	}
	if !bytes.Equal(again.Derive("x"), kek.Derive("x")) {
		t.Error("the key loaded again differs from the one created")
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("key directory holds %d entries, want the key file only", len(entries))
	}
}

func TestLoadOrCreateKeyFileRefuses(t *testing.T) {
	good := func(t *testing.T) string {
		p := filepath.Join(t.TempDir(), "key")
		if _, _, err := keyring.LoadOrCreateKeyFile(p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name    string
		setup   func(t *testing.T) string
		wantErr error
		wantMsg string
	}{
		{"group-readable file", func(t *testing.T) string {
			p := good(t)
			os.Chmod(p, 0o640)
			return p
		}, keyring.ErrKeyFileExposed, "chmod 600"},
		{"world-readable file", func(t *testing.T) string {
			p := good(t)
			os.Chmod(p, 0o644)
			return p
		}, keyring.ErrKeyFileExposed, "mode 0644"},
		{"directory others can write", func(t *testing.T) string {
			p := good(t)
			os.Chmod(filepath.Dir(p), 0o777)
			t.Cleanup(func() { os.Chmod(filepath.Dir(p), 0o700) })
			return p
		}, keyring.ErrKeyFileExposed, "chmod go-w"},
		{"not a key", func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "key")
			os.WriteFile(p, []byte("hunter2\n"), 0o600)
			return p
		}, keyring.ErrInvalidKEK, "base64"},
		{"short key", func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "key")
			os.WriteFile(p, []byte("AAAA\n"), 0o600)
			return p
		}, keyring.ErrInvalidKEK, "32 bytes"},
		{"a directory", func(t *testing.T) string { return t.TempDir() }, keyring.ErrInvalidKEK, "regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := keyring.LoadOrCreateKeyFile(tt.setup(t))
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("LoadOrCreateKeyFile error = %v, want %v saying %q", err, tt.wantErr, tt.wantMsg)
			}
		})
	}
}

func TestCheckKeyFileOutside(t *testing.T) {
	root := t.TempDir()
	data := filepath.Join(root, "data")
	os.MkdirAll(filepath.Join(data, "nats"), 0o700)
	os.Symlink(data, filepath.Join(root, "link"))
	tests := []struct {
		name    string
		key     string
		wantErr error
	}{
		{"beside", filepath.Join(root, "key"), nil},
		{"sibling with a common prefix", filepath.Join(root, "data-keys", "key"), nil},
		{"inside", filepath.Join(data, "key"), keyring.ErrKeyFileInDataDir},
		{"deep inside, not yet made", filepath.Join(data, "nats", "new", "key"), keyring.ErrKeyFileInDataDir},
		{"inside through a link", filepath.Join(root, "link", "key"), keyring.ErrKeyFileInDataDir},
		{"the data dir itself", data, keyring.ErrKeyFileInDataDir},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := keyring.CheckKeyFileOutside(tt.key, data); !errors.Is(err, tt.wantErr) {
				t.Errorf("CheckKeyFileOutside(%s) = %v, want %v", tt.key, err, tt.wantErr)
			}
		})
	}
}

func TestDefaultKeyFileOutsideData(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(t.TempDir(), "config"))
	p, err := keyring.DefaultKeyFile()
	if err != nil {
		t.Skipf("no configuration directory here: %v", err)
	}
	if !strings.HasPrefix(p, os.Getenv("XDG_CONFIG_HOME")) {
		t.Errorf("DefaultKeyFile() = %s, want it under XDG_CONFIG_HOME", p)
	}
	if err := keyring.CheckKeyFileOutside(p, "./data"); err != nil {
		t.Errorf("the default key file is inside ./data: %v", err)
	}
}

func TestDerive(t *testing.T) {
	kek, err := keyring.NewKEK(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	purposes := []string{keyring.PurposeDataKeyWrap, keyring.PurposeKEKCheck, keyring.PurposeNATSStore, keyring.PurposeSnapshotMAC}
	seen := map[string]string{}
	for _, p := range purposes {
		sub := kek.Derive(p)
		if len(sub) != 32 {
			t.Errorf("Derive(%q) has %d bytes, want 32", p, len(sub))
		}
		if !bytes.Equal(sub, kek.Derive(p)) {
			t.Errorf("Derive(%q) differs between calls", p)
		}
		if bytes.Equal(sub, bytes.Repeat([]byte{7}, 32)) {
			t.Errorf("Derive(%q) is the KEK itself", p)
		}
		if other, ok := seen[string(sub)]; ok {
			t.Errorf("Derive(%q) = Derive(%q)", p, other)
		}
		seen[string(sub)] = p
	}
	if _, err := keyring.NewKEK([]byte("short")); !errors.Is(err, keyring.ErrInvalidKEK) {
		t.Errorf("NewKEK(short) error = %v, want ErrInvalidKEK", err)
	}
}
