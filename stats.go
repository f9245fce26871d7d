package persist

import (
	"encoding/json"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/gopersist/persist/internal/percpu"
)

// Stats are what a Memo has done since Decorate, as diskcache's stats and
// joblib's verbose output tell: hits, misses, computations, and the time
// and bytes they took or saved. Every count is of this Memo in this
// process.
type Stats struct {
	// Hits are calls answered from the store; Stale those of them
	// answered by an entry past MaxAge within StaleWhileRefresh.
	Hits, Stale uint64
	// Misses are calls the store could not answer: nothing stored, another
	// version, too old, damaged, a refresh asked for.
	Misses uint64
	// Computes are runs of the function; Waits are calls that waited for
	// another goroutine's run of the same key instead.
	Computes, Waits uint64
	// Refreshes are refreshes begun (WithRefresh, Refresh, or in the
	// background), RefreshErrors those that failed.
	Refreshes, RefreshErrors uint64
	// Errors by kind: Damaged entries found (recomputed unless
	// FailOnDamaged), hash Collisions, StoreErrors (the store failed a
	// read or a write) and NotStored (results that could not be pickled or
	// were too large).
	Damaged, Collisions, StoreErrors, NotStored uint64
	// BytesRead and BytesWritten count stored results' bytes.
	BytesRead, BytesWritten uint64
	// ComputeTime is the time spent running the function; TimeSaved adds,
	// for every hit, the time its entry took to compute (recorded in its
	// Stamp when it was stored; zero for entries written without one).
	ComputeTime, TimeSaved time.Duration
}

// counters are the Memo's Stats as atomic counters. A hit adds to three
// of them, from every goroutine that calls, so those three are kept per P
// (percpu.Set): one shared counter's cache line would move between the
// cores on every hit, and so would the Memo's fields beside it, which
// every hit reads. The others count misses and errors, each of which costs
// far more than its count, and sit together on lines of their own.
type counters struct {
	_                                         [cacheLine]byte // off the Memo's fields before
	stale, misses, computes, waits            atomic.Uint64
	refreshes, refreshErrors                  atomic.Uint64
	damaged, collisions, storeErrors, notKept atomic.Uint64
	bytesWritten                              atomic.Uint64
	computeNanos                              atomic.Int64
	_                                         [cacheLine]byte // and those after
	hits                                      percpu.Set[hitCounts]
}

// cacheLine is a cache line's size, or a multiple of it, on the
// processors Go runs on.
const cacheLine = 128

// hitCounts are one P's share of the hit counters.
type hitCounts struct {
	hits, bytesRead atomic.Uint64
	savedNanos      atomic.Int64
}

// hit counts a hit on an entry of n bytes stamped st.
func (c *counters) hit(n int, st Stamp) {
	c.hits.Use(func(h *hitCounts) {
		h.hits.Add(1)
		h.bytesRead.Add(uint64(n))
		if st.Compute > 0 {
			h.savedNanos.Add(int64(st.Compute))
		}
	})
}

// hitTotals are the sums of the hit counters.
func (c *counters) hitTotals() (hits, bytesRead uint64, saved int64) {
	c.hits.All(func(h *hitCounts) {
		hits += h.hits.Load()
		bytesRead += h.bytesRead.Load()
		saved += h.savedNanos.Load()
	})
	return hits, bytesRead, saved
}

// Stats returns what m has done so far.
func (m *Memo) Stats() Stats {
	c := &m.stats
	hits, bytesRead, saved := c.hitTotals()
	return Stats{
		Hits: hits, Stale: c.stale.Load(), Misses: c.misses.Load(),
		Computes: c.computes.Load(), Waits: c.waits.Load(),
		Refreshes: c.refreshes.Load(), RefreshErrors: c.refreshErrors.Load(),
		Damaged: c.damaged.Load(), Collisions: c.collisions.Load(),
		StoreErrors: c.storeErrors.Load(), NotStored: c.notKept.Load(),
		BytesRead: bytesRead, BytesWritten: c.bytesWritten.Load(),
		ComputeTime: time.Duration(c.computeNanos.Load()), TimeSaved: time.Duration(saved),
	}
}

// String returns s as JSON, so that a Stats is an expvar.Var:
//
//	expvar.Publish("triple", expvar.Func(func() any { return memo.Stats() }))
func (s Stats) String() string {
	b, _ := json.Marshal(s)
	return string(b)
}

// LogValue implements slog.LogValuer: logger.Info("cache", "stats",
// memo.Stats()) logs every count as an attribute of a group.
func (s Stats) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Uint64("hits", s.Hits), slog.Uint64("stale", s.Stale), slog.Uint64("misses", s.Misses),
		slog.Uint64("computes", s.Computes), slog.Uint64("waits", s.Waits),
		slog.Uint64("refreshes", s.Refreshes), slog.Uint64("refresh_errors", s.RefreshErrors),
		slog.Uint64("damaged", s.Damaged), slog.Uint64("collisions", s.Collisions),
		slog.Uint64("store_errors", s.StoreErrors), slog.Uint64("not_stored", s.NotStored),
		slog.Uint64("bytes_read", s.BytesRead), slog.Uint64("bytes_written", s.BytesWritten),
		slog.Duration("compute_time", s.ComputeTime), slog.Duration("time_saved", s.TimeSaved),
	)
}
