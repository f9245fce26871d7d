package stores

import (
	"sync/atomic"
	"time"
)

// The memory tier's clock for its TTL check. Reading the system's clock is
// a quarter of a tier hit's cost (about 25 ns of 100 on the project's test
// machine), so a hit reads a time that a ticking goroutine stores every
// clockTick instead: an atomic load. The goroutine runs only while hits
// read it: a tick that finds no hit since the last one ends it, and the
// next hit, which then reads the system's clock itself, starts it again.
// The time read lags the system's by a tick, and by as long as the
// scheduler delays the goroutine, so an entry may be trusted that much
// longer than its TTL; a TTL shorter than coarseMinTTL, for which that
// would matter, reads the system's clock on every hit.

const (
	clockTick    = 10 * time.Millisecond
	coarseMinTTL = 100 * clockTick
)

var (
	clockBase    = time.Now()
	clockNow     atomic.Int64 // nanoseconds since clockBase at the last tick
	clockRunning atomic.Bool
	clockRead    atomic.Bool // a hit read the clock since the last tick
)

// preciseNow is the system's monotonic clock, in nanoseconds since
// clockBase.
func preciseNow() int64 { return int64(time.Since(clockBase)) }

// coarseNow is preciseNow as of the last tick.
func coarseNow() int64 {
	if !clockRead.Load() { // a store only when it changes: hits share the line
		clockRead.Store(true)
	}
	if clockRunning.Load() {
		return clockNow.Load()
	}
	now := preciseNow()
	clockNow.Store(now)
	if clockRunning.CompareAndSwap(false, true) {
		go tick()
	}
	return now
}

// tick keeps clockNow until a tick passes without a hit.
func tick() {
	t := time.NewTicker(clockTick)
	defer t.Stop()
	for range t.C {
		clockNow.Store(preciseNow())
		if !clockRead.Swap(false) {
			// A hit between the Swap and this Store read a time just
			// stored; one after it starts another goroutine.
			clockRunning.Store(false)
			return
		}
	}
}
