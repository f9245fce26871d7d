package persist

import (
	"fmt"
	"reflect"

	"github.com/fxamacker/cbor/v2"
)

// Results as they are pickled for the store and unpickled from it, with
// the default pickling or the Pickle and Unpickle hooks.

// pickleResults encodes the results kept of one call.
func (m *Memo) pickleResults(out []reflect.Value) ([]byte, error) {
	v := m.resultValue(out)
	if !m.hooks.pickle.set() {
		return Pickle(v)
	}
	r, err := m.hooks.pickle.call(valueOf(v, m.resultType()))
	if err != nil {
		return nil, fmt.Errorf("persist: Pickle for %s: %w", m.name, err)
	}
	var b []byte
	if r.Kind() == reflect.String {
		b = []byte(r.String())
	} else {
		// A copy: a Pickle may return memory of the result itself (an
		// identity pickling of []byte), which the caller may change once
		// the call returns, while a write or a waiter still reads it.
		b = append([]byte{}, r.Bytes()...)
	}
	return b, checkSize(len(b))
}

// resultValue is what Cache.Get and Call return: the result of a function
// of one result, or all of them as []any.
func (m *Memo) resultValue(out []reflect.Value) any {
	if len(m.results) == 1 {
		return out[0].Interface()
	}
	vals := make([]any, 0, len(m.results))
	for i, v := range out {
		if i != m.errIndex {
			vals = append(vals, v.Interface())
		}
	}
	return vals
}

// valueOf is reflect.ValueOf that keeps the static type t for nil.
func valueOf(v any, t reflect.Type) reflect.Value {
	if v == nil {
		return reflect.Zero(t)
	}
	return reflect.ValueOf(v)
}

// unpickleResults decodes a stored result into the function's full result
// list, with a nil error in the error slot.
func (m *Memo) unpickleResults(hash string, data []byte) ([]reflect.Value, error) {
	out := make([]reflect.Value, m.ft.NumOut())
	if m.errIndex >= 0 {
		out[m.errIndex] = reflect.Zero(errorType)
	}
	damaged := func(err error) error { return &DecodeError{What: "result", Func: m.name, Hash: hash, Err: err} }
	if m.hooks.unpickle.set() {
		in := reflect.ValueOf(string(data))
		if m.hooks.unpickleBytes {
			in = reflect.ValueOf(data)
		}
		r, err := m.hooks.unpickle.call(in)
		if err != nil {
			return nil, damaged(err)
		}
		if len(m.results) == 1 {
			out[0] = reflect.New(m.results[0]).Elem()
			out[0].Set(r)
			return out, nil
		}
		vals, _ := r.Interface().([]any)
		return m.fillResults(out, vals, damaged)
	}
	if len(m.results) == 1 {
		p := reflect.New(m.results[0])
		if err := Unpickle(data, p.Interface()); err != nil {
			return nil, damaged(err)
		}
		out[0] = p.Elem()
		return out, nil
	}
	var raws []cbor.RawMessage
	if err := Unpickle(data, &raws); err != nil {
		return nil, damaged(err)
	}
	if len(raws) != len(m.results) {
		return nil, damaged(fmt.Errorf("%d results stored, %d expected", len(raws), len(m.results)))
	}
	j := 0
	for i := range out {
		if i == m.errIndex {
			continue
		}
		p := reflect.New(m.results[j])
		if err := unmarshalCBOR(cborDec, raws[j], p.Interface()); err != nil {
			return nil, damaged(err)
		}
		out[i] = p.Elem()
		j++
	}
	return out, nil
}

// fillResults puts values given as []any (Unpickle or Cache.Set of a
// function with several results) into out, checking their types.
func (m *Memo) fillResults(out []reflect.Value, vals []any, fail func(error) error) ([]reflect.Value, error) {
	if len(vals) != len(m.results) {
		return nil, fail(fmt.Errorf("%d results given, %s has %d", len(vals), m.name, len(m.results)))
	}
	j := 0
	for i := range out {
		if i == m.errIndex {
			continue
		}
		v, err := m.spec.convertTo(fmt.Sprintf("result %d", j), m.results[j], vals[j])
		if err != nil {
			return nil, fail(err)
		}
		out[i] = v
		j++
	}
	return out, nil
}
