package storetest

import (
	"context"
	"errors"
	"iter"
	"sync"
	"sync/atomic"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/driver"
)

// Counting is a driver that counts the calls made to the driver it wraps,
// and the bytes those calls return, so that a test can prove what an
// operation costs: that a listing reads no result, or that a page of n
// records reads at most n of them. Every call is forwarded unchanged.
//
// The optional interfaces change what the portable store does (CanLock,
// CanListFuncs, how Len counts), so a wrapper must have exactly the ones of
// the driver it wraps. One Go type cannot have methods on some values and
// not on others; [Counting.Driver] therefore returns, of eight types chosen
// when NewCounting runs, the one that has Lock, Len and Funcs exactly where
// the wrapped driver has [driver.Locker], [driver.Counter] and
// [driver.FuncLister]. *Counting itself has only the methods of
// [driver.Store] and MapResult and As, which every wrapper forwards: their
// fallbacks are errors (code Unsupported) and false, which the wrapper
// returns itself when the wrapped driver lacks them, as the portable store
// would.
//
// Open a counting store with [WrapCounting], or by hand:
//
//	var d driver.Store
//	st.As(&d) // every store hands out its driver
//	c := storetest.NewCounting(d)
//	counted := stores.NewStore(c.Driver(), st.URL())
//
// The two stores share the driver: close one of them, since a driver is
// closed once.
type Counting struct {
	inner  driver.Store
	outer  driver.Store // what Driver returns: c with inner's optional interfaces
	mapper driver.Mapper
	as     driver.As

	reads, resultReads, keyReads, metaReads atomic.Int64
	resultBytes, keyBytes, metaBytes        atomic.Int64
	lists, listed, listMax                  atomic.Int64
	writes, deletes, clears                 atomic.Int64
	owners, claims                          atomic.Int64
	lens, funcs, locks, maps                atomic.Int64

	closeOnce sync.Once
	closeErr  error
}

// Counts are what a [Counting] driver saw since it was made or last
// [Counting.Reset]. Each counts calls whether they succeeded or not, except
// the byte counts, which add up what successful calls returned.
type Counts struct {
	// Reads counts Read calls; ResultReads, KeyReads and MetaReads count
	// those that asked for each part.
	Reads, ResultReads, KeyReads, MetaReads int64
	// ResultBytes, KeyBytes and MetaBytes add up the bytes Read returned
	// of each part.
	ResultBytes, KeyBytes, MetaBytes int64
	// Lists counts List calls, Listed the metadata they returned, and
	// ListMax is the largest n that a List call asked for.
	Lists, Listed, ListMax int64
	// Writes, Deletes and Clears count those calls.
	Writes, Deletes, Clears int64
	// Owners and Claims count Owner and ClaimOwner calls.
	Owners, Claims int64
	// Lens, Funcs, Locks and Maps count the calls of the optional
	// interfaces' methods: Len, Funcs (each sequence run once), Lock and
	// MapResult.
	Lens, Funcs, Locks, Maps int64
}

// NewCounting returns a counting wrapper of d, with every count zero.
func NewCounting(d driver.Store) *Counting {
	c := &Counting{inner: d}
	c.mapper, _ = d.(driver.Mapper)
	c.as, _ = d.(driver.As)
	l, isLocker := d.(driver.Locker)
	n, isCounter := d.(driver.Counter)
	f, isFuncLister := d.(driver.FuncLister)
	lf, nf, ff := lockFwd{c, l}, lenFwd{c, n}, funcsFwd{c, f}
	switch {
	case isLocker && isCounter && isFuncLister:
		c.outer = struct {
			*Counting
			lockFwd
			lenFwd
			funcsFwd
		}{c, lf, nf, ff}
	case isLocker && isCounter:
		c.outer = struct {
			*Counting
			lockFwd
			lenFwd
		}{c, lf, nf}
	case isLocker && isFuncLister:
		c.outer = struct {
			*Counting
			lockFwd
			funcsFwd
		}{c, lf, ff}
	case isCounter && isFuncLister:
		c.outer = struct {
			*Counting
			lenFwd
			funcsFwd
		}{c, nf, ff}
	case isLocker:
		c.outer = struct {
			*Counting
			lockFwd
		}{c, lf}
	case isCounter:
		c.outer = struct {
			*Counting
			lenFwd
		}{c, nf}
	case isFuncLister:
		c.outer = struct {
			*Counting
			funcsFwd
		}{c, ff}
	default:
		c.outer = c
	}
	return c
}

