// Package memstore keeps records in process memory, under the URL scheme
// mem://NAME.
//
// Every Open of the same mem://NAME in one process shares one set of records,
// so several memoised functions, or a memoised function and a tool that
// inspects it, see the same cache; closing one handle leaves the records for
// the others. Records live as long as the process. It is the fastest store
// and the right one for tests and for memoisation that need not outlive the
// program.
package memstore

import (
	"context"
	"errors"
	"iter"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/btree"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/driver"
)

func init() {
	stores.Register("mem", func(_ context.Context, u *url.URL) (driver.Store, error) {
		return openDriver(u.Host + u.Path), nil
	})
}

// space is the shared data of one mem:// name. mu serialises its writers
// and guards the owners and each records' count and order; Read, a hit's
// one call, takes no lock: funcs is copied on write, and each function's
// records are in a sync.Map, whose reads of a key already there write no
// shared memory. A read lock would: every RLock and RUnlock adds to the
// lock's one counter, whose cache line then moves between the cores on
// every hit.
type space struct {
	mu     sync.RWMutex
	funcs  atomic.Pointer[map[string]*records] // never changed once stored; a writer stores a changed copy, under mu
	owners map[string][]byte                   // funcname → owner record
}

// recordsOf returns the records of funcname, or nil. It needs no lock:
// under mu it is the current set, without it a set that was current during
// the call.
func (sp *space) recordsOf(funcname string) *records { return (*sp.funcs.Load())[funcname] }

// setRecords makes r the records of funcname, or removes funcname if r is
// nil, in a copy of funcs. Its caller holds mu. A copy costs the number of
// functions, and is made only when a function gets its first record or
// loses its last.
func (sp *space) setRecords(funcname string, r *records) {
	old := *sp.funcs.Load()
	funcs := make(map[string]*records, len(old)+1)
	for fn, rs := range old {
		funcs[fn] = rs
	}
	if r == nil {
		delete(funcs, funcname)
	} else {
		funcs[funcname] = r
	}
	sp.funcs.Store(&funcs)
}

// records are one function's records: a map for reads, and the same hashes
// in a B-tree for listing in order, so that a page costs its own size. The
// B-tree is made by the function's first listing and kept from then on: a
// function that is only called, never listed, does not pay for it on
// every miss (it was an eighth of one). byHash is changed under the space's
// mu, and read with or without it.
type records struct {
	byHash sync.Map              // hash → *entry
	n      int                   // entries in byHash; under mu
	order  *btree.BTreeG[string] // nil until the first List; under mu
}

// entry returns the entry stored under hash, or nil.
func (r *records) entry(hash string) *entry {
	if v, ok := r.byHash.Load(hash); ok {
		return v.(*entry)
	}
	return nil
}

// entry is one record and its last use. A read only marks the entry
// touched, which costs it no clock reading and, once marked, no write; a
// listing turns the mark into the time of the listing (the CLOCK
// algorithm's reference bit): last use is known to the listing, and a
// budget's trims, which list the store, see it.
type entry struct {
	rec     driver.Record
	used    atomic.Int64 // Unix nanoseconds, as of the last listing
	touched atomic.Bool  // read since the last listing
}

var (
	spacesMu sync.Mutex
	spaces   = map[string]*space{}
)

// Open returns a store on the in-memory space called name, creating the
// space on first use: the same as stores.Open of "mem://" + name.
func Open(name string) *stores.Store {
	return stores.NewStore(openDriver(name), "mem://"+name)
}

func openDriver(name string) *memDriver {
	spacesMu.Lock()
	defer spacesMu.Unlock()
	sp := spaces[name]
	if sp == nil {
		sp = &space{owners: map[string][]byte{}}
		sp.funcs.Store(&map[string]*records{})
		spaces[name] = sp
	}
	return &memDriver{sp: sp}
}

// memDriver is one handle on a space. Closing it leaves the space.
type memDriver struct{ sp *space }

// errNotFound is what every lookup of a missing name returns.
var errNotFound = errors.New("no such record")

// Read implements [driver.Store].
// It takes no lock (see space).
func (d *memDriver) Read(_ context.Context, funcname, hash string, parts driver.Parts) (driver.Record, error) {
	var e *entry
	if r := d.sp.recordsOf(funcname); r != nil {
		e = r.entry(hash)
	}
	if e == nil {
		return driver.Record{}, errNotFound
	}
	rec := e.rec
	if !e.touched.Load() { // a store only when it changes: readers share the line
		e.touched.Store(true)
	}
	out := driver.Record{Created: rec.Created}
	if parts.Has(driver.PartResult) {
		out.Result = clone(rec.Result)
	}
	if parts.Has(driver.PartKey) {
		out.Key = clone(rec.Key)
	}
	if parts.Has(driver.PartMeta) {
		out.Meta = clone(rec.Meta)
	}
	return out, nil
}

