package persist

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"
	"unsafe"

	"github.com/gopersist/persist/stores"
)

// Whether a stored entry may answer a call: its stamp, its version, its
// key and its age, checked in one place (accept) for the general path and
// the fast one alike; and what a call can ask through its context.

// errStale says an entry is past MaxAge but within StaleWhileRefresh: it
// answers the call, and a refresh runs in the background.
var errStale = errors.New("persist: stale entry")

// control is what a call's context asks of the cache (WithRefresh,
// WithoutCache, WithMaxAge), and, for a refresh under way, the time before
// which stored entries are too old to end it.
type control struct {
	refresh   bool          // compute and replace the entry, whatever is stored
	bypass    bool          // compute, and neither read nor write the store
	maxAge    time.Duration // replaces Options.MaxAge when hasMaxAge
	hasMaxAge bool
	notBefore time.Time // entries written before it do not count
}

type controlKey struct{}

// controlOf returns what ctx asks, or nil: one Value lookup per call.
func controlOf(ctx context.Context) *control {
	c, _ := ctx.Value(controlKey{}).(*control)
	return c
}

// withControl returns ctx asking for what edit sets, on top of what ctx
// asked already.
func withControl(ctx context.Context, edit func(*control)) context.Context {
	c := control{}
	if old := controlOf(ctx); old != nil {
		c = *old
	}
	edit(&c)
	return context.WithValue(ctx, controlKey{}, &c)
}

// WithRefresh returns a context under which a memoised call computes its
// result and replaces the stored one, whatever is stored (cachier's
// overwrite_cache). Callers of the same key at the same time share the one
// computation, as on a miss. The function receives the context, so the
// memoised calls it makes with it are refreshed too, as a refresh of a
// result should refresh what it is made of.
func WithRefresh(ctx context.Context) context.Context {
	return withControl(ctx, func(c *control) { c.refresh = true })
}

// WithoutCache returns a context under which a memoised call computes its
// result and neither reads nor writes the store (cachier's skip_cache).
func WithoutCache(ctx context.Context) context.Context {
	return withControl(ctx, func(c *control) { c.bypass = true })
}

// WithMaxAge returns a context under which a memoised call takes an entry
// older than d as a miss, in place of Options.MaxAge (cachier's max_age).
// d <= 0 accepts entries of any age.
func WithMaxAge(ctx context.Context, d time.Duration) context.Context {
	return withControl(ctx, func(c *control) { c.maxAge, c.hasMaxAge = d, true })
}

// accept checks a stored record for a call: its stamp, its version, the
// stored key (storedkey.go) and its age, and returns the pickler's bytes
// and the stamp. It returns errMiss for an entry of another version or
// past its age, errStale (with the bytes) for one within
// StaleWhileRefresh, a DecodeError for a damaged stamp, and what
// checkStoredKey returns. ctl is the call's control, or nil.
func (m *Memo) accept(ctx context.Context, hash string, key any, rec stores.Record, ctl *control) ([]byte, Stamp, error) {
	payload, st, err := m.current(ctx, hash, rec, ctl)
	if err != nil && err != errStale {
		return nil, st, err
	}
	if err := m.checkStoredKey(hash, key, rec, st); err != nil {
		return nil, st, err
	}
	return payload, st, err
}

// current is accept without the key's check, for iterations over the
// entries, which have no call's key to compare: the stamp, the version
// and the age.
func (m *Memo) current(ctx context.Context, hash string, rec stores.Record, ctl *control) ([]byte, Stamp, error) {
	var split splitStamped
	if err := splitStamp(rec.Result, &split); err != nil {
		return nil, Stamp{}, &DecodeError{What: "result", Func: m.name, Hash: hash, Err: err}
	}
	payload := split.payload
	st := Stamp{Version: m.version, Compute: split.compute, // m.version's string spares an allocation on a hit
		defaultHash: len(split.owner) == ownerTagLen && split.owner[0]&tagCustomHash == 0}
	if !m.admitsTag(split.owner) {
		return nil, st, m.entryOfAnother(ctx, hash)
	}
	if string(split.version) != m.version {
		st.Version = string(split.version)
		m.log.log(ctx, vDetails, "Entry of another version; recomputing.", "hash", hash, "version", st.Version)
		return nil, st, errMiss
	}
	if m.stamped && string(split.defaults) != m.defaults {
		m.log.log(ctx, vDetails, "Entry computed under other defaults of the Spec; recomputing.", "hash", hash)
		return nil, st, errMiss
	}
	maxAge := m.opts.MaxAge
	if ctl != nil {
		if !ctl.notBefore.IsZero() && rec.Created.Before(ctl.notBefore) {
			return nil, st, errMiss // a refresh wants a newer entry
		}
		if ctl.hasMaxAge {
			maxAge = ctl.maxAge
		}
	}
	if maxAge > 0 {
		switch age := time.Since(rec.Created); {
		case age <= maxAge:
		case age <= maxAge+m.opts.StaleWhileRefresh:
			return payload, st, errStale
		default:
			m.log.log(ctx, vDetails, "Entry older than MaxAge; recomputing.", "hash", hash, "age", age)
			return nil, st, errMiss
		}
	}
	return payload, st, nil
}