// WrapCounting returns a store over a counting wrapper of st's driver, under
// st's URL, and the wrapper. The two stores share the driver, which is
// closed once: close one of them (the suite closes st and leaves the
// counted store to it), and use neither afterwards.
func WrapCounting(st *stores.Store) (*stores.Store, *Counting) {
	var d driver.Store
	st.As(&d)
	c := NewCounting(d)
	return stores.NewStore(c.Driver(), st.URL()), c
}

// Driver returns the wrapper to give [stores.NewStore]: c, with Lock, Len
// and Funcs where the wrapped driver has them.
func (c *Counting) Driver() driver.Store { return c.outer }

// Inner returns the wrapped driver.
func (c *Counting) Inner() driver.Store { return c.inner }

// Counts returns the counts so far. Each is read atomically; calls that run
// while Counts does may be seen in some counts and not yet in others.
func (c *Counting) Counts() Counts {
	return Counts{
		Reads: c.reads.Load(), ResultReads: c.resultReads.Load(), KeyReads: c.keyReads.Load(), MetaReads: c.metaReads.Load(),
		ResultBytes: c.resultBytes.Load(), KeyBytes: c.keyBytes.Load(), MetaBytes: c.metaBytes.Load(),
		Lists: c.lists.Load(), Listed: c.listed.Load(), ListMax: c.listMax.Load(),
		Writes: c.writes.Load(), Deletes: c.deletes.Load(), Clears: c.clears.Load(),
		Owners: c.owners.Load(), Claims: c.claims.Load(),
		Lens: c.lens.Load(), Funcs: c.funcs.Load(), Locks: c.locks.Load(), Maps: c.maps.Load(),
	}
}

// Reset sets every count to zero.
func (c *Counting) Reset() {
	for _, n := range []*atomic.Int64{
		&c.reads, &c.resultReads, &c.keyReads, &c.metaReads,
		&c.resultBytes, &c.keyBytes, &c.metaBytes,
		&c.lists, &c.listed, &c.listMax,
		&c.writes, &c.deletes, &c.clears,
		&c.owners, &c.claims,
		&c.lens, &c.funcs, &c.locks, &c.maps,
	} {
		n.Store(0)
	}
}

// Read implements [driver.Store].
func (c *Counting) Read(ctx context.Context, funcname, hash string, parts driver.Parts) (driver.Record, error) {
	c.reads.Add(1)
	if parts.Has(driver.PartResult) {
		c.resultReads.Add(1)
	}
	if parts.Has(driver.PartKey) {
		c.keyReads.Add(1)
	}
	if parts.Has(driver.PartMeta) {
		c.metaReads.Add(1)
	}
	rec, err := c.inner.Read(ctx, funcname, hash, parts)
	if err == nil {
		c.resultBytes.Add(int64(len(rec.Result)))
		c.keyBytes.Add(int64(len(rec.Key)))
		c.metaBytes.Add(int64(len(rec.Meta)))
	}
	return rec, err
}

// Write implements [driver.Store].
func (c *Counting) Write(ctx context.Context, funcname, hash string, rec driver.Record) error {
	c.writes.Add(1)
	return c.inner.Write(ctx, funcname, hash, rec)
}

