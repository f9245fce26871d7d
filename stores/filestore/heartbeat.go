//go:build unix

package filestore

import (
	"sync"
	"time"
)

// heartbeats refreshes the modification time of every lock a store
// holds, every third of the staleness limit, so that waiters can tell a
// live holder from a dead one. One timer serves them all, armed while
// any is held: a lock costs its miss a map entry, not a timer of its own
// to make, arm and stop (and the runtime's timer heap to update twice),
// which a miss, over long before the first refresh, never needs.
type heartbeats struct {
	// mu is held while a refresh runs, so that once stopHeartbeat returns
	// the lock file is not touched again.
	mu    sync.Mutex
	locks map[*heldLock]struct{}
	timer *time.Timer // nil while no lock is held
}

// period is the time between two refreshes of a lock; a lock is first
// refreshed within one period of its start.
func (s *Driver) period() time.Duration { return max(s.opts.LockStale/3, time.Millisecond) }

// startHeartbeat has the lock h refreshed from now on.
func (s *Driver) startHeartbeat(h *heldLock) {
	b := &s.beats
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.locks == nil {
		b.locks = make(map[*heldLock]struct{})
	}
	b.locks[h] = struct{}{}
	if b.timer == nil {
		b.timer = time.AfterFunc(s.period(), s.beat)
	}
}

// stopHeartbeat stops refreshing h. Once it returns, the lock file is not
// touched again (a refresh under way has finished).
func (s *Driver) stopHeartbeat(h *heldLock) {
	b := &s.beats
	b.mu.Lock()
	delete(b.locks, h)
	b.mu.Unlock()
}

// beat refreshes every held lock, and arms the timer again while any is
// held. It works on each open lock file, so it never refreshes a lock
// that replaced one of ours.
func (s *Driver) beat() {
	b := &s.beats
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.locks) == 0 {
		b.timer = nil // the next lock arms a new one
		return
	}
	for h := range b.locks {
		if err := touch(h.fd); err != nil {
			s.log.Warn("Cannot refresh a held lock.", "lock", h.path(), "err", err)
		}
	}
	b.timer.Reset(s.period())
}
