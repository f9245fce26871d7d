package persist

// SetMaxPickleSize lowers the size limit of the default pickling for a
// test, and returns the function that restores it.
func SetMaxPickleSize(n int) (restore func()) {
	old := maxPickleSize
	maxPickleSize = n
	return func() { maxPickleSize = old }
}
