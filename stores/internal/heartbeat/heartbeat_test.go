package heartbeat_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopersist/persist/stores/internal/heartbeat"
)

// TestHold renews until unlock, releases once, and has no renewal after
// the release.
func TestHold(t *testing.T) {
	var wg sync.WaitGroup
	var renewals, releases atomic.Int32
	var released atomic.Bool
	wg.Add(1)
	unlock := heartbeat.Hold(&wg, make(chan struct{}), 30*time.Millisecond, func() bool {
		if released.Load() {
			t.Error("a renewal after the release")
		}
		renewals.Add(1)
		return true
	}, func() { released.Store(true); releases.Add(1) })
	time.Sleep(100 * time.Millisecond)
	unlock()
	unlock()
	wg.Wait()
	if renewals.Load() < 2 || releases.Load() != 1 {
		t.Errorf("%d renewals, %d releases; want several and one", renewals.Load(), releases.Load())
	}
}

// TestHoldEnds stops renewing when the store closes and when a renewal
// finds the lease lost.
func TestHoldEnds(t *testing.T) {
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Add(2)
	heartbeat.Hold(&wg, done, 30*time.Millisecond, func() bool { return true }, func() {})
	var renewals atomic.Int32
	heartbeat.Hold(&wg, make(chan struct{}), 30*time.Millisecond, func() bool { renewals.Add(1); return false }, func() {})
	close(done)
	ended := make(chan struct{})
	go func() { wg.Wait(); close(ended) }()
	select {
	case <-ended:
	case <-time.After(5 * time.Second):
		t.Fatal("renewals went on after the store closed or the lease was lost")
	}
	if renewals.Load() != 1 {
		t.Errorf("%d renewals of a lost lease, want 1", renewals.Load())
	}
}
