package cli

import (
	"errors"
	"flag"

	"github.com/rs/zerolog"

	"github.com/together-coop/together/services/internal/keyring"
)

// registerKeyFile adds --key-file: where the key-encryption key lives,
// outside any data directory.
func registerKeyFile(fs *flag.FlagSet, env Env) *string {
	def := env("TOGETHER_KEY_FILE")
	if def == "" {
		def, _ = keyring.DefaultKeyFile()
	}
	return fs.String("key-file", def, "file holding the key-encryption key that protects personal data; keep it outside the data directory and back it up apart from the data. Created (mode 0600) if absent (env TOGETHER_KEY_FILE)")
}

// loadKEK reads (creating if needed) the key file, refusing one inside
// dataDir (empty: no data directory to check).
func loadKEK(path, dataDir string, log zerolog.Logger) (keyring.KEK, error) {
	if path == "" {
		return keyring.KEK{}, errors.New("no key file: give --key-file or TOGETHER_KEY_FILE")
	}
	if dataDir != "" {
		if err := keyring.CheckKeyFileOutside(path, dataDir); err != nil {
			return keyring.KEK{}, err
		}
	}
	kek, created, err := keyring.LoadOrCreateKeyFile(path)
	if err != nil {
		return keyring.KEK{}, err
	}
	if created {
		log.Warn().Str("key_file", path).Msg("created a new key file; back it up apart from the data: without it no personal data can be read")
	}
	return kek, nil
}
