package app_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/together-coop/together/services/internal/keyring"
)

// keyFile is the key file of every stack and command of these tests, kept
// apart from their data directories as an installation's is, so that a
// restart, or an audit command, on the same data finds its keys.
var keyFile string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "together-keys-")
	if err != nil {
		panic(err)
	}
	keyFile = filepath.Join(dir, "key")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// testKEK returns the key-encryption key in keyFile.
func testKEK(t *testing.T) keyring.KEK {
	t.Helper()
	kek, _, err := keyring.LoadOrCreateKeyFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	return kek
}

// testEnv is the environment of the commands the tests run.
func testEnv(key string) string {
	if key == "TOGETHER_KEY_FILE" {
		return keyFile
	}
	return ""
}
