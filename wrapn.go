package persist

import (
	"reflect"
)

// Typed wrappers: Wrap for functions of one to three parameters and one
// result, or one result and an error, whose memoised twin is a plain Go
// closure instead of a reflect.MakeFunc function. A hit then skips
// reflection's call trampoline and decodes straight into the result's
// type: with a result that is an integer or a boolean, a memory-store hit
// costs two allocations (the hash and the store's copy) where Func's costs
// five (BenchmarkHit).
//
// The keys, the hashes and the stored bytes are the Memo's, whichever form
// is called: Wrap and Wrap1 of one function on one store share their
// entries. A function taking a context.Context is a WrapNE with
// context.Context as its first type parameter:
//
//	fetch, memo, err := persist.Wrap2E(fetch, opts) // func(context.Context, string) ([]byte, error)
//
// Anything these wrappers do not cover (more parameters, variadic
// functions, several results) Wrap covers, at the cost of the trampoline.

// Wrap1 is Wrap for a function of one parameter and one result. Like Wrap's
// twin of a function without an error result, it panics on a failure of
// the cache.
func Wrap1[A, R any](fn func(A) R, opts Options) (func(A) R, *Memo, error) {
	m, err := Decorate(fn, opts)
	if err != nil || len(m.results) != 1 {
		return wrapFallback[func(A) R](m, err)
	}
	ia := isInterface[A]()
	return func(a A) R {
		in := [...]reflect.Value{argOf(a, ia)}
		return mustResult(typedCall[R](m, in[:]))
	}, m, nil
}

// Wrap1E is Wrap for a function of one parameter, one result and an
// error, which reports failures of the cache as well as the function's.
func Wrap1E[A, R any](fn func(A) (R, error), opts Options) (func(A) (R, error), *Memo, error) {
	m, err := Decorate(fn, opts)
	if err != nil || len(m.results) != 1 {
		return wrapFallback[func(A) (R, error)](m, err)
	}
	ia := isInterface[A]()
	return func(a A) (R, error) {
		in := [...]reflect.Value{argOf(a, ia)}
		return typedCall[R](m, in[:])
	}, m, nil
}

// Wrap2 is Wrap1 for two parameters.
func Wrap2[A, B, R any](fn func(A, B) R, opts Options) (func(A, B) R, *Memo, error) {
	m, err := Decorate(fn, opts)
	if err != nil || len(m.results) != 1 {
		return wrapFallback[func(A, B) R](m, err)
	}
	ia, ib := isInterface[A](), isInterface[B]()
	return func(a A, b B) R {
		in := [...]reflect.Value{argOf(a, ia), argOf(b, ib)}
		return mustResult(typedCall[R](m, in[:]))
	}, m, nil
}

// Wrap2E is Wrap1E for two parameters; with context.Context as A, it
// memoises a function of a context and one argument.
func Wrap2E[A, B, R any](fn func(A, B) (R, error), opts Options) (func(A, B) (R, error), *Memo, error) {
	m, err := Decorate(fn, opts)
	if err != nil || len(m.results) != 1 {
		return wrapFallback[func(A, B) (R, error)](m, err)
	}
	ia, ib := isInterface[A](), isInterface[B]()
	return func(a A, b B) (R, error) {
		in := [...]reflect.Value{argOf(a, ia), argOf(b, ib)}
		return typedCall[R](m, in[:])
	}, m, nil
}

// Wrap3 is Wrap1 for three parameters.
func Wrap3[A, B, C, R any](fn func(A, B, C) R, opts Options) (func(A, B, C) R, *Memo, error) {
	m, err := Decorate(fn, opts)
	if err != nil || len(m.results) != 1 {
		return wrapFallback[func(A, B, C) R](m, err)
	}
	ia, ib, ic := isInterface[A](), isInterface[B](), isInterface[C]()
	return func(a A, b B, c C) R {
		in := [...]reflect.Value{argOf(a, ia), argOf(b, ib), argOf(c, ic)}
		return mustResult(typedCall[R](m, in[:]))
	}, m, nil
}

// Wrap3E is Wrap1E for three parameters.
func Wrap3E[A, B, C, R any](fn func(A, B, C) (R, error), opts Options) (func(A, B, C) (R, error), *Memo, error) {
	m, err := Decorate(fn, opts)
	if err != nil || len(m.results) != 1 {
		return wrapFallback[func(A, B, C) (R, error)](m, err)
	}
	ia, ib, ic := isInterface[A](), isInterface[B](), isInterface[C]()
	return func(a A, b B, c C) (R, error) {
		in := [...]reflect.Value{argOf(a, ia), argOf(b, ib), argOf(c, ic)}
		return typedCall[R](m, in[:])
	}, m, nil
}

// wrapFallback is Wrap's answer where a typed form has none of its own: a
// failed Decorate, or a "result" that is the error (func(A) error).
func wrapFallback[F any](m *Memo, err error) (F, *Memo, error) {
	var zero F
	if err != nil {
		return zero, nil, err
	}
	return m.Func().(F), m, nil
}

func isInterface[T any]() bool { return reflect.TypeFor[T]().Kind() == reflect.Interface }

// argOf is the argument a as the reflect.Value a MakeFunc function gets:
// of a's static type, which matters for an interface, nil included.
func argOf[A any](a A, iface bool) reflect.Value {
	if iface {
		p := new(A)
		*p = a
		return reflect.ValueOf(p).Elem()
	}
	return reflect.ValueOf(a)
}

func mustResult[R any](r R, err error) R {
	if err != nil {
		panic(err)
	}
	return r
}

// typedCall is invoke for the typed forms, decoding a hit straight into R.
func typedCall[R any](m *Memo, in []reflect.Value) (R, error) {
	ctx := m.contextOf(in)
	var out []reflect.Value
	var err error
	ctl := controlOf(ctx)
	if m.fastHits && m.claimed.Load() && (ctl == nil || !ctl.bypass && !ctl.refresh) { // the first call claims the name in invoke
		var h fastHitInfo
		h, err = m.fastLookup(ctx, in, ctl)
		if err == nil {
			var r R
			if r, err = unpickleTyped[R](m, h.hash, h.payload); err == nil {
				m.fastHit(ctx, in, h)
				return r, nil
			}
			m.countRejected(err)
		}
		out, err = m.afterFastMiss(ctx, in, h.hash, err)
	} else {
		out, err = m.invoke(ctx, in)
	}
	var r R
	if err != nil {
		return r, err
	}
	r, _ = out[0].Interface().(R) // nil for a nil interface
	if m.errIndex >= 0 {
		err, _ = out[m.errIndex].Interface().(error)
	}
	return r, err
}

// unpickleTyped is unpickleResults for one result of type R. An integer or
// a boolean in a plain frame is decoded on the stack.
func unpickleTyped[R any](m *Memo, hash string, data []byte) (R, error) {
	var r R
	if !m.hooks.unpickle.set() {
		if isFrame(data) && data[3] == frameCBOR {
			if _, payload, err := openFrame(data); err == nil && decodeScalar(payload, &r) {
				return r, nil
			}
		}
		p := new(R)
		if err := Unpickle(data, p); err != nil {
			return r, &DecodeError{What: "result", Func: m.name, Hash: hash, Err: err}
		}
		return *p, nil
	}
	out, err := m.unpickleResults(hash, data)
	if err != nil {
		return r, err
	}
	r, _ = out[0].Interface().(R)
	return r, nil
}
