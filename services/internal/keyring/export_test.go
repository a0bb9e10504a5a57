package keyring

// SetAfterTombstone makes f run in Destroy between writing the tombstone
// and overwriting the key; an error from f stops Destroy there, as a crash
// would.
func SetAfterTombstone(k *Keyring, f func() error) { k.afterTombstone = f }

// KeptCalls returns how many calls c has had, and how many times it read
// the key stream for them.
func KeptCalls[T any](c *Kept[T]) (calls, reads uint64) { return c.calls.Load(), c.reads.Load() }

// HoldKept keeps c's calls waiting until the returned func is called.
func HoldKept[T any](c *Kept[T]) (release func()) {
	c.mu.Lock()
	return c.mu.Unlock
}
