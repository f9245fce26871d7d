package stores

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dustin/go-humanize"

	"github.com/gopersist/persist/stores/driver"
)

// Budgets: a bound on what a store keeps, enforced as it is written
// (diskcache's size_limit) and by persist gc, with one implementation:
// Plan chooses, Store.Trim removes.
//
// A write adds its bytes to a running estimate; when the estimate passes
// the budget, one trim lists every function's metadata (no record is
// read), takes the true totals, and removes the least recently used
// entries until the store is at trimTarget of its budget. The margin left
// is what makes the check amortised: a trim is followed by at least a
// fifth of the budget's writes before the next. Other processes' writes
// are not in the estimate, so it is taken afresh from the listing every
// so many writes (rescanEvery, or as many as the store has entries).

// Budget bounds a store: its entries' bytes (results, keys and metadata)
// and their number, across its functions. A zero field is no bound.
type Budget struct {
	MaxBytes   int64
	MaxEntries int
}

func (b Budget) set() bool { return b.MaxBytes > 0 || b.MaxEntries > 0 }

// over reports whether bytes and entries exceed b scaled by frac.
func (b Budget) over(bytes int64, entries int, frac float64) bool {
	return b.MaxBytes > 0 && float64(bytes) > frac*float64(b.MaxBytes) ||
		b.MaxEntries > 0 && float64(entries) > frac*float64(b.MaxEntries)
}

const (
	// trimTarget is the fraction of its budget a trim brings a store to:
	// a fifth of the budget's writes pass between trims, each of which
	// lists the store once.
	trimTarget = 0.8
	// The estimate is taken afresh from the listing, for the writes of
	// other processes, after rescanEvery writes or as many writes as the
	// store has entries, whichever is more: a rescan costs every write the
	// listing of at most one entry, summed, not sorted.
	rescanEvery = 1000
)

// Policy says which entries Plan chooses for removal.
type Policy struct {
	// Budget: the least recently used entries go until the rest fits in
	// Target of it.
	Budget Budget
	// Target is the fraction of the budget to trim to; zero means all of
	// it (persist gc), trims while writing use 0.8.
	Target float64
	// OlderThan, if positive: entries created longer ago than this go,
	// whatever their size.
	OlderThan time.Duration
}

// Doomed is an entry that Plan chose, and why: "age" or "size".
type Doomed struct {
	Func string
	Meta
	Reason string
}

// lastUse is when an entry was last used: Used, or Created for a driver
// that does not track use.
func lastUse(m Meta) time.Time {
	if m.Used.IsZero() || m.Used.Before(m.Created) {
		return m.Created
	}
	return m.Used
}

// Plan lists funcs (every function of s when nil; the store must then list
// its functions) by their metadata and chooses the entries p removes:
// those older than p.OlderThan, then the least recently used until the rest
// fits in the budget. It reads no record. kept and keptBytes are what
// remains.
func (s *Store) Plan(ctx context.Context, funcs []string, p Policy, now time.Time) (doomed []Doomed, kept int, keptBytes int64, err error) {
	all, total, err := s.byLastUse(ctx, funcs)
	if err != nil {
		return nil, 0, 0, err
	}
	target := p.Target
	if target <= 0 {
		target = 1
	}
	cutoff := now.Add(-p.OlderThan)
	count := len(all)
	for _, e := range all {
		switch {
		case p.OlderThan > 0 && e.Created.Before(cutoff):
			e.Reason = "age"
		case p.Budget.over(total, count, target):
		default:
			continue
		}
		doomed = append(doomed, e)
		total -= e.Size
		count--
	}
	return doomed, count, total, nil
}

// byLastUse lists the entries of funcs (every function when nil), least
// recently used first, and their total size.
func (s *Store) byLastUse(ctx context.Context, funcs []string) (all []Doomed, total int64, err error) {
	if funcs == nil {
		if funcs, err = s.allFuncs(ctx); err != nil {
			return nil, 0, err
		}
	}
	for _, fn := range funcs {
		for m, err := range s.ListAll(ctx, fn) {
			if err != nil {
				return nil, 0, err
			}
			all = append(all, Doomed{Func: fn, Meta: m, Reason: "size"})
			total += m.Size
		}
	}
	slices.SortFunc(all, func(a, b Doomed) int {
		return cmp.Or(lastUse(a.Meta).Compare(lastUse(b.Meta)), cmp.Compare(a.Func, b.Func), cmp.Compare(a.Hash, b.Hash))
	})
	return all, total, nil
}

