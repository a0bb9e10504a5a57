package keyring

// SetAfterTombstone makes f run in Destroy between writing the tombstone
// and overwriting the key; an error from f stops Destroy there, as a crash
// would.
func SetAfterTombstone(k *Keyring, f func() error) { k.afterTombstone = f }
