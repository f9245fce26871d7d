package persist

import (
	"context"
	"errors"
	"iter"
	"reflect"

	"github.com/gopersist/persist/stores"
)

// Cache is the map-like view of a memoised function's stored results, as
// pypersist's f.cache: Get is f.cache[k], Set is f.cache[k] = v, Delete is
// del f.cache[k]. Keys are what calls produce: a Key for the default key
// (given in any order, with or without default arguments), or the Key
// hook's type. Values are the function's result, or []any of its results
// when it has several.
//
// One Cache serves every store. Its methods use the context it was made
// with (see WithContext) for the store's I/O.
type Cache struct {
	m   *Memo
	ctx context.Context
}

// Item is one key and value of a cache, as All yields them.
type Item struct {
	Key, Value any
}

// Cache returns the map-like view of the function's stored results.
func (m *Memo) Cache() *Cache { return &Cache{m: m, ctx: context.Background()} }

// WithContext returns a view of the same cache whose I/O uses ctx.
func (c *Cache) WithContext(ctx context.Context) *Cache { return &Cache{m: c.m, ctx: ctx} }

// entry normalises a key and hashes it.
func (c *Cache) entry(key any) (any, string, error) {
	k, err := c.m.normalizeKey(key)
	if err != nil {
		return nil, "", err
	}
	hash, err := c.m.hashOf(k)
	if err != nil {
		return nil, "", err
	}
	// The results under the name may be another function's since Clear.
	if err := c.m.claimName(c.ctx); err != nil {
		return nil, "", err
	}
	return k, hash, nil
}

// Get returns the value stored for key, or a *KeyError (matching
// ErrNotFound) when there is none. Get reports what is stored: a damaged
// entry is a *DecodeError here, where a call would recompute it.
func (c *Cache) Get(key any) (any, error) {
	k, hash, err := c.entry(key)
	if err != nil {
		return nil, err
	}
	out, err := c.m.lookup(c.ctx, hash, k, announce|counted)
	if err == errStale {
		err = nil // Get reports what is stored; a call would refresh it
	}
	if err == errMiss {
		return nil, &KeyError{Key: k}
	}
	if err != nil {
		return nil, err
	}
	return c.m.resultValue(out), nil
}

// Contains reports whether a value is stored for key.
func (c *Cache) Contains(key any) (bool, error) {
	k, hash, err := c.entry(key)
	if err != nil {
		return false, err
	}
	switch _, err := c.m.lookup(c.ctx, hash, k, 0); {
	case err == nil || err == errStale:
		return true, nil
	case err == errMiss:
		return false, nil
	default:
		return false, err
	}
}

// Set stores value as the result for key, so that a later call with that
// key returns it without computing.
func (c *Cache) Set(key, value any) error {
	k, hash, err := c.entry(key)
	if err != nil {
		return err
	}
	out := make([]reflect.Value, c.m.ft.NumOut())
	if c.m.errIndex >= 0 {
		out[c.m.errIndex] = reflect.Zero(errorType)
	}
	badValue := func(err error) error { return argErrorf(c.m.name, "cache value: %v", err) }
	if len(c.m.results) == 1 {
		v, err := c.m.spec.convertTo("value", c.m.results[0], value)
		if err != nil {
			return err
		}
		out[0] = v
	} else {
		vals, ok := value.([]any)
		if !ok {
			return badValue(errors.New("a function of several results takes []any"))
		}
		if _, err := c.m.fillResults(out, vals, badValue); err != nil {
			return err
		}
	}
	var rec stores.Record
	if c.m.opts.StoreKey {
		if rec.Key, err = c.m.keyBytes(k); err != nil {
			return err
		}
	}
	if err := c.m.fillRecord(&rec, out, 0); err != nil {
		return err
	}
	return c.m.putEntry(c.ctx, hash, k, rec)
}

// Delete removes the value stored for key, or returns a *KeyError when
// there is none.
func (c *Cache) Delete(key any) error {
	k, hash, err := c.entry(key)
	if err != nil {
		return err
	}
	err = c.m.deleteEntry(c.ctx, k, hash)
	if errors.Is(err, stores.ErrNotFound) {
		return &KeyError{Key: k}
	}
	return err
}