// totals sums the sizes and counts the entries of every function; with
// sizes false it only counts them, by Len, which a driver may answer
// without visiting each entry (a budget of entries alone needs no size).
func (s *Store) totals(ctx context.Context, sizes bool) (total int64, count int, err error) {
	funcs, err := s.allFuncs(ctx)
	if err != nil {
		return 0, 0, err
	}
	for _, fn := range funcs {
		if !sizes {
			n, err := s.Len(ctx, fn)
			if err != nil {
				return 0, 0, err
			}
			count += n
			continue
		}
		for m, err := range s.ListAll(ctx, fn) {
			if err != nil {
				return 0, 0, err
			}
			total += m.Size
			count++
		}
	}
	return total, count, nil
}

// allFuncs lists the store's functions.
func (s *Store) allFuncs(ctx context.Context) ([]string, error) {
	if !s.CanListFuncs() {
		return nil, s.fail("plan", "", "", errUnsupported)
	}
	var funcs []string
	for fn, err := range s.Funcs(ctx) {
		if err != nil {
			return nil, err
		}
		funcs = append(funcs, fn)
	}
	return funcs, nil
}

// Trim removes the doomed entries and returns those it removed. One gone
// already (removed by another process meanwhile) is skipped, and so is
// one that the store refuses to remove with an error for which skip
// reports true (the file store's planted files, say); another error ends
// the trim.
func (s *Store) Trim(ctx context.Context, doomed []Doomed, skip func(error) bool) (removed []Doomed, skipped int, err error) {
	for _, d := range doomed {
		if s.rewritten(ctx, d) {
			continue // written again since the plan: no longer what it chose
		}
		err := s.Delete(ctx, d.Func, d.Hash)
		switch {
		case err == nil:
			removed = append(removed, d)
		case IsNotFound(err):
		case skip != nil && skip(err):
			skipped++
		default:
			return removed, skipped, err
		}
	}
	return removed, skipped, nil
}

// rewritten reports whether the entry d names was written again since it
// was listed, which a plan's reasons (its age, its last use) no longer
// apply to: its creation time is not the one listed. The window between
// this check and the removal remains; it is as short as a Read.
func (s *Store) rewritten(ctx context.Context, d Doomed) bool {
	rec, err := s.Read(ctx, d.Func, d.Hash, 0)
	return err == nil && !rec.Created.Equal(d.Created)
}

// refused reports whether err is the store refusing to remove one entry
// (a file planted in its place, say), after which a trim goes on with the
// next, rather than the store failing as a whole.
func refused(err error) bool {
	switch ErrorCode(err) {
	case driver.Unavailable, driver.Closed, driver.Canceled:
		return false
	}
	return true
}

// budgeter keeps a store within its budget as it is written.
type budgeter struct {
	budget Budget
	log    *slog.Logger

	bytes, entries atomic.Int64 // the estimate; valid once scanned
	rescanAfter    atomic.Int64 // writes between rescans: max(rescanEvery, entries at the last)
	writes         atomic.Int64 // writes since the estimate was taken
	scanned        atomic.Bool
	trimming       sync.Mutex // one trim at a time; others go on writing

	// refused are the entries ("funcname/hash") the store refused to
	// remove, passed by in this handle's later trims and reported once
	// (persist verify lists planted files, and gc removes what it can).
	// Guarded by trimming.
	refused map[string]bool
}

// SetBudget bounds what s keeps, as the URL options max_size and
// max_entries do: every write that takes the store past b trims it (see
// Budget). The store must list its functions. A zero Budget removes the
// bound.
func (s *Store) SetBudget(b Budget) error {
	if b.MaxBytes < 0 || b.MaxEntries < 0 {
		return fmt.Errorf("stores: negative budget %+v", b)
	}
	if b.set() && !s.CanListFuncs() {
		return s.fail("budget", "", "", fmt.Errorf("%w: a budget needs a store that lists its functions", errUnsupported))
	}
	if !b.set() {
		s.budget.Store(nil)
		return nil
	}
	s.budget.Store(&budgeter{budget: b, log: slog.Default()})
	return nil
}