// callControlled is invoke for a call whose context asks for something.
// ok is false when ctl asks nothing that changes the call's way.
func (m *Memo) callControlled(ctx context.Context, in []reflect.Value, ctl *control) ([]reflect.Value, bool, error) {
	switch {
	case ctl.bypass:
		// A run of the function like any other for Stats, though no
		// lookup missed.
		start := time.Now()
		out := m.callFunc(in)
		m.stats.computes.Add(1)
		m.stats.computeNanos.Add(int64(time.Since(start)))
		return out, true, nil
	case ctl.refresh && ctl.notBefore.IsZero():
		key, err := m.key(in)
		if err != nil {
			return nil, true, err
		}
		hash, err := m.hashOf(key)
		if err != nil {
			return nil, true, err
		}
		if err := m.claimName(ctx); err != nil {
			out, err := m.withoutStore(ctx, in, err)
			return out, true, err
		}
		// Entries written from now on end the refresh: another process's
		// refresh that finishes first is as good as ours.
		ctx = withControl(ctx, func(c *control) { c.notBefore = time.Now() })
		if i := m.spec.ctxIndex; i >= 0 {
			in = withArg(in, i, reflect.ValueOf(ctx))
		}
		m.stats.refreshes.Add(1)
		out, err := m.miss(ctx, in, key, hash)
		return out, true, err
	}
	return nil, false, nil
}

// callFunc calls the function itself.
func (m *Memo) callFunc(in []reflect.Value) []reflect.Value {
	if m.ft.IsVariadic() {
		return m.fn.CallSlice(in)
	}
	return m.fn.Call(in)
}

// withArg returns a copy of in with in[i] replaced by v.
func withArg(in []reflect.Value, i int, v reflect.Value) []reflect.Value {
	out := append([]reflect.Value(nil), in...)
	out[i] = v
	return out
}

// refreshLater starts the one background refresh of a stale entry: one
// per key in this process (others wait on the store's lock where it has
// one). It runs on copies of the arguments, since the caller may change
// its own once the call returns, and on a context that does not end with
// the caller's. Close waits for it. A refresh that fails keeps the stale
// entry and logs why.
func (m *Memo) refreshLater(ctx context.Context, in []reflect.Value, key any, hash string) {
	if _, busy := m.refreshing.LoadOrStore(hash, true); busy {
		return
	}
	base := context.WithoutCancel(ctx)
	rctx := withControl(base, func(c *control) { c.notBefore = time.Now() })
	// The function gets base: rctx's notBefore is for this entry's lookups
	// only, and would make every memoised call the function makes with its
	// context recompute a fresh result.
	args, err := m.copyArgs(in, base)
	if err == nil {
		// The key too is made again, from the copies: the caller's shares
		// the caller's memory, which it may change once the call returns.
		key, err = m.key(args)
	}
	if err != nil {
		m.refreshing.Delete(hash)
		m.log.log(ctx, vProblems, "Cannot refresh the stale entry in the background.", "err", err)
		return
	}
	m.stats.refreshes.Add(1)
	m.detached.Add(1)
	go func() {
		defer m.detached.Done()
		defer m.refreshing.Delete(hash)
		defer func() {
			// A panic of the function is the refresh's failure, not the
			// program's: no caller is there to receive it.
			if r := recover(); r != nil {
				m.stats.refreshErrors.Add(1)
				m.log.log(rctx, vProblems, "Refresh failed; the stale entry stays.", "hash", hash, "panic", fmt.Sprint(r))
			}
		}()
		out, err := m.miss(rctx, args, key, hash)
		if err == nil && m.errIndex >= 0 && !out[m.errIndex].IsNil() {
			err = out[m.errIndex].Interface().(error)
		}
		if err != nil {
			m.stats.refreshErrors.Add(1)
			m.log.log(rctx, vProblems, "Refresh failed; the stale entry stays.", "hash", hash, "err", err)
		}
	}()
}

