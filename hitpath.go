package persist

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash/maphash"
	"reflect"
	"slices"
	"sync/atomic"

	"github.com/gopersist/persist/stores"
)

// The hit path of the common case: the default key and hash, no stored key
// to compare and no message that names the key. The key is then needed for
// its hash only, so it is built on the stack and never boxed, and the
// library's own hash is a safe name without a check. Everything else, a
// miss included, takes the general path of call.go, which builds the key
// again: it costs nothing beside a miss.

// canHitFast reports whether hits may take the fast path.
func (m *Memo) canHitFast() bool {
	return !m.hooks.key.set() && !m.hooks.hash.set() && !m.hooks.unhash.set() &&
		!m.opts.StoreKey && !m.log.on(vReads)
}

// maxStackArgs is how many arguments a key built on the stack holds; a
// longer key grows onto the heap, as append does.
const maxStackArgs = 8

// invokeFast is invoke on the fast path, once the FuncName is claimed.
// ctl is the call's control (freshness.go), or nil.
func (m *Memo) invokeFast(ctx context.Context, in []reflect.Value, ctl *control) ([]reflect.Value, error) {
	h, err := m.fastLookup(ctx, in, ctl)
	if err == nil {
		var out []reflect.Value
		if out, err = m.unpickleResults(h.hash, h.payload); err == nil {
			m.fastHit(ctx, in, h)
			return out, nil
		}
		m.countRejected(err)
	}
	return m.afterFastMiss(ctx, in, h.hash, err)
}

// fastHitInfo is what fastLookup found: the pickler's bytes of a usable
// entry, its stamp and size, and whether it is stale.
type fastHitInfo struct {
	hash    string
	payload []byte
	stamp   Stamp
	size    int
	stale   bool
}

// fastLookup reads the call's entry and checks it (accept). A stale entry
// that may answer is no error: fastHit starts its refresh.
func (m *Memo) fastLookup(ctx context.Context, in []reflect.Value, ctl *control) (fastHitInfo, error) {
	rec, hash, err := m.hitRecord(ctx, in)
	h := fastHitInfo{hash: hash, size: len(rec.Result)}
	if err != nil {
		return h, err
	}
	h.payload, h.stamp, err = m.accept(ctx, hash, nil, rec, ctl)
	if err == errStale {
		h.stale, err = true, nil
	}
	if err != nil {
		m.countRejected(err)
	}
	return h, err
}

// fastHit counts a hit that fastLookup found and that decoded, and starts
// the refresh of a stale one.
func (m *Memo) fastHit(ctx context.Context, in []reflect.Value, h fastHitInfo) {
	m.stats.hit(h.size, h.stamp)
	if h.stale {
		m.stats.stale.Add(1)
		m.refreshLater(ctx, in, m.spec.key(in), h.hash)
	}
}

// hitRecord hashes the call's key and reads its record: lookup for the
// fast path, whose messages are all off. The checks are accept's, which
// both paths call.
func (m *Memo) hitRecord(ctx context.Context, in []reflect.Value) (stores.Record, string, error) {
	var buf [maxStackArgs]Arg
	hash, err := hashArgs(m.spec.appendKey(buf[:0], in))
	if err != nil {
		return stores.Record{}, "", err
	}
	rec, err := m.store.Read(ctx, m.name, hash, stores.PartResult)
	switch {
	case err == nil:
	case errors.Is(err, stores.ErrNotFound):
		err = errMiss
	case errors.Is(err, stores.ErrTooLarge):
		err = &DecodeError{What: "result", Func: m.name, Hash: hash, Err: err} // as lookup has it
	default:
		m.stats.storeErrors.Add(1)
	}
	return rec, hash, err
}

// afterFastMiss goes on from a fast lookup that failed with err as invoke
// goes on from lookup.
func (m *Memo) afterFastMiss(ctx context.Context, in []reflect.Value, hash string, err error) ([]reflect.Value, error) {
	if hash == "" || !m.recoverable(ctx, err) {
		return nil, err
	}
	return m.miss(ctx, in, m.spec.key(in), hash)
}

// hashArgs is Hash of a Key, which it neither boxes nor keeps: the root
// of encodeArgs, without its cycle check, which a root Key never needs.
// TestHashArgs holds it to Hash.
func hashArgs(k Key) (string, error) {
	e := encoderPool.Get().(*encoder)
	defer e.release()
	e.buf = append(e.buf, KeyFormat, tagArgs)
	e.buf = binary.AppendUvarint(e.buf, uint64(len(k)))
	e.depth++ // the root Key's level, as encodeArgs counts it
	for i := range k {
		e.putString(tagString, k[i].Name)
		if err := e.encodeAny(k[i].Value); err != nil {
			return Hash(slices.Clone(k)) // the same error, with Hash's path
		}
	}
	e.depth--
	if len(e.buf) > hashCacheMaxKey {
		return hashOfEncoding(e.buf), nil
	}
	slot := &hashCache[maphash.Bytes(hashSeed, e.buf)%hashCacheSlots]
	if h := slot.Load(); h != nil && h.enc == string(e.buf) {
		return h.hash, nil
	}
	hash := hashOfEncoding(e.buf)
	slot.Store(&hashEntry{enc: string(e.buf), hash: hash})
	return hash, nil
}

func hashOfEncoding(enc []byte) string {
	sum := sha256.Sum256(enc)
	var out [43]byte
	base64.RawURLEncoding.Encode(out[:], sum[:])
	return string(out[:])
}

// hashCache remembers the hashes of recent short key encodings, since a
// hit's key has usually been hashed before and SHA-256 and base64 are
// most of what a hit costs otherwise. It is direct-mapped by a seeded
// hash of the encoding, and an entry is used only for its exact encoding:
// a hash never comes from another key. It holds 1024 entries of at most
// 128 bytes of key each, and returns the same string every time, which
// spares its allocation too.
const (
	hashCacheSlots  = 1024
	hashCacheMaxKey = 128
)

type hashEntry struct{ enc, hash string }

var (
	hashCache [hashCacheSlots]atomic.Pointer[hashEntry]
	hashSeed  = maphash.MakeSeed()
)
