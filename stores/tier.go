package stores

import (
	"errors"
	"fmt"
	"hash/maphash"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dustin/go-humanize"

	"github.com/gopersist/persist/internal/percpu"
)

// The memory tier: a bounded cache of records in process memory in front of
// any store, kept by the portable Store, so that a repeated hit on a file,
// REST, MongoDB, Redis or S3 store costs what a memory store's hit costs.
//
// What keeps a hit from the tier what the call would return now:
//
//   - Every record the tier answers with came from a Read of the store, with
//     that Read's bytes and Created: the root package's checks of stamp,
//     version, key and age, which it makes on every hit whatever the store,
//     see what they would have seen from the store. A Put therefore does not
//     fill the tier (the store, not the caller, sets Created, and keeps it
//     with its own precision); it invalidates, and the next Read fills.
//   - This Store's own Put, Delete and Clear invalidate what they change
//     once the store has changed, and a Read that raced with one of them
//     does not fill the tier with what it read (a generation per stripe of
//     keys, and one for Clear, taken before the store is read and checked
//     before the tier is filled).
//   - Other processes' Put, Delete and Clear, and those of other handles
//     on the same store, are not seen: the tier trusts an entry for its TTL
//     (DefaultTierTTL unless set), after which a hit reads the store again.
//     A record another process replaced within the TTL is answered as it
//     was, which is what a Read of the store just before the replacement
//     would have answered: the records of one key are results of the same
//     call, and the root package checks the answer's version and age as it
//     checks the store's.
//   - A hit from the tier is no read of the store, which therefore does not
//     see it as a use (Meta.Used, by which budgets choose what to remove).
//     The TTL bounds that too: a hot entry is read from the store once a
//     TTL, well within the hour to which a file store keeps Used. With
//     NoExpiry, a store's budget may remove entries the tier still finds
//     hot; the removal, a Delete, takes them out of the tier too.
//   - A NotFound is not kept: a miss is followed by a computation whose Put
//     invalidates anyway, and a kept NotFound would hide another process's
//     new result for a TTL, making this one compute it again.
//   - Values are never shared: a hit hands out a fresh copy of the tier's
//     bytes, and a fill keeps a copy of what the store returned, so no two
//     callers, and no caller and the tier, hold the same slice.
//
// Concurrency: the tier is split into shards by a seeded hash of the names,
// each under its own mutex, which its writers take; a hit takes no lock.
// It finds its entry in the shard's sync.Map, whose reads of a key already
// there write no shared memory, marks the entry used with an atomic bit
// (written only when not set yet) and counts itself in a counter of its P
// (internal/percpu): every write to one shared cache line, a read lock's
// counter included, would move that line between the cores on every hit. Eviction is CLOCK within a shard, an
// approximation of least recently used that needs no list update on a hit:
// the hand passes over entries used since it last passed (clearing their
// bit) and removes the first that was not.

// DefaultTierTTL is how long a memory tier trusts an entry unless
// Tier.TTL says otherwise.
const DefaultTierTTL = 5 * time.Second

// NoExpiry as Tier.TTL makes the tier trust its entries until they are
// evicted or invalidated: right for a store that only this Store writes.
const NoExpiry time.Duration = -1

// Tier bounds a memory tier (see [Store.SetMemoryTier]): the bytes of the
// records it keeps and their number. At least one bound must be set; a zero
// field is no bound. An entry counts its result, key and metadata, its names
// and a fixed allowance for the tier's own bookkeeping.
type Tier struct {
	MaxBytes   int64
	MaxEntries int
	// TTL is how long an entry is trusted before a hit reads the store
	// again, for the writes of other processes: zero means DefaultTierTTL,
	// NoExpiry (any negative value) never.
	TTL time.Duration
}

func (t Tier) set() bool { return t.MaxBytes > 0 || t.MaxEntries > 0 }

// TierStats are what a memory tier did since it was set.
type TierStats struct {
	// Hits counts reads the tier answered; Misses those it passed to the
	// store, its expired entries' included.
	Hits, Misses int64
	// Entries and Bytes are what the tier holds now, counted as Tier's
	// bounds count them.
	Entries, Bytes int64
	// Evictions counts entries removed to keep within the bounds.
	Evictions int64
}

// SetMemoryTier puts a memory tier bounded by t in front of the store, as
// the URL options memory, memory_entries and memory_ttl do, replacing any
// tier there with an empty one; a zero Tier removes it. It is meant for a
// store not yet in use: reads already under way may finish on the old tier.
// Reads are then answered from memory when the tier holds the parts asked
// for, and fill it otherwise; Put, Delete and Clear go to the store and
// invalidate. Writes by other processes, or other handles, are seen once
// an entry's TTL has passed (see Tier).
func (s *Store) SetMemoryTier(t Tier) error {
	if t.MaxBytes < 0 || t.MaxEntries < 0 {
		return fmt.Errorf("stores: negative memory tier bound %+v", t)
	}
	if !t.set() {
		s.tier.Store(nil)
		return nil
	}
	s.tier.Store(newMemTier(t))
	return nil
}

