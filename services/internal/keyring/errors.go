package keyring

import "errors"

// ErrKeyDestroyed is returned when sealing or opening data of a person
// (or record) whose key was destroyed: erased or shredded.
var ErrKeyDestroyed = errors.New("key destroyed: the person was erased")

// ErrWrongKEK is returned by [New] when the key stream was made under
// another key-encryption key: the key file does not belong to this data.
var ErrWrongKEK = errors.New("the key file does not match this data directory's keys")

// ErrInvalidKEK is returned for a key-encryption key of the wrong size or
// a key file that does not hold one.
var ErrInvalidKEK = errors.New("invalid key-encryption key")

// ErrKeyFileExposed is returned by [LoadOrCreateKeyFile] for a key file
// that other users could read, or in a directory they could change.
var ErrKeyFileExposed = errors.New("key file is exposed to other users")

// ErrKeyFileInDataDir is returned by [CheckKeyFileOutside] for a key file
// inside the data directory, where every copy of the data would carry it.
var ErrKeyFileInDataDir = errors.New("key file is inside the data directory")

// ErrInvalidID is returned for a key id that cannot name a key.
var ErrInvalidID = errors.New("invalid key id")
