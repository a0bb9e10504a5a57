package keyring

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/together-coop/together/services/internal/atomicfile"
)

// DefaultKeyFile returns where the key file lives unless configured: in
// the user's configuration directory ($XDG_CONFIG_HOME/together/key,
// usually ~/.config/together/key), never in a data directory, so that a
// backup or copy of the data does not carry the key that opens it.
func DefaultKeyFile() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("default key file: %w", err)
	}
	return filepath.Join(dir, "together", "key"), nil
}

// LoadOrCreateKeyFile reads the key-encryption key from the file at path,
// creating the file with a new random key if there is none (created is
// then true). A created file is mode 0600, and a directory created for it
// 0700.
//
// The file holds the key as one line of standard base64. A file that the
// group or others may read or write, or one in a directory others may
// write without the sticky bit (they could swap the key), is refused with
// [ErrKeyFileExposed] and a message saying how to fix it; a file that does
// not hold a key, with [ErrInvalidKEK].
func LoadOrCreateKeyFile(path string) (kek KEK, created bool, err error) {
	if path == "" {
		return KEK{}, false, errors.New("no key file given")
	}
	dir := filepath.Dir(path)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if err := makeKeyDir(dir); err != nil {
			return KEK{}, false, err
		}
		created, err = createKeyFile(path)
		if err != nil {
			return KEK{}, false, err
		}
	} else if err != nil {
		return KEK{}, false, fmt.Errorf("key file: %w", err)
	}
	if err := checkDir(dir); err != nil {
		return KEK{}, false, err
	}
	kek, err = readKeyFile(path)
	return kek, created, err
}

// CheckKeyFileOutside returns [ErrKeyFileInDataDir] if keyFile lies inside
// dataDir (after resolving symbolic links where they exist): every copy of
// the data directory would then carry the key that opens it.
func CheckKeyFileOutside(keyFile, dataDir string) error {
	k, err := resolve(keyFile)
	if err != nil {
		return err
	}
	d, err := resolve(dataDir)
	if err != nil {
		return err
	}
	rel, err := filepath.Rel(d, k)
	if err != nil {
		return nil // on another volume: outside
	}
	if rel == "." || (rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))) {
		return fmt.Errorf("%w: %s is under %s; keep it elsewhere (the default is %s)", ErrKeyFileInDataDir, keyFile, dataDir, defaultForMessage())
	}
	return nil
}

func defaultForMessage() string {
	p, err := DefaultKeyFile()
	if err != nil {
		return "~/.config/together/key"
	}
	return p
}

// resolve makes p absolute and resolves the symbolic links of its longest
// existing prefix.
func resolve(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	rest := ""
	for cur := abs; ; {
		if r, err := filepath.EvalSymlinks(cur); err == nil {
			return filepath.Join(r, rest), nil
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return abs, nil
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
}

func makeKeyDir(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("key file directory: %w", err)
	}
	// MkdirAll's mode is filtered by the umask; say it exactly.
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("key file directory: %w", err)
	}
	return nil
}

// checkDir refuses a directory others may write to without the sticky
// bit: they could replace the key file with one of their own.
func checkDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("key file directory: %w", err)
	}
	if fi.Mode().Perm()&0o022 != 0 && fi.Mode()&fs.ModeSticky == 0 {
		return fmt.Errorf("%w: other users can write to directory %s (mode %04o), so they could replace the key file; run chmod go-w %s or keep the key file elsewhere",
			ErrKeyFileExposed, dir, fi.Mode().Perm(), dir)
	}
	return nil
}

// createKeyFile writes a new key to a temporary file and links it into
// place, so that the key file is never seen half-written and two processes
// creating it at once agree on one key. It reports whether this call made
// the file.
func createKeyFile(path string) (bool, error) {
	kek, err := GenerateKEK()
	if err != nil {
		return false, err
	}
	line := base64.StdEncoding.EncodeToString(kek.key) + "\n"
	created, err := atomicfile.Create(path, []byte(line))
	if err != nil {
		return false, fmt.Errorf("create key file: %w", err)
	}
	return created, nil // not created: somebody else made it first, and theirs is the key
}

func readKeyFile(path string) (KEK, error) {
	f, err := os.Open(path)
	if err != nil {
		return KEK{}, fmt.Errorf("key file: %w", err)
	}
	defer f.Close()
	// Check the file that was opened, not the name, which could be
	// swapped in between.
	fi, err := f.Stat()
	if err != nil {
		return KEK{}, fmt.Errorf("key file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return KEK{}, fmt.Errorf("%w: %s is not a regular file", ErrInvalidKEK, path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return KEK{}, fmt.Errorf("%w: %s has mode %04o, so other users can read or change it; run chmod 600 %s (and, as the key may have been seen, consider the data exposed)",
			ErrKeyFileExposed, path, perm, path)
	}
	data, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return KEK{}, fmt.Errorf("key file: %w", err)
	}
	raw, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(data)))
	if err != nil || len(raw) != KEKSize {
		return KEK{}, fmt.Errorf("%w: %s does not hold a base64 key of %d bytes", ErrInvalidKEK, path, KEKSize)
	}
	return KEK{key: raw}, nil
}
