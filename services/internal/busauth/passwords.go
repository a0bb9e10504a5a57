package busauth

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"

	"github.com/together-coop/together/services/internal/atomicfile"
)

var (
	// ErrUnknownRole is returned for a name that is no [Role].
	ErrUnknownRole = errors.New("unknown NATS role")
	// ErrBadPassword is returned for a password that is too short or
	// holds characters the server configuration could misread.
	ErrBadPassword = errors.New("unusable NATS password")
	// ErrInsecureFile is returned for a password file that others than
	// its owner may read or write.
	ErrInsecureFile = errors.New("password file is open to others")
)

// MinPasswordLen is the shortest password accepted. Generated ones are 64
// hex digits (256 bits).
const MinPasswordLen = 24

// Passwords are the NATS passwords of the roles.
type Passwords map[Role]string

// GeneratePasswords returns a fresh random password for every role.
func GeneratePasswords() (Passwords, error) {
	p := Passwords{}
	for _, r := range Roles() {
		pw, err := randomPassword()
		if err != nil {
			return nil, err
		}
		p[r] = pw
	}
	return p, nil
}

func randomPassword() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate a NATS password: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// Validate checks that every role has a usable password.
func (p Passwords) Validate() error {
	for _, r := range Roles() {
		if err := CheckPassword(p[r]); err != nil {
			return fmt.Errorf("password of %s: %w", r, err)
		}
	}
	for r := range p {
		if !slices.Contains(Roles(), r) {
			return fmt.Errorf("%w: %q", ErrUnknownRole, r)
		}
	}
	return nil
}

// CheckPassword accepts a password of at least [MinPasswordLen]
// characters from A-Z a-z 0-9 and - _ . ~ + / =: what hex, base64 and
// base64url produce, and nothing a configuration file could misread.
func CheckPassword(pw string) error {
	if len(pw) < MinPasswordLen {
		return fmt.Errorf("%w: shorter than %d characters", ErrBadPassword, MinPasswordLen)
	}
	for _, c := range pw {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' || c == '+' || c == '/' || c == '='
		if !ok {
			return fmt.Errorf("%w: only A-Z a-z 0-9 - _ . ~ + / = may be used", ErrBadPassword)
		}
	}
	return nil
}

// passwordFile is the JSON of a password file: role name to password.
type passwordFile map[string]string

// DecodePasswords reads a password file's content.
func DecodePasswords(data []byte) (Passwords, error) {
	var f passwordFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("password file: %w", err)
	}
	p := Passwords{}
	for name, pw := range f {
		r, err := ParseRole(name)
		if err != nil {
			return nil, fmt.Errorf("password file: %w", err)
		}
		p[r] = pw
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("password file: %w", err)
	}
	return p, nil
}

// LoadOrCreatePasswords reads the password file at path, or creates it
// (mode 0600, generated passwords) if it does not exist. It refuses a file
// that its group or others may read or write, since whoever reads it owns
// the bus. A file missing some role gets that role's password added.
func LoadOrCreatePasswords(path string) (Passwords, error) {
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		p, err := GeneratePasswords()
		if err != nil {
			return nil, err
		}
		return p, writePasswords(path, p)
	case err != nil:
		return nil, err
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %v; chmod 600 it", ErrInsecureFile, path, info.Mode().Perm())
	}
	var f passwordFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("password file %s: %w", path, err)
	}
	added := false
	for _, r := range Roles() {
		if _, ok := f[string(r)]; !ok {
			if f == nil {
				f = passwordFile{}
			}
			if f[string(r)], err = randomPassword(); err != nil {
				return nil, err
			}
			added = true
		}
	}
	data, _ = json.Marshal(f)
	p, err := DecodePasswords(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if added {
		return p, writePasswords(path, p)
	}
	return p, nil
}

// writePasswords replaces the file at path atomically, readable by its
// owner only.
func writePasswords(path string, p Passwords) error {
	f := passwordFile{}
	for r, pw := range p {
		f[string(r)] = pw
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Replace(path, append(data, '\n')); err != nil {
		return fmt.Errorf("write password file: %w", err)
	}
	return nil
}
