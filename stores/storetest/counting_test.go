package storetest_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/driver"
	"github.com/gopersist/persist/stores/memstore"
	"github.com/gopersist/persist/stores/storetest"
)

// The conformance suite runs over a counting wrapper of the memory store, so
// that every guarantee is checked through the wrapper too: it forwards
// faithfully.
func TestConformanceCounted(t *testing.T) {
	name := fmt.Sprintf("storetest-counted-%p", t)
	storetest.Run(t, func(t *testing.T) *stores.Store {
		st, _ := storetest.WrapCounting(memstore.Open(name))
		return st
	})
}

// hide is a driver that has only what its fields give it: the methods of
// driver.Store from the memory store's driver, and the optional interfaces
// set by the wrapping types below.
type hide struct{ driver.Store }

type withLock struct {
	hide
	lockFunc
}

type lockFunc struct{ locked *int }

func (l lockFunc) Lock(context.Context, string, string) (func(), error) {
	*l.locked++
	return func() {}, nil
}

type withLen struct {
	hide
	driver.Counter
}

type withFuncs struct {
	hide
	driver.FuncLister
}

type withAll struct {
	hide
	lockFunc
	driver.Counter
	driver.FuncLister
}

// TestCountingKeepsOptionalInterfaces checks that the wrapper has Lock, Len
// and Funcs exactly where the wrapped driver has them, since the portable
// store decides CanLock, CanListFuncs and how to count by them.
func TestCountingKeepsOptionalInterfaces(t *testing.T) {
	var d driver.Store
	if !memstore.Open("storetest-counting-optional").As(&d) {
		t.Fatal("As(*driver.Store) = false")
	}
	n, f := d.(driver.Counter), d.(driver.FuncLister)
	var locked int
	cases := []struct {
		name                   string
		drv                    driver.Store
		lock, counter, listers bool
	}{
		{"none", hide{d}, false, false, false},
		{"locker", withLock{hide{d}, lockFunc{&locked}}, true, false, false},
		{"counter", withLen{hide{d}, n}, false, true, false},
		{"funclister", withFuncs{hide{d}, f}, false, false, true},
		{"all", withAll{hide{d}, lockFunc{&locked}, n, f}, true, true, true},
		{"memstore", d, false, true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := storetest.NewCounting(tc.drv)
			w := c.Driver()
			_, isLocker := w.(driver.Locker)
			_, isCounter := w.(driver.Counter)
			_, isFuncLister := w.(driver.FuncLister)
			if isLocker != tc.lock || isCounter != tc.counter || isFuncLister != tc.listers {
				t.Errorf("wrapper is Locker %v, Counter %v, FuncLister %v; want %v, %v, %v",
					isLocker, isCounter, isFuncLister, tc.lock, tc.counter, tc.listers)
			}
			st := stores.NewStore(w, "mem://storetest-counting-optional")
			if st.CanLock() != tc.lock || st.CanListFuncs() != tc.listers {
				t.Errorf("store CanLock %v, CanListFuncs %v; want %v, %v", st.CanLock(), st.CanListFuncs(), tc.lock, tc.listers)
			}
			ctx := t.Context()
			if err := st.Put(ctx, "f", "h", stores.Record{Result: []byte("r")}); err != nil {
				t.Fatal(err)
			}
			c.Reset()
			if _, err := st.Len(ctx, "f"); err != nil {
				t.Fatal(err)
			}
			got := c.Counts()
			if tc.counter && (got.Lens != 1 || got.Lists != 0) || !tc.counter && (got.Lens != 0 || got.Lists != 1) {
				t.Errorf("Len made %d Len and %d List calls of the driver; counter %v", got.Lens, got.Lists, tc.counter)
			}
			if tc.lock {
				before := locked
				unlock, err := st.Lock(ctx, "f", "h")
				if err != nil {
					t.Fatal(err)
				}
				unlock()
				if locked != before+1 || c.Counts().Locks != 1 {
					t.Errorf("Lock reached the wrapped driver %d times, counted %d", locked-before, c.Counts().Locks)
				}
			}
			var back *storetest.Counting
			if !st.As(&back) || back != c {
				t.Errorf("As(**Counting) = %p, want %p", back, c)
			}
			if _, _, err := st.MapResult(ctx, "f", "h"); !errors.Is(err, stores.ErrUnsupported) {
				t.Errorf("MapResult through a wrapper of a driver without Mapper: %v, want ErrUnsupported", err)
			}
			if err := st.Clear(ctx, "f"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestCountingCounts checks each count against calls whose cost is known.
func TestCountingCounts(t *testing.T) {
	st, c := storetest.WrapCounting(memstore.Open("storetest-counting-counts"))
	defer st.Close()
	ctx := t.Context()
	for i := range 5 {
		rec := stores.Record{Result: []byte("result"), Key: []byte("kk"), Meta: []byte("m")}
		if err := st.Put(ctx, "f", fmt.Sprintf("h%d", i), rec); err != nil {
			t.Fatal(err)
		}
	}
	defer st.Clear(context.Background(), "f")
	if got := c.Counts(); got.Writes != 5 {
		t.Errorf("Writes = %d after 5 Puts", got.Writes)
	}
	c.Reset()
	if got := c.Counts(); got != (storetest.Counts{}) {
		t.Errorf("Counts after Reset = %+v, want zero", got)
	}
	if _, err := st.Get(ctx, "f", "h0"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Read(ctx, "f", "h1", stores.PartKey); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Read(ctx, "f", "missing", stores.PartResult); !errors.Is(err, stores.ErrNotFound) {
		t.Fatal(err)
	}
	page, _, err := st.List(ctx, "f", "", 2)
	if err != nil || len(page) != 2 {
		t.Fatalf("List = %d, %v", len(page), err)
	}
	want := storetest.Counts{
		Reads: 3, ResultReads: 2, KeyReads: 2, MetaReads: 1,
		ResultBytes: 6, KeyBytes: 4, MetaBytes: 1,
		Lists: 1, Listed: 3, ListMax: 3, // the portable store asks for one more than the page, to know whether another follows
	}
	if got := c.Counts(); got != want {
		t.Errorf("Counts = %+v\nwant     %+v", got, want)
	}
	c.Reset()
	_ = st.Delete(ctx, "f", "h4")
	_, _ = st.Owner(ctx, "f")
	_, _ = st.ClaimOwner(ctx, "f", []byte("o"))
	for range st.Funcs(ctx) {
	}
	_, _, _ = st.MapResult(ctx, "f", "h0")
	_ = st.Clear(ctx, "g")
	want = storetest.Counts{Deletes: 1, Owners: 1, Claims: 1, Funcs: 1, Maps: 1, Clears: 1}
	if got := c.Counts(); got != want {
		t.Errorf("Counts = %+v\nwant     %+v", got, want)
	}
}
