package persist

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"sync/atomic"
)

// flight makes concurrent calls with one hash compute once: the first runs
// the function, the others wait for its outcome (of which Memo gives each
// a copy of its own). It is
// golang.org/x/sync/singleflight cut to what persist needs, with three
// differences that matter here: a panic reaches every waiting caller with
// its original value, so recover() sees what the function panicked with;
// a waiter learns which key the results are for (a custom Hash can give
// two keys one hash) and stops waiting when its own context ends; and a
// waiter never receives the leader's cancellation: when the leader's
// context ended and its outcome is that context's error, the waiters get
// errLeaderCancelled and try again, one of them leading.
type flight struct {
	mu    sync.Mutex
	calls map[string]*flightCall
}

type flightCall struct {
	// done is closed when the outcome is set. The first waiter makes it,
	// under flight.mu, which the leader holds to take it as it ends, so
	// that a miss no other goroutine waits for costs no channel.
	done      chan struct{}
	key       any // the key the leader computes
	res       outcome
	err       error
	panicked  bool
	pval      any
	cancelled bool         // the outcome is the error of the leader's ended context
	waiters   atomic.Int32 // the callers waiting, for tests
}

// outcome is what the computation of a miss gives its callers: the
// results, and how a waiting caller gets a copy of its own, so that no two
// callers share a slice, map or pointer (the leader may change its
// results as soon as it has them).
type outcome struct {
	out []reflect.Value
	// payload is the results as stored, pickled before the leader
	// returned them: a waiter decodes its copy from it. It is nil when
	// they were not pickled (an error result, a result not kept).
	payload []byte
	// stored says that the results were read from the store, where
	// another caller had put them: a waiter reads its copy there.
	stored bool
}

var (
	errGoexit = errors.New("persist: the memoised function called runtime.Goexit")
	// errLeaderCancelled tells a waiter that the leader gave up because
	// its own context ended: the outcome is not the waiter's to share.
	errLeaderCancelled = errors.New("persist: the computing call was cancelled")
)

// do runs fn for key unless a call with the same hash is under way, in
// which case it waits for that one. leader is the key the returned results
// were computed for. ctx is the caller's: when fn's outcome is the error of
// the leader's ended context (cancelled tells, given fn's results), the
// waiters get errLeaderCancelled instead.
func (f *flight) do(ctx context.Context, hash string, key any, fn func() (outcome, error),
	cancelled func([]reflect.Value, error) bool) (res outcome, leader any, err error) {
	f.mu.Lock()
	if c, ok := f.calls[hash]; ok {
		if c.done == nil {
			c.done = make(chan struct{})
		}
		c.waiters.Add(1)
		f.mu.Unlock()
		select {
		case <-c.done:
		case <-ctx.Done():
			c.waiters.Add(-1)
			return outcome{}, key, ctx.Err()
		}
		if c.panicked {
			panic(c.pval)
		}
		if c.cancelled {
			return outcome{}, c.key, errLeaderCancelled
		}
		return c.res, c.key, c.err
	}
	if f.calls == nil {
		f.calls = map[string]*flightCall{}
	}
	c := &flightCall{key: key, err: errGoexit}
	f.calls[hash] = c
	f.mu.Unlock()

	returned := false
	defer func() {
		if !returned {
			if r := recover(); r != nil {
				c.panicked, c.pval = true, r
			}
		}
		f.mu.Lock()
		delete(f.calls, hash)
		done := c.done
		f.mu.Unlock()
		if done != nil {
			close(done)
		}
		if c.panicked {
			panic(c.pval)
		}
	}()
	c.res, c.err = fn()
	c.cancelled = ctx.Err() != nil && cancelled(c.res.out, c.err)
	returned = true
	return c.res, key, c.err
}