// MemoryTierStats returns what the store's memory tier did, and false when
// it has none.
func (s *Store) MemoryTierStats() (TierStats, bool) {
	t := s.tier.Load()
	if t == nil {
		return TierStats{}, false
	}
	var st TierStats
	t.hits.All(func(n *atomic.Int64) { st.Hits += n.Load() })
	for i := range t.shards {
		sh := &t.shards[i]
		st.Misses += sh.misses.Load()
		st.Evictions += sh.evictions.Load()
		sh.mu.RLock()
		st.Entries += int64(sh.n)
		st.Bytes += sh.bytes
		sh.mu.RUnlock()
	}
	return st, true
}

const (
	// tierEntryOverhead is what an entry costs beyond its bytes and names:
	// the entry itself and its place in the shard's map.
	tierEntryOverhead = 192
	// A tier has at most maxTierShards shards, fewer when its bounds are
	// small, so that a shard holds at least minShardEntries entries and
	// minShardBytes bytes: a record larger than a shard's share of
	// MaxBytes is read through, never kept.
	maxTierShards   = 16
	minShardEntries = 64
	minShardBytes   = 4 << 20
	// tierStripes is how many generations the tier keeps for the keys'
	// writes; two keys of one stripe only make each other's racing reads
	// skip the fill.
	tierStripes = 1024
)

// memTier is a memory tier.
type memTier struct {
	ttl     int64 // nanoseconds an entry is trusted; <= 0: for ever
	coarse  bool  // the TTL is long enough for coarseNow (tierclock.go)
	seed    maphash.Seed
	mask    uint64
	shards  []tierShard
	stripes [tierStripes]atomic.Uint64 // generations, bumped by Put and Delete
	clears  atomic.Uint64              // bumped by Clear
	hits    percpu.Set[atomic.Int64]   // reads the tier answered
}

type tierKey struct{ fn, hash string }

// tierShard is one part of a tier. mu serialises the changes of m, and
// guards n, the ring and bytes; an entry, once in the ring, never changes
// but for its used bit. m is read without it.
type tierShard struct {
	mu         sync.RWMutex
	m          sync.Map   // uint64 → *tierEntry, by the names' seeded hash; a hit compares the names
	n          int        // entries in m
	hand       *tierEntry // the CLOCK's hand on a ring of the entries; nil when empty
	bytes      int64
	maxBytes   int64 // 0: no bound
	maxEntries int   // 0: no bound

	misses, evictions atomic.Int64
	_                 [128]byte // keeps shards' locks off one cache line
}

// entry returns the entry stored under sum, or nil.
func (sh *tierShard) entry(sum uint64) *tierEntry {
	if v, ok := sh.m.Load(sum); ok {
		return v.(*tierEntry)
	}
	return nil
}

// tierEntry is one record the tier keeps: its parts packed in buf.
type tierEntry struct {
	key        tierKey
	sum        uint64 // its key in the shard's map
	buf        []byte // result, key and metadata, in that order
	nRes, nKey int
	have       Parts // the parts read from the store
	nils       Parts // those of them that were nil
	created    time.Time
	filled     int64 // preciseNow when it was filled
	size       int64
	used       atomic.Bool
	prev, next *tierEntry
}

func newMemTier(cfg Tier) *memTier {
	n := maxTierShards
	for n > 1 && (cfg.MaxEntries > 0 && cfg.MaxEntries/n < minShardEntries ||
		cfg.MaxBytes > 0 && cfg.MaxBytes/int64(n) < minShardBytes) {
		n /= 2
	}
	t := &memTier{seed: maphash.MakeSeed(), mask: uint64(n - 1), shards: make([]tierShard, n)}
	switch {
	case cfg.TTL == 0:
		t.ttl = int64(DefaultTierTTL)
	case cfg.TTL > 0:
		t.ttl = int64(cfg.TTL)
	}
	t.coarse = t.ttl >= int64(coarseMinTTL)
	for i := range t.shards {
		sh := &t.shards[i]
		sh.maxBytes = cfg.MaxBytes / int64(n)
		if cfg.MaxEntries > 0 {
			sh.maxEntries = max(1, cfg.MaxEntries/n)
		}
	}
	return t
}

// ticket is what a read that missed takes before reading the store, and
// gives back to fill: where the key lives, and the generations then.
type ticket struct {
	sum           uint64
	stripe, clear uint64
}

