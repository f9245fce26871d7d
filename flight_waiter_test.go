package persist_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopersist/persist"
	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/driver"
	"github.com/gopersist/persist/stores/memstore"
)

// gatedLock is a memory driver with a computation lock whose first Lock
// after arm waits for the gate, as a lock held by another process does.
type gatedLock struct {
	driver.Store
	armed   *atomic.Bool
	entered chan struct{}
	gate    chan struct{}
}

func (g gatedLock) Lock(ctx context.Context, fn, hash string) (func(), error) {
	if g.armed.CompareAndSwap(true, false) {
		close(g.entered)
		<-g.gate
	}
	return func() {}, nil
}

func gatedStore(t *testing.T) (*stores.Store, gatedLock) {
	var d driver.Store
	if !memstore.Open(strings.TrimPrefix(memURL(t), "mem://")).As(&d) {
		t.Fatal("As")
	}
	g := gatedLock{d, new(atomic.Bool), make(chan struct{}), make(chan struct{})}
	st := stores.NewStore(g, memURL(t))
	t.Cleanup(func() { _ = st.Close() })
	return st, g
}

// leaderAtTheLock sets up the race the waiter tests need: a leader (a call
// of m1) waits for the store's computation lock, as when another process
// holds it, while another memo of the same function (another process, in
// effect) stores the entry. It returns m1's function and memo, the
// leader's answer to come, the value stored, and the gate that lets the
// leader in: it will find the entry stored.
func leaderAtTheLock(t *testing.T) (f1 func(context.Context, int) int, m1 *persist.Memo, lead <-chan int, stored int, g gatedLock) {
	st, g := gatedStore(t)
	var calls atomic.Int32
	fn := func(ctx context.Context, x int) int { time.Sleep(time.Millisecond); return int(calls.Add(1)) }
	opts := persist.Options{Store: st, FuncName: "gated"}
	f1, m1, err := persist.Wrap(fn, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m1.Close() })
	f2, m2, err := persist.Wrap(fn, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m2.Close() })
	g.armed.Store(true)
	leader := make(chan int, 1)
	go func() { leader <- f1(context.Background(), 1) }()
	<-g.entered
	return f1, m1, leader, f2(context.Background(), 1), g
}

// waiterGetsLeadersStoredFind has a call with ctxOf() join the flight of
// leaderAtTheLock's leader, wait after the entry was stored, and returns
// what the waiter got and what was stored.
func waiterGetsLeadersStoredFind(t *testing.T, wait time.Duration, ctxOf func() context.Context) (got, stored int) {
	f1, m1, lead, stored, g := leaderAtTheLock(t)
	time.Sleep(wait)
	res := make(chan int)
	go func() { res <- f1(ctxOf(), 1) }()
	for persist.FlightWaiters(m1) < 1 {
		time.Sleep(time.Millisecond)
	}
	close(g.gate)
	<-lead
	return <-res, stored
}

// TestFlightRefreshWaiter checks that a WithRefresh call that joins a
// flight whose leader found an entry stored before the refresh began does
// not get that entry: it computes.
func TestFlightRefreshWaiter(t *testing.T) {
	got, stored := waiterGetsLeadersStoredFind(t, 20*time.Millisecond, func() context.Context {
		return persist.WithRefresh(context.Background())
	})
	if got == stored {
		t.Errorf("the refresh returned %d, the entry stored before it began, not a fresh computation", got)
	}
}

// TestFlightMaxAgeWaiter checks that a call WithMaxAge(5ms) that joins
// such a flight 50ms after the entry was stored does not get the entry,
// which a hit would refuse as too old.
func TestFlightMaxAgeWaiter(t *testing.T) {
	got, stored := waiterGetsLeadersStoredFind(t, 50*time.Millisecond, func() context.Context {
		return persist.WithMaxAge(context.Background(), 5*time.Millisecond)
	})
	if got == stored {
		t.Errorf("the WithMaxAge(5ms) call returned %d, the entry stored 50ms before, which its own lookup refuses", got)
	}
}

// TestFlightRefusingWaiters has several waiters refuse the entry the
// leader found (a refresh, an age of 1 ns): none gets it, none hangs, and
// Stats counts each call that waited once, however many rounds it waited.
func TestFlightRefusingWaiters(t *testing.T) {
	f1, m1, lead, stored, g := leaderAtTheLock(t)
	time.Sleep(20 * time.Millisecond)
	const W = 6
	var wg sync.WaitGroup
	got := make([]int, W)
	for i := range W {
		wg.Go(func() {
			ctx := context.Background()
			switch i % 2 {
			case 0:
				ctx = persist.WithRefresh(ctx)
			case 1:
				ctx = persist.WithMaxAge(ctx, time.Nanosecond)
			}
			got[i] = f1(ctx, 1)
		})
	}
	for persist.FlightWaiters(m1) < W {
		time.Sleep(time.Millisecond)
	}
	close(g.gate)
	<-lead
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("waiters hang")
	}
	if w := m1.Stats().Waits; w > W {
		t.Errorf("Stats.Waits = %d for %d calls that waited: a waiter that went round again is counted twice", w, W)
	}
	for i, v := range got {
		if v == stored {
			t.Errorf("waiter %d got the refused entry", i)
		}
	}
}
