package persist

import (
	"context"
	"errors"
	"reflect"
	"sync"
)

// flight makes concurrent calls with one hash compute once: the first runs
// the function, the others wait and share its results. It is
// golang.org/x/sync/singleflight cut to what persist needs, with two
// differences that matter here: a panic reaches every waiting caller with
// its original value, so recover() sees what the function panicked with;
// and a waiter learns which key the results are for (a custom Hash can give
// two keys one hash) and stops waiting when its own context ends.
type flight struct {
	mu    sync.Mutex
	calls map[string]*flightCall
}

type flightCall struct {
	done     chan struct{}
	key      any // the key the leader computes
	out      []reflect.Value
	err      error
	panicked bool
	pval     any
}

var errGoexit = errors.New("persist: the memoised function called runtime.Goexit")

// do runs fn for key unless a call with the same hash is under way, in
// which case it waits for that one. leader is the key the returned results
// were computed for.
func (f *flight) do(ctx context.Context, hash string, key any, fn func() ([]reflect.Value, error)) (out []reflect.Value, leader any, err error) {
	f.mu.Lock()
	if c, ok := f.calls[hash]; ok {
		f.mu.Unlock()
		select {
		case <-c.done:
		case <-ctx.Done():
			return nil, key, ctx.Err()
		}
		if c.panicked {
			panic(c.pval)
		}
		return c.out, c.key, c.err
	}
	if f.calls == nil {
		f.calls = map[string]*flightCall{}
	}
	c := &flightCall{done: make(chan struct{}), key: key, err: errGoexit}
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
		f.mu.Unlock()
		close(c.done)
		if c.panicked {
			panic(c.pval)
		}
	}()
	c.out, c.err = fn()
	returned = true
	return c.out, key, c.err
}
