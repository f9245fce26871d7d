package persist_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopersist/persist"
)

// TestWaiterWithAnotherKey has two keys share one custom hash: a caller
// that waits on the other key's computation must not take its result, but
// get the HashCollisionError that stored keys give.
func TestWaiterWithAnotherKey(t *testing.T) {
	started := make(chan struct{})
	var once sync.Once
	sq := func(x int) (int, error) {
		once.Do(func() { close(started) })
		time.Sleep(100 * time.Millisecond)
		return x * x, nil
	}
	m, err := persist.Decorate(sq, persist.Options{Cache: memURL(t), FuncName: "sq", StoreKey: true,
		Hash: func(persist.Key) string { return "hello_world" }})
	if err != nil {
		t.Fatal(err)
	}
	first := make(chan any)
	go func() { v, _ := m.Call(3); first <- v }()
	<-started
	v, err := m.Call(4)
	if !errors.Is(err, persist.ErrHashCollision) {
		t.Fatalf("Call(4) while Call(3) computes under the same hash = %v, %v; want a HashCollisionError", v, err)
	}
	if got := <-first; got != 9 {
		t.Fatalf("Call(3) = %v", got)
	}
}

// TestWaiterOutlivesCancelledLeader cancels the caller that computes: a
// caller waiting with a live context still gets the result, and the result
// is stored.
func TestWaiterOutlivesCancelledLeader(t *testing.T) {
	var calls atomic.Int32
	release := make(chan struct{})
	slow := func(ctx context.Context, x int) (int, error) {
		calls.Add(1)
		<-release
		return x + 1, nil
	}
	url := memURL(t)
	f, m, err := persist.Wrap(slow, persist.Options{Cache: url, FuncName: "slow"})
	if err != nil {
		t.Fatal(err)
	}
	leaderCtx, cancel := context.WithCancel(context.Background())
	leaderDone := make(chan error)
	go func() { _, err := f(leaderCtx, 1); leaderDone <- err }()
	for calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	waiter := make(chan int)
	go func() { v, _ := f(context.Background(), 1); waiter <- v }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	close(release)
	<-leaderDone
	if v := <-waiter; v != 2 {
		t.Fatalf("the waiting caller got %d, want 2", v)
	}
	// The leader's context ended first, so the write may finish after the
	// calls return; Close waits for it.
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	m, err = persist.Decorate(slow, persist.Options{Cache: url, FuncName: "slow"})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if n, _ := m.Cache().Len(); n != 1 {
		t.Fatalf("the computed result was not stored after the leader's context ended: Len = %d", n)
	}

	// A waiter whose own context ends stops waiting at once.
	block := make(chan struct{})
	g, _, err := persist.Wrap(func(ctx context.Context, x int) (int, error) { <-block; return x, nil },
		persist.Options{Cache: memURL(t), FuncName: "block"})
	if err != nil {
		t.Fatal(err)
	}
	go g(context.Background(), 1)
	time.Sleep(10 * time.Millisecond)
	short, cancelShort := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancelShort()
	start := time.Now()
	if _, err := g(short, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiter with an expired context: %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("the waiter did not stop when its context ended")
	}
	close(block)
}

// TestWaitersNotGivenLeadersCancellation has the computing caller's
// function return its own context's error, as a function that honours its
// context does: the callers waiting with live contexts must not receive
// it, but compute again, once among them.
func TestWaitersNotGivenLeadersCancellation(t *testing.T) {
	// Each returns the leader's context and what ends it. However the
	// waiters' arrival interleaves with its end, the function runs twice:
	// for the leader, then for one of the waiters.
	for name, leaderContext := range map[string]func() (context.Context, context.CancelFunc){
		"canceled": func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) },
		"deadline": func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			return ctx, func() { <-ctx.Done(); cancel() }
		},
	} {
		t.Run(name, func(t *testing.T) {
			var calls atomic.Int32
			release := make(chan struct{})
			slow := func(ctx context.Context, x int) (int, error) {
				calls.Add(1)
				select {
				case <-ctx.Done():
					return 0, fmt.Errorf("slow(%d): %w", x, ctx.Err())
				case <-release:
					return x + 1, nil
				}
			}
			url := memURL(t)
			f, m, err := persist.Wrap(slow, persist.Options{Cache: url, FuncName: "slow"})
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Clear(); err != nil { // a space of an earlier -count run
				t.Fatal(err)
			}
			leaderCtx, end := leaderContext()
			defer end()
			leaderDone := make(chan error)
			go func() { _, err := f(leaderCtx, 1); leaderDone <- err }()
			for calls.Load() == 0 {
				time.Sleep(time.Millisecond)
			}
			const waiters = 5
			type answer struct {
				v   int
				err error
			}
			answers := make(chan answer, waiters)
			for range waiters {
				go func() { v, err := f(context.Background(), 1); answers <- answer{v, err} }()
			}
			time.Sleep(20 * time.Millisecond) // let the waiters join the leader's flight
			end()
			if err := <-leaderDone; !errors.Is(err, leaderCtx.Err()) {
				t.Fatalf("the leader got %v, want its context's error %v", err, leaderCtx.Err())
			}
			// One waiter leads the second computation, which needs release;
			// a waiter that answers before it starts took the leader's
			// outcome.
			got := 0
			for calls.Load() < 2 && got < waiters {
				select {
				case a := <-answers:
					got++
					t.Errorf("a waiter with a live context got %d, %v while the leader's context ended; want it to compute", a.v, a.err)
				case <-time.After(time.Millisecond):
				}
			}
			close(release)
			for ; got < waiters; got++ {
				if a := <-answers; a.err != nil || a.v != 2 {
					t.Errorf("a waiter with a live context got %d, %v; want 2, nil", a.v, a.err)
				}
			}
			if n := calls.Load(); n != 2 {
				t.Errorf("the function ran %d times; want 2 (the cancelled leader, then one waiter)", n)
			}
		})
	}
}

// TestFlightWaitersOwnCopy checks that callers that waited for another's
// computation each get results of their own, as hits do: the leader, or
// any of them, may change its slice without the others seeing it.
func TestFlightWaitersOwnCopy(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int32
	slow := func(n int) []int {
		calls.Add(1)
		<-release
		return []int{n, n + 1, n + 2}
	}
	f, m, err := persist.Wrap(slow, persist.Options{Cache: memURL(t), FuncName: "own_copy"})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	const callers = 5
	results := make(chan []int, callers)
	go func() { results <- f(1) }()
	for calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	for range callers - 1 {
		go func() { results <- f(1) }()
	}
	for persist.FlightWaiters(m) < callers-1 {
		time.Sleep(time.Millisecond)
	}
	close(release)
	var got [][]int
	for range callers {
		r := <-results
		if !slices.Equal(r, []int{1, 2, 3}) {
			t.Fatalf("a caller got %v, want [1 2 3]", r)
		}
		got = append(got, r)
	}
	for i := range got {
		got[i][0] = 100 + i
	}
	for i, r := range got {
		if r[0] != 100+i {
			t.Errorf("caller %d's slice was changed by another's write: %v", i, r)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("the function ran %d times, want once", n)
	}
}
