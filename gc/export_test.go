package gc

// SetStatChunk sets how many blobs planBlobs stats at once, until the
// returned function restores it. Tests that call it must not run in
// parallel.
func SetStatChunk(n int) (restore func()) {
	old := statChunk
	statChunk = n
	return func() { statChunk = old }
}