// Delete implements [driver.Store].
func (c *Counting) Delete(ctx context.Context, funcname, hash string) error {
	c.deletes.Add(1)
	return c.inner.Delete(ctx, funcname, hash)
}

// List implements [driver.Store].
func (c *Counting) List(ctx context.Context, funcname, after string, n int) ([]driver.Meta, error) {
	c.lists.Add(1)
	for m := c.listMax.Load(); int64(n) > m && !c.listMax.CompareAndSwap(m, int64(n)); m = c.listMax.Load() {
	}
	page, err := c.inner.List(ctx, funcname, after, n)
	c.listed.Add(int64(len(page)))
	return page, err
}

// Clear implements [driver.Store].
func (c *Counting) Clear(ctx context.Context, funcname string) error {
	c.clears.Add(1)
	return c.inner.Clear(ctx, funcname)
}

// Owner implements [driver.Store].
func (c *Counting) Owner(ctx context.Context, funcname string) ([]byte, error) {
	c.owners.Add(1)
	return c.inner.Owner(ctx, funcname)
}

// ClaimOwner implements [driver.Store].
func (c *Counting) ClaimOwner(ctx context.Context, funcname string, owner []byte) ([]byte, error) {
	c.claims.Add(1)
	return c.inner.ClaimOwner(ctx, funcname, owner)
}

// NameRules implements [driver.Store].
func (c *Counting) NameRules() driver.NameRules { return c.inner.NameRules() }

// ErrorCode implements [driver.Store]: the wrapped driver's codes, and
// Unsupported for the wrapper's own error of a MapResult the wrapped driver
// cannot do.
func (c *Counting) ErrorCode(err error) driver.Code {
	if errors.Is(err, errNoMapper) {
		return driver.Unsupported
	}
	return c.inner.ErrorCode(err)
}

// Close implements [driver.Store]. It closes the wrapped driver once, even
// if called again.
func (c *Counting) Close() error {
	c.closeOnce.Do(func() { c.closeErr = c.inner.Close() })
	return c.closeErr
}

// errNoMapper is MapResult's error when the wrapped driver has no Mapper.
var errNoMapper = errors.New("the counted driver cannot map results")

// MapResult implements [driver.Mapper]: the wrapped driver's, or an error of
// code Unsupported.
func (c *Counting) MapResult(ctx context.Context, funcname, hash string) ([]byte, func() error, error) {
	c.maps.Add(1)
	if c.mapper == nil {
		return nil, nil, errNoMapper
	}
	return c.mapper.MapResult(ctx, funcname, hash)
}

// As implements [driver.As]: the wrapped driver's types, so that a counted
// store still hands out its backend's accessors; a *Counting, so that a
// test can find the counts from the store; and false otherwise.
func (c *Counting) As(target any) bool {
	if p, ok := target.(**Counting); ok {
		*p = c
		return true
	}
	return c.as != nil && c.as.As(target)
}

// The forwarders of the optional interfaces, which NewCounting embeds beside
// *Counting where the wrapped driver has the interface.
type (
	lockFwd struct {
		c *Counting
		l driver.Locker
	}
	lenFwd struct {
		c *Counting
		n driver.Counter
	}
	funcsFwd struct {
		c *Counting
		f driver.FuncLister
	}
)

// Lock implements [driver.Locker].
func (w lockFwd) Lock(ctx context.Context, funcname, hash string) (func(), error) {
	w.c.locks.Add(1)
	return w.l.Lock(ctx, funcname, hash)
}

// Len implements [driver.Counter].
func (w lenFwd) Len(ctx context.Context, funcname string) (int, error) {
	w.c.lens.Add(1)
	return w.n.Len(ctx, funcname)
}

// Funcs implements [driver.FuncLister]; each run of the sequence counts once.
func (w funcsFwd) Funcs(ctx context.Context) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		w.c.funcs.Add(1)
		for name, err := range w.f.Funcs(ctx) {
			if !yield(name, err) {
				return
			}
		}
	}
}
