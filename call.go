package persist

import (
	"context"
	"errors"
	"reflect"
	"time"

	"github.com/gopersist/persist/stores"
)

// errMiss is lookup's internal answer for "nothing usable is stored".
var errMiss = errors.New("persist: miss")

// callReflect is the body of the function Func returns.
func (m *Memo) callReflect(in []reflect.Value) []reflect.Value {
	out, err := m.invoke(m.contextOf(in), in)
	if err == nil {
		return out
	}
	if m.errIndex < 0 {
		panic(err)
	}
	return m.errorResults(err)
}

// errorResults are the results of a call that failed with err. A function
// of its own so that err is moved to the heap on failures only.
func (m *Memo) errorResults(err error) []reflect.Value {
	out := make([]reflect.Value, m.ft.NumOut())
	for i := range out {
		out[i] = reflect.Zero(m.ft.Out(i))
	}
	out[m.errIndex] = reflect.ValueOf(&err).Elem()
	return out
}

// Call calls the memoised function with positional arguments, converted to
// the parameters' types where they are not already of them. It returns the
// result of a function of one result, all of them as []any otherwise; the
// error is the function's own or the cache's.
func (m *Memo) Call(args ...any) (any, error) { return m.CallKW(args, nil) }

// CallKW calls the memoised function with positional and keyword
// arguments, as Python's foo(1, 4, z=3) is CallKW([]any{1, 4}, KW{"z": 3}).
// Missing arguments take their defaults from the Spec.
func (m *Memo) CallKW(args []any, kw KW) (any, error) {
	in, err := m.spec.bind(args, kw)
	if err != nil {
		return nil, err
	}
	return m.callResult(m.invoke(m.contextOf(in), in))
}

// callResult is what Call and its kin return for invoke's outcome.
func (m *Memo) callResult(out []reflect.Value, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	if m.errIndex >= 0 {
		if err, _ := out[m.errIndex].Interface().(error); err != nil {
			return nil, err
		}
	}
	if len(m.results) == 0 {
		return nil, nil
	}
	return m.resultValue(out), nil
}

// contextOf finds the context a call was given, for the store's I/O.
func (m *Memo) contextOf(in []reflect.Value) context.Context {
	if i := m.spec.ctxIndex; i >= 0 && !in[i].IsNil() {
		return in[i].Interface().(context.Context)
	}
	return context.Background()
}

// invoke is one memoised call: the stored result if there is one, else the
// function's, computed once however many goroutines ask at once.
func (m *Memo) invoke(ctx context.Context, in []reflect.Value) ([]reflect.Value, error) {
	ctl := controlOf(ctx)
	if ctl != nil {
		if out, ok, err := m.callControlled(ctx, in, ctl); ok {
			return out, err
		}
	}
	if m.fastHits && m.claimed.Load() { // the first call claims the name below
		return m.invokeFast(ctx, in, ctl)
	}
	key, err := m.key(in)
	if err != nil {
		return nil, err
	}
	hash, err := m.hashOf(key)
	if err != nil {
		return nil, err
	}
	if err := m.claimName(ctx); err != nil {
		return m.withoutStore(ctx, in, err)
	}
	out, err := m.lookup(ctx, hash, key, announce|counted)
	if err == errStale {
		m.refreshLater(ctx, in, key, hash)
		return out, nil
	}
	if err == nil || !m.recoverable(ctx, err) {
		return out, err
	}
	return m.miss(ctx, in, key, hash)
}

// miss computes once for every goroutine that misses hash at once. It is a
// function of its own so that the closure's captures are allocated on
// misses only, not on every call.
func (m *Memo) miss(ctx context.Context, in []reflect.Value, key any, hash string) ([]reflect.Value, error) {
	m.stats.misses.Add(1)
	waited := false // counted once a call, however many rounds it waits
	for {
		ran := false
		res, leader, err := m.flight.do(ctx, hash, key, func() (outcome, error) {
			ran = true
			return m.compute(ctx, in, key, hash)
		}, m.cancelledOutcome)
		if !ran && !waited {
			waited = true
			m.stats.waits.Add(1)
		}
		switch {
		case err != nil && ctx.Err() != nil:
			// Our own context ended while we waited: a result that came
			// anyway (the write went on without us) is still returned.
			return nil, ctx.Err()
		case err == errLeaderCancelled:
			// The leader's context ended, not ours: compute again, once
			// among the waiters. Each round has a leader that ran, so the
			// loop ends when one is not cancelled or when ctx ends.
			continue
		case m.hooks.hash.set() && !sameKey(leader, key):
			// Another key with the same custom hash was computed: read
			// what it stored as any later call would, with its collision
			// check, and compute for ourselves if nothing was stored.
			if out, err := m.lookup(ctx, hash, key, counted); err == nil || !m.recoverable(ctx, err) {
				return out, err
			}
			res, err := m.compute(ctx, in, key, hash)
			return res.out, err
		case ran || err != nil:
			return res.out, err
		}
		out, again, err := m.copyFor(ctx, hash, key, res)
		if again {
			continue
		}
		return out, err
	}
}

