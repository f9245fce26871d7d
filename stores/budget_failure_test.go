package stores_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sync/atomic"
	"testing"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/driver"
)

// flakyList is a memory driver whose List fails while fail is set.
type flakyList struct {
	driver.Store
	fail *atomic.Bool
}

func (f flakyList) List(ctx context.Context, fn, after string, n int) ([]driver.Meta, error) {
	if f.fail.Load() {
		return nil, errors.New("transient listing failure")
	}
	return f.Store.List(ctx, fn, after, n)
}

func (f flakyList) Funcs(ctx context.Context) iter.Seq2[string, error] {
	return f.Store.(driver.FuncLister).Funcs(ctx)
}

func (f flakyList) ErrorCode(err error) driver.Code {
	if err != nil && err.Error() == "transient listing failure" {
		return driver.Unavailable
	}
	return f.Store.ErrorCode(err)
}

// TestBudgetListingFailure checks that a listing that fails at the write
// that takes the store past its budget keeps the estimate, so that the
// next write trims, rather than taking the store for empty and letting it
// grow by a whole budget.
func TestBudgetListingFailure(t *testing.T) {
	ctx := t.Context()
	var fail atomic.Bool
	st := stores.NewStore(flakyList{memDriver(t), &fail}, "mem://flaky")
	t.Cleanup(func() { _ = st.Close() })
	if err := st.SetBudget(stores.Budget{MaxEntries: 20}); err != nil {
		t.Fatal(err)
	}
	put := func(i int) {
		t.Helper()
		if err := st.Put(ctx, "f", fmt.Sprintf("h%04d", i), stores.Record{Result: []byte("r")}); err != nil {
			t.Fatal(err)
		}
	}
	i := 0
	for ; i < 20; i++ {
		put(i)
	}
	// The 21st write takes the store over; its trim's listing fails once.
	fail.Store(true)
	put(i)
	i++
	fail.Store(false)
	// The listing works again: the next write should trim.
	for range 5 {
		put(i)
		i++
	}
	if n, _ := entries(t, st, "f"); n > 20 {
		t.Errorf("%d entries after the listing recovered and 5 more writes, budget 20", n)
	}
	for range 14 {
		put(i)
		i++
	}
	if n, _ := entries(t, st, "f"); n > 20 {
		t.Errorf("%d entries after 19 writes since the failure, budget 20", n)
	}
}

// TestBudgetRescan checks that writes of another handle (another
// process), which this handle's estimate does not count, are found by the
// rescan that comes every max(1000, entries at the last listing) writes:
// for a budget of bytes, which lists sizes, and for one of entries alone,
// which counts them.
func TestBudgetRescan(t *testing.T) {
	for _, c := range []struct {
		budget    string
		others    int // entries the other handle writes
		otherSize int
		writes    int // then the budgeted handle's
		maxN      int
		maxBytes  int64
	}{
		{budget: "max_size=1MiB", others: 100, otherSize: 100 << 10, writes: 3000, maxBytes: 1 << 20},
		{budget: "max_entries=50", others: 500, otherSize: 1, writes: 1100, maxN: 50},
	} {
		t.Run(c.budget, func(t *testing.T) {
			ctx := t.Context()
			name := fmt.Sprintf("budget-rescan-%d", spaces.Add(1))
			a, err := stores.Open(ctx, "mem://"+name+"?"+c.budget)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = a.Close() })
			b, err := stores.Open(ctx, "mem://"+name)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = b.Close() })
			if err := a.Put(ctx, "f", "first", stores.Record{Result: []byte("small")}); err != nil {
				t.Fatal(err)
			}
			for i := range c.others {
				if err := b.Put(ctx, "g", fmt.Sprintf("other%03d", i), stores.Record{Result: make([]byte, c.otherSize)}); err != nil {
					t.Fatal(err)
				}
			}
			for i := range c.writes {
				if err := a.Put(ctx, "f", fmt.Sprintf("s%04d", i), stores.Record{Result: []byte("small")}); err != nil {
					t.Fatal(err)
				}
			}
			n, bytes := entries(t, a, "f", "g")
			if c.maxBytes > 0 && bytes > c.maxBytes || c.maxN > 0 && n > c.maxN {
				t.Errorf("%d entries, %d bytes after %d writes of the budgeted handle (%s): no rescan came", n, bytes, c.writes, c.budget)
			}
		})
	}
}
