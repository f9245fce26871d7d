package persist

import (
	"errors"
	"reflect"
	"sync"
)

// flight makes concurrent calls with one hash compute once: the first runs
// the function, the others wait and share its results. It is
// golang.org/x/sync/singleflight cut to what persist needs, with one
// difference that matters here: a panic reaches every waiting caller with
// its original value, so recover() sees what the function panicked with.
type flight struct {
	mu    sync.Mutex
	calls map[string]*flightCall
}

type flightCall struct {
	done     chan struct{}
	out      []reflect.Value
	err      error
	panicked bool
	pval     any
}

var errGoexit = errors.New("persist: the memoised function called runtime.Goexit")

func (f *flight) do(hash string, fn func() ([]reflect.Value, error)) ([]reflect.Value, error) {
	f.mu.Lock()
	if c, ok := f.calls[hash]; ok {
		f.mu.Unlock()
		<-c.done
		if c.panicked {
			panic(c.pval)
		}
		return c.out, c.err
	}
	if f.calls == nil {
		f.calls = map[string]*flightCall{}
	}
	c := &flightCall{done: make(chan struct{}), err: errGoexit}
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
	return c.out, c.err
}
