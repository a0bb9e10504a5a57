package projections

// KeptLen returns how many values x keeps.
func KeptLen[K comparable, V any](x *Kept[K, V]) int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return len(x.kept)
}
