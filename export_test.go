package persist

// SetMaxPickleSize lowers the size limit of the default pickling for a
// test, and returns the function that restores it.
func SetMaxPickleSize(n int) (restore func()) {
	old := maxPickleSize
	maxPickleSize = n
	return func() { maxPickleSize = old }
}

// FlightWaiters reports how many calls of m wait for another's
// computation now.
func FlightWaiters(m *Memo) int {
	m.flight.mu.Lock()
	defer m.flight.mu.Unlock()
	n := 0
	for _, c := range m.flight.calls {
		n += int(c.waiters.Load())
	}
	return n
}
