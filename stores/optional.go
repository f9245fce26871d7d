package stores

import (
	"context"
	"iter"

	"github.com/gopersist/persist/stores/driver"
)

// The optional driver interfaces, and what the portable type does for a
// driver without each, in one place:
//
//   - driver.Locker: Lock waits for the cross-process computation lock.
//     Without it, CanLock is false and Lock fails with ErrUnsupported; the
//     root package then keeps single flight within the process only.
//   - driver.Counter: Len asks the driver. Without it, Len counts pages of
//     List, reading metadata only.
//   - driver.FuncLister: Funcs lists the funcnames. Without it, CanListFuncs
//     is false and Funcs yields one error wrapping ErrUnsupported.
//   - driver.Mapper: MapResult maps a result in place. Without it,
//     MapResult fails with ErrUnsupported and callers read the result.
//   - driver.As: As exposes the driver's own types. Without it, As accepts
//     only a *driver.Store.
type optional struct {
	locker  driver.Locker
	counter driver.Counter
	funcs   driver.FuncLister
	mapper  driver.Mapper
	as      driver.As
}

func assertOptional(d driver.Store) optional {
	var o optional
	o.locker, _ = d.(driver.Locker)
	o.counter, _ = d.(driver.Counter)
	o.funcs, _ = d.(driver.FuncLister)
	o.mapper, _ = d.(driver.Mapper)
	o.as, _ = d.(driver.As)
	return o
}

// CanLock reports whether [Store.Lock] can make callers in other processes
// wait for one another.
func (s *Store) CanLock() bool { return s.opt.locker != nil }

// Lock blocks until the caller holds the computation lock of (funcname,
// hash) or ctx ends. The caller must call unlock when its result is stored
// (or it gave up). A lock whose holder died is broken after a bounded time
// that each store documents. It fails with [ErrUnsupported] unless
// [Store.CanLock].
func (s *Store) Lock(ctx context.Context, funcname, hash string) (unlock func(), err error) {
	if err := s.beginHash(ctx, "lock", funcname, hash); err != nil {
		return nil, err
	}
	if s.opt.locker == nil {
		return nil, s.fail("lock", funcname, hash, errUnsupported)
	}
	unlock, err = s.opt.locker.Lock(ctx, funcname, hash)
	if err != nil {
		return nil, s.fail("lock", funcname, hash, err)
	}
	return unlock, nil
}

// CanListFuncs reports whether [Store.Funcs] can list the store's
// funcnames.
func (s *Store) CanListFuncs() bool { return s.opt.funcs != nil }

// Funcs streams, in ascending order, the funcnames that have at least one
// record. An error ends the sequence; a store that cannot list funcnames
// yields one error wrapping [ErrUnsupported].
func (s *Store) Funcs(ctx context.Context) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		if s.closed.Load() {
			yield("", s.fail("funcs", "", "", errClosed))
			return
		}
		if err := ctx.Err(); err != nil {
			yield("", s.fail("funcs", "", "", err))
			return
		}
		if s.opt.funcs == nil {
			yield("", s.fail("funcs", "", "", errUnsupported))
			return
		}
		for name, err := range s.opt.funcs.Funcs(ctx) {
			if err != nil {
				yield("", s.fail("funcs", "", "", err))
				return
			}
			if !yield(name, nil) {
				return
			}
		}
	}
}

// MapResult maps the result of (funcname, hash) into memory read-only,
// where the store can (the file store, for a result it keeps uncompressed),
// instead of reading it. The bytes stay valid and unchanged until release is
// called, even if the record is replaced or deleted meanwhile; writing to
// them changes neither the store nor another mapping. Elsewhere it fails
// with [ErrUnsupported].
func (s *Store) MapResult(ctx context.Context, funcname, hash string) (data []byte, release func() error, err error) {
	if err := s.beginHash(ctx, "map", funcname, hash); err != nil {
		return nil, nil, err
	}
	if s.opt.mapper == nil {
		return nil, nil, s.fail("map", funcname, hash, errUnsupported)
	}
	data, release, err = s.opt.mapper.MapResult(ctx, funcname, hash)
	if err != nil {
		return nil, nil, s.fail("map", funcname, hash, err)
	}
	return data, release, nil
}

// As sets *target to the driver's own value of target's type, for callers
// who know the backend (the file store's directory, say), and reports
// whether it could. Each backend documents the types it accepts; every
// store accepts a *driver.Store, which receives the driver itself, so that
// a test can wrap it (storetest.Counting does).
func (s *Store) As(target any) bool {
	if d, ok := target.(*driver.Store); ok {
		*d = s.drv
		return true
	}
	return s.opt.as != nil && s.opt.as.As(target)
}
