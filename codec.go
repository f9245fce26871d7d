package persist

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/fxamacker/cbor/v2"
	"github.com/gopersist/persist/stores"
)

// MarshalCBOR writes a Key as pypersist's tuple of pairs: an array of
// [name, value] arrays. Stored keys (StoreKey) use it.
func (k Key) MarshalCBOR() ([]byte, error) {
	pairs := make([][2]any, len(k))
	for i, a := range k {
		pairs[i] = [2]any{a.Name, a.Value}
	}
	return cborEnc.Marshal(pairs)
}

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
		b = r.Bytes()
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
		if err := cborDec.Unmarshal(raws[j], p.Interface()); err != nil {
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

// keyBytes encodes a key for StoreKey, with the default pickling: keys must
// come back with their Go types, whatever pickles the results. A key that
// would read back as another key (a time.Time in a named zone comes back
// with its offset only) is refused: a stored key is the call's key.
func (m *Memo) keyBytes(key any) ([]byte, error) {
	b, err := Pickle(key)
	if err != nil {
		return nil, &UnhashableError{Type: reflect.TypeOf(key), Reason: "it cannot be stored: " + err.Error()}
	}
	back, err := m.decodeKey("", b)
	if err != nil || !sameKey(back, key) {
		return nil, &UnhashableError{Type: reflect.TypeOf(key), Reason: "it cannot be stored: it would read back as " + formatValue(back) +
			" (a time.Time keeps its offset, not its zone's name: a Key hook can take t.UTC())"}
	}
	return b, nil
}

// checkStoredKey compares the key stored with an entry with the call's key.
// A mismatch is a HashCollisionError; an entry stored without its key is a
// miss, so that it is recomputed and stored with it.
func (m *Memo) checkStoredKey(hash string, key any, rec stores.Record) error {
	if m.opts.StoreKey {
		if rec.Key == nil {
			return errMiss
		}
		stored, err := decompress(rec.Key, nil)
		if err != nil {
			return &DecodeError{What: "key", Func: m.name, Hash: hash, Err: err}
		}
		call, err := cborEnc.Marshal(key)
		if err != nil {
			return &UnhashableError{Type: reflect.TypeOf(key), Reason: err.Error()}
		}
		if bytes.Equal(stored, call) {
			return nil
		}
		// Equal keys can be written differently: the same instant in two
		// zones, -0 and 0. The canonical key encoding decides.
		storedKey, err := m.decodeKey(hash, rec.Key)
		if err != nil {
			return err
		}
		if sameKey(storedKey, key) {
			return nil
		}
		return &HashCollisionError{Stored: storedKey, Call: key, Hash: hash}
	}
	if m.hooks.unhash.set() {
		storedKey, err := m.unhashKey(hash)
		if err != nil {
			return err
		}
		if !sameKey(storedKey, key) {
			return &HashCollisionError{Stored: storedKey, Call: key, Hash: hash}
		}
	}
	return nil
}

func (m *Memo) unhashKey(hash string) (any, error) {
	k, err := m.hooks.unhash.call(reflect.ValueOf(hash))
	if err != nil {
		return nil, &DecodeError{What: "key", Func: m.name, Hash: hash, Err: fmt.Errorf("hook Unhash failed: %w", err)}
	}
	// Put through the calls' normalisation, so that a key Unhash spells
	// another way (4 for an int64 parameter, a default given) is the
	// call's key.
	key, err := m.normalizeKey(k.Interface())
	if err != nil {
		return nil, &DecodeError{What: "key", Func: m.name, Hash: hash, Err: fmt.Errorf("hook Unhash: %w", err)}
	}
	return key, nil
}

var errNoKeyStored = errors.New("no key is stored with this entry")

// decodeKey decodes a stored key into the key's Go types: a Key's values
// get their parameters' types back, an int as an int.
func (m *Memo) decodeKey(hash string, data []byte) (any, error) {
	damaged := func(err error) error { return &DecodeError{What: "key", Func: m.name, Hash: hash, Err: err} }
	if data == nil {
		return nil, damaged(errNoKeyStored)
	}
	if m.hooks.key.set() && m.hooks.keyType != keyType {
		p := reflect.New(m.hooks.keyType)
		if err := Unpickle(data, p.Interface()); err != nil {
			return nil, damaged(err)
		}
		return p.Elem().Interface(), nil
	}
	var pairs [][2]cbor.RawMessage
	if err := Unpickle(data, &pairs); err != nil {
		return nil, damaged(err)
	}
	k := make(Key, 0, len(pairs))
	for _, pr := range pairs {
		var name string
		if err := cborDec.Unmarshal(pr[0], &name); err != nil {
			return nil, damaged(err)
		}
		valueType := anyType // a Key made by a Key hook: names of its own
		if !m.hooks.key.set() {
			p := m.spec.paramByKeyName(name)
			if p == nil {
				return nil, damaged(fmt.Errorf("stored key names %q, which %s has no parameter for", name, m.name))
			}
			valueType = p.typ
		}
		v := reflect.New(valueType)
		if err := cborDec.Unmarshal(pr[1], v.Interface()); err != nil {
			return nil, damaged(fmt.Errorf("argument %q: %w", name, err))
		}
		k = append(k, Arg{name, v.Elem().Interface()})
	}
	return k, nil
}

var anyType = reflect.TypeFor[any]()

// paramByKeyName finds a parameter by its name in keys ("x", or "*args").
func (s *argSpec) paramByKeyName(name string) *param {
	i, ok := s.byName[strings.TrimPrefix(name, "*")]
	if !ok || s.params[i].variadic != strings.HasPrefix(name, "*") || s.params[i].ignore {
		return nil
	}
	return &s.params[i]
}

// normalizeKey turns a key given to the Cache into the form calls produce:
// for the default key, values of the parameters' types put through the
// call's own normalisation (argSpec.key).
func (m *Memo) normalizeKey(key any) (any, error) {
	if m.hooks.key.set() {
		v, err := m.spec.convertTo("key", m.hooks.keyType, key)
		if err != nil {
			return nil, err
		}
		return v.Interface(), nil
	}
	k, ok := key.(Key)
	if !ok {
		return nil, argErrorf(m.name, "key must be a persist.Key, got %T", key)
	}
	in := make([]reflect.Value, len(m.spec.params))
	for _, a := range k {
		p := m.spec.paramByKeyName(a.Name)
		if p == nil {
			return nil, argErrorf(m.name, "got an unexpected keyword argument '%s'", a.Name)
		}
		i := m.spec.byName[p.name]
		if in[i].IsValid() {
			return nil, argErrorf(m.name, "got multiple values for argument '%s'", a.Name)
		}
		v, err := m.spec.convert(p, a.Value)
		if err != nil {
			return nil, err
		}
		in[i] = v
	}
	return m.spec.key(in), nil
}
