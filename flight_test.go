package persist_test

import (
	"context"
	"errors"
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
	f, m, err := persist.Wrap(slow, persist.Options{Cache: memURL(t), FuncName: "slow"})
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