// sum is the seeded hash of the names: two of maphash.String, which cost
// less than maphash.Comparable of the pair, mixed so that the same hash
// under two funcnames (the same arguments of two functions) differs.
func (t *memTier) sum(fn, hash string) uint64 {
	return maphash.String(t.seed, hash) ^ maphash.String(t.seed, fn)*0x9e3779b97f4a7c15
}

func (t *memTier) shard(sum uint64) *tierShard { return &t.shards[sum&t.mask] }

func (t *memTier) stripe(sum uint64) *atomic.Uint64 { return &t.stripes[(sum>>32)%tierStripes] }

// expired reports whether e's TTL has passed.
func (t *memTier) expired(e *tierEntry) bool {
	if t.ttl <= 0 {
		return false
	}
	now := coarseNow
	if !t.coarse {
		now = preciseNow
	}
	return now()-e.filled > t.ttl
}

// get answers a read of parts from the tier, with copies of its bytes, or
// returns false and the ticket for the fill after the store's read.
func (t *memTier) get(fn, hash string, parts Parts) (Record, bool, ticket) {
	sum := t.sum(fn, hash)
	sh := t.shard(sum)
	e := sh.entry(sum)
	if e != nil && e.key == (tierKey{fn, hash}) && e.have.Has(parts) && !t.expired(e) {
		if !e.used.Load() { // a store only when it changes: readers share the line
			e.used.Store(true)
		}
		t.hits.Use(func(n *atomic.Int64) { n.Add(1) })
		return e.record(parts), true, ticket{}
	}
	sh.misses.Add(1)
	return Record{}, false, ticket{sum: sum, stripe: t.stripe(sum).Load(), clear: t.clears.Load()}
}

// record returns the parts of e, in one fresh allocation shared by none.
// Each part's capacity ends where it does, so that appending to one cannot
// write over the next.
func (e *tierEntry) record(parts Parts) Record {
	rec := Record{Created: e.created}
	if parts == PartResult { // a hit's usual read
		if e.nils&PartResult == 0 {
			rec.Result = append(make([]byte, 0, e.nRes), e.buf[:e.nRes]...)
		}
		return rec
	}
	n := 0
	for _, p := range [...]Parts{PartResult, PartKey, PartMeta} {
		if parts.Has(p) && e.nils&p == 0 {
			n += len(e.part(p))
		}
	}
	out := make([]byte, n)
	for _, p := range [...]Parts{PartResult, PartKey, PartMeta} {
		if !parts.Has(p) || e.nils&p != 0 {
			continue
		}
		k := copy(out, e.part(p))
		b := out[:k:k]
		out = out[k:]
		switch p {
		case PartResult:
			rec.Result = b
		case PartKey:
			rec.Key = b
		case PartMeta:
			rec.Meta = b
		}
	}
	return rec
}

func (e *tierEntry) part(p Parts) []byte {
	switch p {
	case PartResult:
		return e.buf[:e.nRes]
	case PartKey:
		return e.buf[e.nRes : e.nRes+e.nKey]
	default:
		return e.buf[e.nRes+e.nKey:]
	}
}

// fill keeps a copy of the parts of rec that a read of the store returned,
// unless a write or Clear since tk was taken may have made it old.
func (t *memTier) fill(fn, hash string, parts Parts, rec Record, tk ticket) {
	e := &tierEntry{key: tierKey{fn, hash}, have: parts, created: rec.Created, nRes: len(rec.Result), nKey: len(rec.Key)}
	for _, p := range [...]struct {
		part Parts
		b    []byte
	}{{PartResult, rec.Result}, {PartKey, rec.Key}, {PartMeta, rec.Meta}} {
		if p.b == nil {
			e.nils |= p.part
		}
	}
	e.nils &= parts
	if !parts.Has(PartResult) {
		e.nRes = 0
	}
	if !parts.Has(PartKey) {
		e.nKey = 0
	}
	meta := rec.Meta
	if !parts.Has(PartMeta) {
		meta = nil
	}
	e.size = int64(e.nRes+e.nKey+len(meta)+len(fn)+len(hash)) + tierEntryOverhead
	sh := t.shard(tk.sum)
	if sh.maxBytes > 0 && e.size > sh.maxBytes {
		return // larger than the shard may hold: read through
	}
	e.buf = make([]byte, 0, e.nRes+e.nKey+len(meta))
	e.buf = append(append(append(e.buf, rec.Result[:e.nRes]...), rec.Key[:e.nKey]...), meta...)

	sh.mu.Lock()
	defer sh.mu.Unlock()
	if t.stripe(tk.sum).Load() != tk.stripe || t.clears.Load() != tk.clear {
		return // written, deleted or cleared while it was read
	}
	if old := sh.entry(tk.sum); old != nil {
		sh.remove(old) // this key's, or one of the same hash's, which may go
	}
	for sh.hand != nil && (sh.maxBytes > 0 && sh.bytes+e.size > sh.maxBytes ||
		sh.maxEntries > 0 && sh.n+1 > sh.maxEntries) {
		sh.evictOne()
	}
	e.filled, e.sum = preciseNow(), tk.sum
	sh.insert(e, tk.sum)
}