// copyFor gives a caller that waited for another's computation results
// of its own, as a hit would: decoded from the leader's stored bytes, or
// read from the store where the leader found them. An entry the leader
// found but this caller's own checks refuse (it asks for a refresh, or a
// shorter age) does not answer it: again says to compute, once among the
// callers in that case. Where the leader's bytes cannot be decoded again
// (a custom Unpickle that fails) it shares the leader's results.
func (m *Memo) copyFor(ctx context.Context, hash string, key any, res outcome) (out []reflect.Value, again bool, err error) {
	switch {
	case res.payload != nil:
		var split splitStamped
		if err := splitStamp(res.payload, &split); err == nil {
			payload := split.payload
			if m.hooks.unpickleBytes {
				// A custom Unpickle of []byte may return its input: each
				// waiter decodes a copy of its own.
				payload = append([]byte{}, payload...)
			}
			if out, err := m.unpickleResults(hash, payload); err == nil {
				return out, false, nil
			}
		}
	case res.stored:
		out, err := m.lookup(ctx, hash, key, 0)
		switch {
		case err == nil:
			return out, false, nil
		case m.mayCompute(ctx, err, false):
			return nil, true, nil
		default:
			return nil, false, err
		}
	}
	return res.out, false, nil
}

// cancelledOutcome reports whether a computation's outcome is a context's
// error: the store's or the lock's, or the function's own error result
// (a function that takes a context returns ctx.Err() when it ends).
func (m *Memo) cancelledOutcome(out []reflect.Value, err error) bool {
	if err != nil {
		return isContextErr(err)
	}
	if m.errIndex < 0 || len(out) <= m.errIndex {
		return false
	}
	fnErr, _ := out[m.errIndex].Interface().(error)
	return fnErr != nil && isContextErr(fnErr)
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// recoverable reports whether a failed lookup may be answered by
// computing: a miss always; a damaged entry unless FailOnDamaged; an
// unreadable store when ComputeOnStoreError says so. It logs why.
func (m *Memo) recoverable(ctx context.Context, err error) bool {
	return m.mayCompute(ctx, err, true)
}

// mayCompute is recoverable, logging only when logIt is set: the lookup
// that compute repeats under the lock has been logged by the first.
func (m *Memo) mayCompute(ctx context.Context, err error, logIt bool) bool {
	switch {
	case err == errMiss || err == errStale:
		return true
	case errors.Is(err, ErrDamaged) && !m.opts.FailOnDamaged:
		if logIt {
			m.log.log(ctx, vProblems, "Damaged entry; recomputing it.", "err", err)
		}
		return true
	case m.opts.ComputeOnStoreError && isStoreFailure(err):
		if logIt {
			m.log.log(ctx, vProblems, "Store cannot be read; computing without it.", "err", err)
		}
		return true
	}
	return false
}

// checkDamagePolicy refuses FailOnDamaged for a function with no error
// result: a damaged file would make every call of it panic.
func (m *Memo) checkDamagePolicy() error {
	if m.opts.FailOnDamaged && m.errIndex < 0 {
		return optErrorf(m.name, "FailOnDamaged for %s needs a trailing error result to report a damaged entry through; %v has none", m.name, m.ft)
	}
	return nil
}

func isStoreFailure(err error) bool {
	var op *stores.OpError
	return errors.As(err, &op) && !isContextErr(err)
}

// compute runs the function for a miss, holding the store's cross-process
// lock where it has one, and stores the result.
func (m *Memo) compute(ctx context.Context, in []reflect.Value, key any, hash string) (outcome, error) {
	unlock := func() {}
	if m.store.CanLock() {
		u, err := m.store.Lock(ctx, m.name, hash)
		switch {
		case err == nil:
			unlock = u
		case ctx.Err() != nil:
			return outcome{}, err
		case errors.Is(err, stores.ErrUnsupported):
			// A server without the lease extension: single flight stays
			// within the process, as for a store that cannot lock.
			m.lockUnsupported.Do(func() {
				m.log.log(ctx, vDetails, "The store cannot lock; computing without the lock.", "err", err)
			})
		default:
			m.log.log(ctx, vProblems, "Cannot lock the entry; computing without the lock.", "err", err)
		}
	}
	// store1 takes the lock over when it stores; any other way out
	// (an error result, a panic of the function) releases it here.
	defer func() {
		if unlock != nil {
			unlock()
		}
	}()
	// Another goroutine's flight or another process may have stored the
	// result since the first lookup.
	if out, err := m.lookup(ctx, hash, key, 0); err == nil || !m.mayCompute(ctx, err, false) {
		return outcome{out: out, stored: err == nil}, err
	}
	var rec stores.Record
	var keyErr error
	if m.opts.StoreKey {
		// Encoded before the call: the function may change its arguments.
		rec.Key, keyErr = m.keyBytes(key)
	}
	start := time.Now()
	out := m.callFunc(in)
	took := time.Since(start)
	m.stats.computes.Add(1)
	m.stats.computeNanos.Add(int64(took))
	if m.errIndex >= 0 && !out[m.errIndex].IsNil() {
		return outcome{out: out}, nil // an error result is returned, never stored
	}
	if keyErr != nil {
		m.stats.notKept.Add(1)
		m.log.log(ctx, vProblems, "Result not stored.", "err", keyErr)
		return outcome{out: out}, nil
	}
	stored := m.store1(ctx, hash, key, out, rec, took, unlock)
	unlock = nil
	return outcome{out: out, payload: stored}, nil
}

// store1 pickles and stores a computed result, and returns it as stored
// (nil if it could not be pickled). A failure is logged, not returned: the
// caller still gets the result it asked for. It releases the entry's lock
// (unlock) once the result is stored.
func (m *Memo) store1(ctx context.Context, hash string, key any, out []reflect.Value, rec stores.Record, took time.Duration, unlock func()) []byte {
	// Pickled now, before the caller has the result to change.
	if err := m.fillRecord(&rec, out, took); err != nil {
		m.stats.notKept.Add(1)
		if errors.Is(err, ErrTooLarge) {
			m.log.log(ctx, vProblems, "Result not stored: too large.", "err", err)
		} else {
			m.log.log(ctx, vProblems, "Result not stored: it cannot be pickled.", "err", err)
		}
		unlock()
		return nil
	}
	if !m.claimed.Load() {
		// The name could not be claimed (a store failure the options let
		// a call compute past): the results under it may be another
		// function's, and nothing is written over them.
		m.stats.notKept.Add(1)
		m.log.log(ctx, vProblems, "Result not stored: the FuncName is not claimed.")
		unlock()
		return rec.Result
	}
	// The result is computed: store it even if the caller's context ends
	// meanwhile, for the callers waiting on it and the ones to come. A
	// context that cannot end needs neither the detachment nor the
	// closure and the context that it would cost a miss.
	if _, deadline := ctx.Deadline(); ctx.Done() == nil && !deadline {
		m.put1(ctx, ctx, hash, key, rec, unlock)
		return rec.Result
	}
	detached := rec // only this branch's copy goes to the heap with the closure
	m.detach(ctx, func() { m.put1(ctx, context.WithoutCancel(ctx), hash, key, detached, unlock) })
	return rec.Result
}

// put1 is the write of store1, with the context it writes under (one
// that does not end) and the caller's, to log with; it then unlocks.
func (m *Memo) put1(ctx, writeCtx context.Context, hash string, key any, rec stores.Record, unlock func()) {
	if err := m.putEntry(writeCtx, hash, key, rec); err != nil {
		m.stats.storeErrors.Add(1)
		m.log.log(ctx, vProblems, "Result not stored.", "err", err)
	}
	unlock()
}

// detach runs write, and returns when it is done or when ctx ends,
// whichever comes first: a caller whose context ends while the store waits
// (for another process's directory lock, a slow server) has its result at
// once, and the write finishes without it; Close waits for such writes. A
// context that cannot end costs no goroutine.
func (m *Memo) detach(ctx context.Context, write func()) {
	if ctx.Done() == nil {
		write()
		return
	}
	done := make(chan struct{})
	m.detached.Add(1)
	go func() {
		defer m.detached.Done()
		defer close(done)
		write()
	}()
	select {
	case <-done:
	case <-ctx.Done():
		m.log.log(ctx, vDetails, "The caller's context ended; the result is stored without it.")
	}
}

// fillRecord pickles results, stamps them (stamp.go) with the version and
// took, the time they took to compute, and adds the metadata: the one
// write path of calls and Cache.Set, with its checks (cycles, depth, size)
// in Pickle.
func (m *Memo) fillRecord(rec *stores.Record, out []reflect.Value, took time.Duration) error {
	if m.stamped && !m.hooks.pickle.set() {
		// The default pickling, stamped: the stamp and the pickle after
		// it are written in one buffer.
		result, err := pickleStamped(&Stamp{Version: m.version, Compute: took, owner: m.ownerTag, defaults: m.defaults}, m.resultValue(out))
		if err != nil {
			return err
		}
		rec.Result = result
		m.fillMeta(rec)
		return nil
	}
	pickled, err := m.pickleResults(out)
	if err != nil {
		return err
	}
	rec.Result = pickled
	// A custom pickling's bytes that begin as a stamp does are stamped too,
	// so that a reader, which takes off one stamp wherever it finds one,
	// gives back the pickler's bytes whole.
	if m.stamped || isFrame(pickled) && pickled[3] == frameStamp {
		st := appendStamp(make([]byte, 0, maxStampLen+len(pickled)), Stamp{Version: m.version, Compute: took, owner: m.ownerTag, defaults: m.defaults})
		rec.Result = append(st, pickled...)
	}
	m.fillMeta(rec)
	return nil
}

// fillMeta adds the metadata of Options.Metadata to rec.
func (m *Memo) fillMeta(rec *stores.Record) {
	if m.opts.Metadata != nil {
		rec.Meta = []byte(m.opts.Metadata())
	}
}

// key computes a call's key: the Key hook's, or the default ArgTuple.
func (m *Memo) key(in []reflect.Value) (any, error) {
	if !m.hooks.key.set() {
		return m.spec.key(in), nil
	}
	k, err := m.hooks.key.call(in...)
	if err != nil {
		return nil, err
	}
	return k.Interface(), nil
}

// hashOf hashes a key with the Hash hook or the default, and checks that
// the hash is a safe file name before any store sees it.
func (m *Memo) hashOf(key any) (string, error) {
	if !m.hooks.hash.set() {
		return Hash(key)
	}
	h, err := m.hooks.hash.call(valueOf(key, m.hooks.keyType))
	if err != nil {
		return "", err
	}
	hash := h.String()
	if err := stores.ValidName("hash", hash); err != nil {
		return "", err
	}
	return hash, nil
}

// lookupWay says what a lookup is for.
type lookupWay uint8

const (
	// announce: the call's or Get's own read, which pypersist's messages
	// announce; the reads again after a miss are not.
	announce lookupWay = 1 << iota
	// counted: what the lookup finds counts in Stats, a hit or a rejected
	// entry (a Contains does not count, nor the lookup that compute
	// repeats under the lock, whose call has counted its miss already).
	counted
)

// lookup reads and checks the entry stored under hash (hitRecord is its
// twin on the fast path). It returns errMiss when there is none, and
// errStale with the results for an entry that may answer while it is
// refreshed (freshness.go).
func (m *Memo) lookup(ctx context.Context, hash string, key any, way lookupWay) ([]reflect.Value, error) {
	logGet := way&announce != 0
	if logGet {
		m.logGetting(ctx, key, hash)
	}
	parts := stores.PartResult
	if m.opts.StoreKey {
		parts |= stores.PartKey
	}
	rec, err := m.store.Read(ctx, m.name, hash, parts)
	if err != nil {
		if errors.Is(err, stores.ErrTooLarge) {
			// Larger than anything persist writes: a damaged entry,
			// recomputed and replaced.
			return nil, &DecodeError{What: "result", Func: m.name, Hash: hash, Err: err}
		}
		if errors.Is(err, stores.ErrNotFound) {
			if logGet {
				m.logNoEntry(ctx, key, hash)
			}
			return nil, errMiss
		}
		m.stats.storeErrors.Add(1)
		return nil, err
	}
	payload, st, err := m.accept(ctx, hash, key, rec, controlOf(ctx))
	if err != nil && err != errStale {
		if way&counted != 0 {
			m.countRejected(err)
		}
		m.logCollision(ctx, err)
		return nil, err
	}
	stale := err
	out, err := m.unpickleResults(hash, payload)
	if err != nil {
		if way&counted != 0 {
			m.countRejected(err)
		}
		return nil, err
	}
	m.logRead(ctx)
	if way&counted != 0 {
		m.stats.hit(len(rec.Result)+len(rec.Key), st)
		if stale != nil {
			m.stats.stale.Add(1)
		}
	}
	return out, stale
}

// countRejected counts in Stats why a stored entry did not answer.
func (m *Memo) countRejected(err error) {
	var hce *HashCollisionError
	switch {
	case errors.As(err, &hce):
		m.stats.collisions.Add(1)
	case errors.Is(err, ErrDamaged):
		m.stats.damaged.Add(1)
	}
}