// Write implements [driver.Store]. It copies rec's bytes, so the caller may
// reuse them; Read returns copies too.
func (d *memDriver) Write(_ context.Context, funcname, hash string, rec driver.Record) error {
	now := time.Now()
	e := &entry{rec: driver.Record{Result: clone(rec.Result), Key: clone(rec.Key), Meta: clone(rec.Meta), Created: now}}
	e.used.Store(now.UnixNano())
	d.sp.mu.Lock()
	defer d.sp.mu.Unlock()
	r := d.sp.recordsOf(funcname)
	if r == nil {
		r = &records{}
		d.sp.setRecords(funcname, r)
	}
	if _, had := r.byHash.Swap(hash, e); !had {
		r.n++
		if r.order != nil {
			r.order.ReplaceOrInsert(hash)
		}
	}
	return nil
}

// clone copies b, keeping nil as nil and empty as empty, so that neither
// the caller nor the store can change the other's record through a shared
// slice.
func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}

// Delete implements [driver.Store].
func (d *memDriver) Delete(_ context.Context, funcname, hash string) error {
	d.sp.mu.Lock()
	defer d.sp.mu.Unlock()
	r := d.sp.recordsOf(funcname)
	if r == nil {
		return errNotFound
	}
	if _, ok := r.byHash.LoadAndDelete(hash); !ok {
		return errNotFound
	}
	r.n--
	if r.order != nil {
		r.order.Delete(hash)
	}
	if r.n == 0 {
		d.sp.setRecords(funcname, nil)
	}
	return nil
}

// List implements [driver.Store] from the B-tree, copying no record's bytes.
func (d *memDriver) List(_ context.Context, funcname, after string, n int) ([]driver.Meta, error) {
	d.sp.mu.RLock()
	r := d.sp.recordsOf(funcname)
	for r != nil && r.order == nil {
		// The function's first listing: make its order, under the write
		// lock, then list under the read lock as every other time.
		d.sp.mu.RUnlock()
		d.sp.mu.Lock()
		if r = d.sp.recordsOf(funcname); r != nil && r.order == nil {
			order := btree.NewOrderedG[string](16)
			r.byHash.Range(func(h, _ any) bool {
				order.ReplaceOrInsert(h.(string))
				return true
			})
			r.order = order
		}
		d.sp.mu.Unlock()
		d.sp.mu.RLock()
		r = d.sp.recordsOf(funcname)
	}
	defer d.sp.mu.RUnlock()
	if r == nil {
		return nil, nil
	}
	page := make([]driver.Meta, 0, min(n, r.n))
	now := time.Now().UnixNano()
	r.order.AscendGreaterOrEqual(after, func(h string) bool {
		if h == after {
			return true
		}
		e := r.entry(h)
		if e.touched.Swap(false) {
			e.used.Store(now)
		}
		page = append(page, driver.Meta{
			Hash: h, Size: int64(len(e.rec.Result) + len(e.rec.Key) + len(e.rec.Meta)),
			Created: e.rec.Created, Used: time.Unix(0, e.used.Load()),
		})
		return len(page) < n
	})
	return page, nil
}

// Len implements [driver.Counter].
func (d *memDriver) Len(_ context.Context, funcname string) (int, error) {
	d.sp.mu.RLock()
	defer d.sp.mu.RUnlock()
	if r := d.sp.recordsOf(funcname); r != nil {
		return r.n, nil
	}
	return 0, nil
}

// Clear implements [driver.Store].
func (d *memDriver) Clear(_ context.Context, funcname string) error {
	d.sp.mu.Lock()
	defer d.sp.mu.Unlock()
	if d.sp.recordsOf(funcname) != nil {
		d.sp.setRecords(funcname, nil)
	}
	delete(d.sp.owners, funcname)
	return nil
}

// Owner implements [driver.Store].
func (d *memDriver) Owner(_ context.Context, funcname string) ([]byte, error) {
	d.sp.mu.RLock()
	owner, ok := d.sp.owners[funcname]
	d.sp.mu.RUnlock()
	if !ok {
		return nil, errNotFound
	}
	return clone(owner), nil
}

// ClaimOwner implements [driver.Store].
func (d *memDriver) ClaimOwner(_ context.Context, funcname string, owner []byte) ([]byte, error) {
	d.sp.mu.Lock()
	defer d.sp.mu.Unlock()
	if have, ok := d.sp.owners[funcname]; ok {
		return clone(have), nil
	}
	d.sp.owners[funcname] = clone(owner)
	return clone(owner), nil
}

// Funcs implements [driver.FuncLister].
func (d *memDriver) Funcs(context.Context) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		funcs := *d.sp.funcs.Load() // never changed once stored: no lock
		names := make([]string, 0, len(funcs))
		for n := range funcs {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			if !yield(n, nil) {
				return
			}
		}
	}
}

// NameRules implements [driver.Store]: memory keeps any name that
// stores.ValidName accepts.
func (d *memDriver) NameRules() driver.NameRules { return driver.NameRules{} }

// ErrorCode implements [driver.Store].
func (d *memDriver) ErrorCode(err error) driver.Code {
	if errors.Is(err, errNotFound) {
		return driver.NotFound
	}
	return driver.Unknown
}

// Close implements [driver.Store]. The space's records stay for other
// handles.
func (d *memDriver) Close() error { return nil }
