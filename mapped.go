package persist

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"reflect"
	"sync"
	"unsafe"

	"github.com/gopersist/persist/stores"
)

// Zero-copy reads of large results, as joblib's mmap_mode: a numeric or
// byte slice stored in an uncompressed slice frame (slicefast.go) is
// mapped from the store's file and read in place, so a result larger than
// memory would like is paged in from the file as it is read, and costs no
// decoding.

// SliceElem is the element type of a result that MapResult can read in
// place.
type SliceElem interface {
	uint8 | int8 | int16 | uint16 | int32 | uint32 | int64 | uint64 | float32 | float64 | int | uint
}

// Mapped is a slice result read by MapResult: mapped from the store's file
// when InPlace, else a copy. Its Values are valid until Close.
type Mapped[E SliceElem] struct {
	values  []E
	unmap   func() error
	inPlace bool
	once    sync.Once
	err     error
}

// Values is the result. When InPlace, writing to it changes only this
// Mapped's pages (they are private, copy-on-write), and it must not be
// used after Close.
func (r *Mapped[E]) Values() []E { return r.values }

// InPlace reports whether Values is mapped from the store's file.
func (r *Mapped[E]) InPlace() bool { return r.inPlace }

// Close unmaps the result; Values must not be used afterwards. It may be
// called more than once.
func (r *Mapped[E]) Close() error {
	r.once.Do(func() {
		if r.unmap != nil {
			r.err = r.unmap()
		}
		r.values = nil
	})
	return r.err
}

// MapResult calls m's function for args as Memo.Call does, and returns the
// result, a slice of E, mapped from the store's file without a copy when
// it can be: the store maps results (the file store does: Store.MapResult), the
// result is a slice of E of 4 KiB or more stored uncompressed (values that
// compress well are stored compressed, and are read as a copy), and the
// default pickling and hash are used without StoreKey. Otherwise the
// result is Call's, a copy, and InPlace is false. On a miss the function
// is computed and stored as by any call, then mapped; an entry that fails
// its check is read as by Call, which finds the damage and recomputes.
//
// The mapped result is checked (its CRC-32C) before it is returned, which
// reads it once: a damaged entry is never returned. It stays valid until
// Close, even if the entry is replaced or removed meanwhile: the file
// store renames new entries over old ones, and the mapping keeps the old
// file's bytes.
func MapResult[E SliceElem](m *Memo, args ...any) (*Mapped[E], error) {
	in, err := m.spec.bind(args, nil)
	if err != nil {
		return nil, err
	}
	if m.canMap() && controlOf(m.contextOf(in)) == nil { // what a context asks for (freshness.go), Call does
		ctx := m.contextOf(in)
		hash, err := hashArgs(m.spec.key(in))
		if err != nil {
			return nil, err
		}
		if err := m.claimName(ctx); err != nil {
			return nil, err
		}
		r, err := mapSlice[E](ctx, m, hash)
		var computed []reflect.Value
		if errors.Is(err, stores.ErrNotFound) {
			// A miss: computed and stored as by any call, then mapped.
			if computed, err = m.invoke(ctx, in); err != nil {
				return nil, err
			}
			r, err = mapSlice[E](ctx, m, hash)
		}
		if err == nil || !errors.Is(err, errNotMappable) && !errors.Is(err, stores.ErrNotFound) && !errors.Is(err, stores.ErrUnsupported) {
			return r, err
		}
		if computed != nil {
			// Computed but not mappable (an error result, which is never
			// stored, or a result stored compressed): the computation's
			// own result, not a second computation.
			return mappedCopy[E](m)(m.callResult(computed, nil))
		}
	}
	return mappedCopy[E](m)(m.CallKW(args, nil))
}

// mappedCopy returns MapResult's answer when it cannot map: Call's result,
// a copy.
func mappedCopy[E SliceElem](m *Memo) func(v any, err error) (*Mapped[E], error) {
	return func(v any, err error) (*Mapped[E], error) {
		if err != nil {
			return nil, err
		}
		values, ok := v.([]E)
		if !ok && v != nil {
			return nil, fmt.Errorf("persist: MapResult[%v] of %s, whose result is %T", reflect.TypeFor[E](), m.name, v)
		}
		return &Mapped[E]{values: values}, nil
	}
}

// canMap reports whether a stored result is the default pickling's bytes
// under the default hash, with no stored key to compare and no age to
// check (a mapping does not see the entry's time).
func (m *Memo) canMap() bool {
	return !m.hooks.pickle.set() && !m.hooks.key.set() && !m.hooks.hash.set() &&
		!m.hooks.unhash.set() && !m.opts.StoreKey && m.opts.MaxAge <= 0
}

// errNotMappable says an entry is not an uncompressed slice of the type
// asked for, or is damaged: the ordinary read then decodes it, or finds
// the damage and recomputes.
var errNotMappable = errors.New("persist: entry cannot be mapped")

// mapSlice maps the entry and checks it.
func mapSlice[E SliceElem](ctx context.Context, m *Memo, hash string) (*Mapped[E], error) {
	mapped, unmap, err := m.store.MapResult(ctx, m.name, hash)
	if err != nil {
		return nil, err
	}
	// The stamp's checks are current's but for the age, which canMap
	// excludes; an entry of another function goes to the ordinary read,
	// which reports it.
	var split splitStamped
	err = splitStamp(mapped, &split)
	data := split.payload
	if err == nil && m.admitsTag(split.owner) && string(split.version) == m.version && string(split.defaults) == m.defaults && isFrame(data) && data[3] == frameSlice {
		f, err := parseSliceFrame(data)
		if err == nil && !f.zstd && sameElem(reflect.TypeFor[E](), f.elem) &&
			crc32.Checksum(data[:len(data)-crcSize], castagnoli) == f.crc {
			values := unsafe.Slice((*E)(unsafe.Pointer(unsafe.SliceData(f.values))), f.count)
			return &Mapped[E]{values: values, unmap: unmap, inPlace: true}, nil
		}
	}
	if err := unmap(); err != nil {
		return nil, err
	}
	return nil, errNotMappable
}