// wrote counts a write of n bytes, and trims the store when it is over its
// budget. A failed trim is logged: the write itself succeeded.
func (s *Store) wrote(ctx context.Context, n int) {
	bg := s.budget.Load()
	if bg == nil {
		return
	}
	bg.bytes.Add(int64(n))
	bg.entries.Add(1)
	writes := bg.writes.Add(1)
	entries := bg.entries.Load()
	if bg.scanned.Load() && writes < bg.rescanAfter.Load() && !bg.budget.over(bg.bytes.Load(), int(entries), 1) {
		return
	}
	if !bg.trimming.TryLock() {
		return // another write is trimming
	}
	defer bg.trimming.Unlock()
	if err := s.trimToBudget(context.WithoutCancel(ctx), bg); err != nil {
		bg.log.Warn("Cannot keep the store within its budget.", "store", s.url, "err", err)
	}
}

// trimToBudget takes the true totals and the order of last use from the
// listing, and trims the store to trimTarget of its budget if it is over
// it. A rescan while the estimate is under the budget sums the listing
// first, and sorts it only if the store is over after all. (Keeping the
// listing's order between trims, to list less often, would remove
// entries read since: last use would be as old as the listing.)
func (s *Store) trimToBudget(ctx context.Context, bg *budgeter) (err error) {
	var total int64
	var count int
	listed := false
	// Whatever happens once the store is listed, the estimate is the
	// listing's, so that a failed trim is not tried again at every write.
	// A listing that failed leaves the estimate as it was: the next write
	// tries again.
	defer func() {
		if !listed {
			return
		}
		bg.bytes.Store(total)
		bg.entries.Store(int64(count))
		bg.rescanAfter.Store(max(rescanEvery, int64(count)))
		bg.writes.Store(0)
		bg.scanned.Store(true)
	}()
	if bg.scanned.Load() && !bg.budget.over(bg.bytes.Load(), int(bg.entries.Load()), 1) {
		if total, count, err = s.totals(ctx, bg.budget.MaxBytes > 0); err != nil {
			return err
		}
		listed = true
		if !bg.budget.over(total, count, 1) {
			return nil
		}
	}
	all, sum, err := s.byLastUse(ctx, nil)
	if err != nil {
		return err
	}
	total, count, listed = sum, len(all), true
	var refusals []error
	for _, d := range all {
		if !bg.budget.over(total, count, trimTarget) {
			break
		}
		id := d.Func + "/" + d.Hash
		if bg.refused[id] || s.rewritten(ctx, d) {
			continue
		}
		err := s.Delete(ctx, d.Func, d.Hash)
		switch {
		case err == nil || IsNotFound(err):
			total -= d.Size // one gone already was in the total too
			count--
		case refused(err):
			// Kept: the next is tried, and this one not again.
			if bg.refused == nil {
				bg.refused = map[string]bool{}
			}
			bg.refused[id] = true
			refusals = append(refusals, err)
		default:
			return err
		}
	}
	if len(refusals) > 0 {
		return fmt.Errorf("%d entries could not be removed, the first: %w", len(refusals), refusals[0])
	}
	return nil
}

// errBadBudget reports a budget option of a URL that is not a size or a
// count.
var errBadBudget = errors.New("bad budget option")

// budgetOptions removes max_size and max_entries from u's query and
// returns the budget they give.
func budgetOptions(u *url.URL) (Budget, error) {
	q := u.Query()
	var b Budget
	if v := q.Get("max_size"); v != "" {
		n, err := humanize.ParseBytes(v)
		if err != nil || n == 0 || n > 1<<62 {
			return b, fmt.Errorf("%w: max_size=%s: want a size such as 500MiB or 2GB", errBadBudget, v)
		}
		b.MaxBytes = int64(n)
	}
	if v := q.Get("max_entries"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return b, fmt.Errorf("%w: max_entries=%s: want a positive number", errBadBudget, v)
		}
		b.MaxEntries = n
	}
	if b.set() {
		q.Del("max_size")
		q.Del("max_entries")
		u.RawQuery = q.Encode()
	}
	return b, nil
}