// Len counts the stored results.
func (c *Cache) Len() (int, error) {
	// A count reads no stamp, and so no writer's tag: the owner record
	// is read again, as for keys-only iterations.
	if err := c.m.recheckName(c.ctx); err != nil {
		return 0, err // the results under the name are another function's
	}
	return c.m.store.Len(c.ctx, c.m.name)
}

// Clear removes every stored result of the function, and nothing else.
// It claims no name first: when the results under the FuncName belong to
// another function (a *NameClaimError), Clear removes those too, which is
// how a function takes over the name of one that is gone.
func (c *Cache) Clear() error {
	defer c.m.unclaim() // the owner record goes too
	return c.m.clearEntries(c.ctx)
}

// Keys yields the stored keys. It needs StoreKey or Unhash, and yields
// ErrKeysNotStored otherwise. It streams from the store in constant
// memory, in the order of the hashes, and reads keys only, no result,
// unless a Version is set or the Spec has defaults: an entry's version and
// the digest of its defaults are in its result's stamp. Reading keys only,
// it reads the owner record of the FuncName first. An entry that cannot be decoded yields its
// DecodeError, and iteration goes on if the loop does.
func (c *Cache) Keys() iter.Seq2[any, error] {
	return func(yield func(any, error) bool) {
		for it, err := range c.items(withKey) {
			if !yield(it.Key, err) {
				return
			}
		}
	}
}

// Values yields the stored values, under the same rules as Keys. It reads
// results only.
func (c *Cache) Values() iter.Seq2[any, error] {
	return func(yield func(any, error) bool) {
		for it, err := range c.items(withValue) {
			if !yield(it.Value, err) {
				return
			}
		}
	}
}

// What an iteration over the entries decodes.
const (
	withKey = 1 << iota
	withValue
)

// All yields the stored keys with their values, under the same rules as
// Keys.
func (c *Cache) All() iter.Seq2[Item, error] { return c.items(withKey | withValue) }

// items streams the entries, reading only the parts that what needs.
func (c *Cache) items(what int) iter.Seq2[Item, error] {
	return func(yield func(Item, error) bool) {
		m := c.m
		if !m.opts.StoreKey && !m.hooks.unhash.set() {
			yield(Item{}, ErrKeysNotStored)
			return
		}
		var parts stores.Parts
		if what&withKey != 0 && m.opts.StoreKey {
			parts |= stores.PartKey
		}
		if what&withValue != 0 || m.version != "" || m.defaults != "" {
			// A version, and the defaults, are known from the result's
			// stamp only.
			parts |= stores.PartResult
		}
		claim := m.claimName
		if parts&stores.PartResult == 0 {
			// Without the results, no stamp names their writer: the owner
			// record is read again instead, so that a name that changed
			// hands since this Memo last read it is refused.
			claim = m.recheckName
		}
		if err := claim(c.ctx); err != nil {
			yield(Item{}, err)
			return
		}
		for e, err := range m.store.Entries(c.ctx, m.name, parts) {
			if err != nil {
				yield(Item{}, err)
				return
			}
			it, err := m.item(c.ctx, e, what)
			if err == errMiss {
				continue // of another version, or too old: no call would see it
			}
			if !yield(it, err) {
				return
			}
		}
	}
}

// item decodes an entry for an iteration. It returns errMiss for one that
// no call would be answered with: another version, or past its age.
func (m *Memo) item(ctx context.Context, e stores.Entry, what int) (Item, error) {
	payload, _, err := m.current(ctx, e.Hash, e.Record, nil)
	switch {
	case err == errMiss:
		return Item{}, errMiss
	case err != nil && err != errStale:
		return Item{}, err
	}
	var it Item
	if what&withKey != 0 {
		var err error
		if m.opts.StoreKey && (e.Key != nil || !m.hooks.unhash.set()) {
			it.Key, err = m.decodeKey(e.Hash, e.Key)
		} else {
			it.Key, err = m.unhashKey(e.Hash)
		}
		if err != nil {
			return Item{}, err
		}
	}
	if what&withValue != 0 {
		out, err := m.unpickleResults(e.Hash, payload)
		if err != nil {
			return it, err
		}
		it.Value = m.resultValue(out)
	}
	return it, nil
}