// invalidate forgets the record of (fn, hash), once the store has changed
// it, and makes reads that raced with the change skip their fill.
func (t *memTier) invalidate(fn, hash string) {
	sum := t.sum(fn, hash)
	sh := t.shard(sum)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	t.stripe(sum).Add(1)
	if e := sh.entry(sum); e != nil && e.key == (tierKey{fn, hash}) {
		sh.remove(e)
	}
}

// clear forgets every record of fn, once the store has cleared it. The
// generation goes first: a read that fills after a shard was swept saw
// it bumped, and one that filled before was swept.
func (t *memTier) clear(fn string) {
	t.clears.Add(1)
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.Lock()
		sh.m.Range(func(_, v any) bool {
			if e := v.(*tierEntry); e.key.fn == fn {
				sh.remove(e)
			}
			return true
		})
		sh.mu.Unlock()
	}
}

// insert puts e on the ring just behind the hand, so that the hand reaches
// it last. sh.mu is held.
func (sh *tierShard) insert(e *tierEntry, sum uint64) {
	sh.m.Store(sum, e)
	sh.n++
	sh.bytes += e.size
	if sh.hand == nil {
		e.prev, e.next = e, e
		sh.hand = e
		return
	}
	e.next, e.prev = sh.hand, sh.hand.prev
	e.prev.next = e
	sh.hand.prev = e
}

// remove takes e off the ring and out of the map. sh.mu is held.
func (sh *tierShard) remove(e *tierEntry) {
	sh.m.Delete(e.sum)
	sh.n--
	sh.bytes -= e.size
	if e.next == e {
		sh.hand = nil
	} else {
		if sh.hand == e {
			sh.hand = e.next
		}
		e.prev.next, e.next.prev = e.next, e.prev
	}
	e.prev, e.next = nil, nil
}

// evictOne moves the hand on until it removes an entry not used since the
// hand last passed it: at most one turn of the ring clearing bits, then one
// step. sh.mu is held and the ring is not empty.
func (sh *tierShard) evictOne() {
	for {
		e := sh.hand
		if e.used.Load() {
			e.used.Store(false)
			sh.hand = e.next
			continue
		}
		sh.remove(e)
		sh.evictions.Add(1)
		return
	}
}

// errBadTier reports a memory tier option of a URL that is not a size, a
// count or a duration.
var errBadTier = errors.New("bad memory tier option")

// tierOptions removes memory, memory_entries and memory_ttl from u's query
// and returns the tier they ask for, which is zero when they ask for none.
func tierOptions(u *url.URL) (Tier, error) {
	q, bad := url.ParseQuery(u.RawQuery)
	var t Tier
	get := func(name string) (string, bool, error) {
		vals, ok := q[name]
		if !ok {
			return "", false, nil
		}
		if len(vals) != 1 {
			return "", false, fmt.Errorf("%w: %s given %d times", errBadTier, name, len(vals))
		}
		return vals[0], true, nil
	}
	v, ok, err := get("memory")
	if err != nil {
		return t, err
	}
	if ok {
		n, err := humanize.ParseBytes(v)
		if err != nil || n == 0 || n > 1<<62 {
			return t, fmt.Errorf("%w: memory=%s: want a size such as 64MiB", errBadTier, v)
		}
		t.MaxBytes = int64(n)
	}
	if v, ok, err = get("memory_entries"); err != nil {
		return t, err
	} else if ok {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return t, fmt.Errorf("%w: memory_entries=%s: want a positive number", errBadTier, v)
		}
		t.MaxEntries = n
	}
	if v, ok, err = get("memory_ttl"); err != nil {
		return t, err
	} else if ok {
		if v == "forever" {
			t.TTL = NoExpiry
		} else if t.TTL, err = time.ParseDuration(v); err != nil || t.TTL <= 0 {
			return t, fmt.Errorf("%w: memory_ttl=%s: want a positive duration such as 5s, or forever", errBadTier, v)
		}
		if !t.set() {
			return t, fmt.Errorf("%w: memory_ttl needs memory or memory_entries", errBadTier)
		}
	}
	if t.set() && bad != nil {
		// Encoding the rest again would drop what did not parse, which
		// the driver should see and refuse.
		return t, fmt.Errorf("%w: the query does not parse: %v", errBadTier, bad)
	}
	if t.set() {
		q.Del("memory")
		q.Del("memory_entries")
		q.Del("memory_ttl")
		u.RawQuery = q.Encode()
	}
	return t, nil
}