// copyArgs copies the arguments of a call, so that none shares memory
// with the caller's; the context argument becomes ctx. A parameter left
// out of the key (persist:"ignore": a logger, a client) is shared, as the
// caller meant. The copy is of the values themselves (copyValue), not a
// round trip through an encoding, which would change an interface's
// dynamic type (an int comes back from CBOR as a uint64) and lose
// unexported fields, and so compute another call's result under this
// call's key.
func (m *Memo) copyArgs(in []reflect.Value, ctx context.Context) ([]reflect.Value, error) {
	out := make([]reflect.Value, len(in))
	seen := map[unsafe.Pointer]reflect.Value{}
	for i, v := range in {
		switch {
		case i == m.spec.ctxIndex:
			out[i] = reflect.ValueOf(ctx)
		case i < len(m.spec.params) && m.spec.params[i].ignore:
			out[i] = v
		default:
			out[i] = copyValue(v, seen)
		}
	}
	return out, nil
}

// copyValue returns a copy of v that shares no memory with it, unexported
// fields included (keys hash them too). Two pointers to one value stay
// two pointers to one copy, which also ends cycles through pointers;
// channels and funcs, which cannot be copied, are shared. v must not have
// been read through an unexported field (reflect's read-only flag):
// copyValue reads such fields through their address.
func copyValue(v reflect.Value, seen map[unsafe.Pointer]reflect.Value) reflect.Value {
	t := v.Type()
	if !hasReferences(t) {
		return v
	}
	switch t.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		if c, ok := seen[v.UnsafePointer()]; ok {
			return c
		}
		c := reflect.New(t.Elem())
		seen[v.UnsafePointer()] = c
		c.Elem().Set(copyValue(v.Elem(), seen))
		return c
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeSlice(t, v.Len(), v.Len())
		if !hasReferences(t.Elem()) {
			reflect.Copy(c, v)
			return c
		}
		for i := range v.Len() {
			c.Index(i).Set(copyValue(v.Index(i), seen))
		}
		return c
	case reflect.Array:
		c := reflect.New(t).Elem()
		for i := range v.Len() {
			c.Index(i).Set(copyValue(v.Index(i), seen))
		}
		return c
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeMapWithSize(t, v.Len())
		for it := v.MapRange(); it.Next(); {
			c.SetMapIndex(copyValue(it.Key(), seen), copyValue(it.Value(), seen))
		}
		return c
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		c := reflect.New(t).Elem()
		c.Set(copyValue(v.Elem(), seen))
		return c
	case reflect.Struct:
		src := reflect.New(t).Elem()
		src.Set(v)
		c := reflect.New(t).Elem()
		for i := range t.NumField() {
			ft := t.Field(i).Type
			from := reflect.NewAt(ft, unsafe.Pointer(src.Field(i).UnsafeAddr())).Elem()
			to := reflect.NewAt(ft, unsafe.Pointer(c.Field(i).UnsafeAddr())).Elem()
			to.Set(copyValue(from, seen))
		}
		return c
	}
	return v // a channel, a func, an unsafe.Pointer: shared
}

// hasReferences reports whether a value of type t can share memory with
// another: it holds a pointer, slice, map, interface, channel or func.
func hasReferences(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Array:
		return hasReferences(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if hasReferences(t.Field(i).Type) {
				return true
			}
		}
		return false
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface, reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return true
	}
	return false // numbers, bools and strings (immutable)
}

// Refresh calls the memoised function for args, computing the result and
// replacing the stored one whatever is stored, as a call under
// WithRefresh does: for functions that take no context.
func (m *Memo) Refresh(args ...any) (any, error) {
	in, err := m.spec.bind(args, nil)
	if err != nil {
		return nil, err
	}
	ctx := WithRefresh(m.contextOf(in))
	if i := m.spec.ctxIndex; i >= 0 {
		in[i] = reflect.ValueOf(ctx)
	}
	out, err := m.invoke(ctx, in)
	return m.callResult(out, err)
}

// Contains reports whether a call with args would be answered from the
// store now, without computing: an entry is stored for them, of this
// version, within its age, and readable (joblib's check_call_in_cache). It
// computes nothing and writes nothing.
func (m *Memo) Contains(args ...any) (bool, error) {
	in, err := m.spec.bind(args, nil)
	if err != nil {
		return false, err
	}
	ctx := m.contextOf(in)
	key, err := m.key(in)
	if err != nil {
		return false, err
	}
	hash, err := m.hashOf(key)
	if err != nil {
		return false, err
	}
	if err := m.claimName(ctx); err != nil {
		return false, err
	}
	switch _, err := m.lookup(ctx, hash, key, 0); {
	case err == nil || err == errStale:
		return true, nil
	case err == errMiss || errors.Is(err, ErrDamaged) || errors.As(err, new(*HashCollisionError)):
		return false, nil
	default:
		return false, err
	}
}
