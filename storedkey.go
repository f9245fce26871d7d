package persist

// Keys as they are stored beside results (StoreKey), read back, recovered
// by Unhash, and given to the Cache: each is put in the form calls produce,
// so that one key encoding decides equality everywhere.

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
func (m *Memo) checkStoredKey(hash string, key any, rec stores.Record, st Stamp) error {
	if m.opts.StoreKey {
		if rec.Key == nil {
			return errMiss
		}
		// Under the default hash, the SHA-256 of the canonical encoding,
		// one hash is one key, if the writer used it too (its tag says
		// so): CBOR bytes equal to the call's say the stored key is this
		// one, not damaged, where decoding them could not (a time comes
		// back in Local where the reader's zone has its offset). Under a
		// custom Hash, CBOR writes two keys alike that the function tells
		// apart (the same instant in UTC and in a zone "GMT" of offset
		// 0): the canonical key encoding decides.
		if !m.hooks.hash.set() && st.defaultHash {
			if stored, err := decompress(rec.Key, nil); err == nil {
				if call, err := cborEnc.Marshal(key); err == nil && bytes.Equal(stored, call) {
					return nil
				}
			}
		}
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
		if err := unmarshalCBOR(cborDec, pr[0], &name); err != nil {
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
		if err := unmarshalCBOR(cborDec, pr[1], v.Interface()); err != nil {
			return nil, damaged(fmt.Errorf("argument %q: %w", name, err))
		}
		k = append(k, Arg{name, v.Elem().Interface()})
	}
	return k, nil
}

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
