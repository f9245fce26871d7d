package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopersist/persist/stores"
)

// lockWait bounds how long a Lock that must succeed may take: long enough
// for a polling store on a loaded machine, short enough to end a hung test.
const lockWait = 60 * time.Second

// locker opens a handle that can lock, skipping t when the store cannot
// (ErrorCodes tests the fallback, ErrUnsupported).
func (s *suite) locker(t *testing.T) *stores.Store {
	t.Helper()
	st := s.handle(t)
	if !st.CanLock() {
		t.Skipf("%s cannot lock across processes (CanLock is false)", st.URL())
	}
	return st
}

// lock takes the lock of (fn, hash) or fails the test.
func lock(t *testing.T, l *stores.Store, fn, hash string) func() {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), lockWait)
	defer cancel()
	unlock, err := l.Lock(ctx, fn, hash)
	if err != nil {
		t.Fatalf("Lock(%s, %q): %v", fn, hash, err)
	}
	return unlock
}

func testLock(t *testing.T, s *suite) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s *suite)
	}{
		{"Excludes", testLockExcludes},
		{"HandsOver", testLockHandsOver},
		{"Cancel", testLockCancel},
		{"Independent", testLockIndependent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, s)
		})
	}
}

// testLockExcludes checks that goroutines on separate handles, as separate
// processes would be, never hold one lock at the same time.
func testLockExcludes(t *testing.T, s *suite) {
	const (
		goroutines = 4
		rounds     = 3
	)
	st := s.locker(t)
	fn := newFunc(t, st)
	lockers := make([]*stores.Store, goroutines)
	for i := range lockers {
		lockers[i] = s.locker(t)
	}
	var holders, entered atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*(rounds+1)) // room for every error a goroutine can send
	for _, l := range lockers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				ctx, cancel := context.WithTimeout(t.Context(), lockWait)
				unlock, err := l.Lock(ctx, fn, "h")
				cancel()
				if err != nil {
					errs <- fmt.Errorf("lock: %w", err)
					return
				}
				entered.Add(1)
				if n := holders.Add(1); n != 1 {
					errs <- fmt.Errorf("%d goroutines hold the lock at once", n)
				}
				time.Sleep(5 * time.Millisecond) // let a broken lock show itself
				holders.Add(-1)
				unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := entered.Load(); n != goroutines*rounds {
		t.Errorf("the lock was taken %d times, want %d", n, goroutines*rounds)
	}
}

// testLockHandsOver checks that a waiter stays out while the lock is held
// and gets in once it is released.
func testLockHandsOver(t *testing.T, s *suite) {
	first, second := s.locker(t), s.locker(t)
	fn := newFunc(t, first)
	unlock := lock(t, first, fn, "h")

	type result struct {
		unlock func()
		err    error
	}
	got := make(chan result, 1)
	var released atomic.Bool
	go func() {
		ctx, cancel := context.WithTimeout(t.Context(), lockWait)
		defer cancel()
		u, err := second.Lock(ctx, fn, "h")
		if err == nil && !released.Load() {
			err = errors.New("lock returned while another handle held the lock")
		}
		got <- result{u, err}
	}()
	time.Sleep(100 * time.Millisecond) // give a broken lock time to let the waiter in
	released.Store(true)
	unlock()
	r := <-got
	if r.err != nil {
		t.Fatalf("waiting Lock: %v", r.err)
	}
	r.unlock()
	// Released again, it can be taken again at once.
	lock(t, first, fn, "h")()
}

// testLockCancel checks that a waiter gives up when its context ends.
func testLockCancel(t *testing.T, s *suite) {
	first, second := s.locker(t), s.locker(t)
	fn := newFunc(t, first)
	unlock := lock(t, first, fn, "h")
	defer unlock()

	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel)
	u, err := second.Lock(ctx, fn, "h")
	if err == nil {
		u()
		t.Fatal("Lock returned while another handle held the lock")
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Lock whose context was cancelled while waiting: err = %v, want context.Canceled", err)
	}

	ctx, cancel = context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	u, err = second.Lock(ctx, fn, "h")
	if err == nil {
		u()
		t.Fatal("Lock returned while another handle held the lock")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Lock whose context expired while waiting: err = %v, want context.DeadlineExceeded", err)
	}
}

// testLockIndependent checks that locks of different hashes or funcnames do
// not wait for each other.
func testLockIndependent(t *testing.T, s *suite) {
	l := s.locker(t)
	fn, other := newFunc(t, l), newFunc(t, l)
	unlocks := []func(){
		lock(t, l, fn, "h1"),
		lock(t, l, fn, "h2"),
		lock(t, l, other, "h1"),
	}
	for _, u := range unlocks {
		u()
	}
}
