// Package memotest is the conformance suite of memoisation on a store: what
// persist.Decorate promises about versions, ages, refreshes and statistics,
// checked on a [*stores.Store] of any backend. storetest checks the store's
// own contract; memotest checks that the memoisation built on it keeps its
// promises there, with the store's own clock and its own precision of
// Created.
//
// A backend's conformance test calls it beside storetest.Run:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, open)
//		memotest.Run(t, open)
//	}
//
// As in storetest, every handle that open returns may share its data with
// the others: each subtest uses funcnames of its own (matching
// [A-Za-z0-9_]+, unique within the process and across runs), closes the
// handles it opens and clears the funcnames it used.
package memotest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopersist/persist"
	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/storetest"
)

// minAge is the least MaxAge of the tests of ages; a store whose Created
// is coarser (the persist server's HTTP dates are of whole seconds) or
// behind this clock gets more (ageFor). Entries are made old by waiting
// until the store's own Created of them is past it (agePast).
const minAge = 50 * time.Millisecond

// Run runs the suite on the store that open returns. Each call of open
// must return a new handle; the suite closes it.
func Run(t *testing.T, open func(t *testing.T) *stores.Store) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, st *stores.Store, maxAge time.Duration)
	}{
		{"VersionMismatch", testVersion},
		{"MaxAge", testMaxAge},
		{"WithRefresh", testWithRefresh},
		{"StaleWhileRefresh", testStaleWhileRefresh},
		{"WithoutCache", testWithoutCache},
		{"Stats", testStats},
		{"Contains", testContains},
		{"SeedSection8", testSeedSection8},
	}
	// One group, so that the names do not meet storetest's beside them.
	t.Run("Memo", func(t *testing.T) {
		var maxAge time.Duration
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				st := open(t)
				t.Cleanup(func() { _ = st.Close() })
				if maxAge == 0 {
					maxAge = ageFor(t, st)
				}
				tc.run(t, st, maxAge)
			})
		}
		t.Run("SingleFlightAcrossHandles", func(t *testing.T) { testSingleFlightAcrossHandles(t, open) })
	})
}

// ageFor returns a MaxAge that an entry just written on st is younger
// than by the store's Created: minAge, plus the precision of Created (a
// store that truncates it makes entries look older by up to that much),
// plus how far Created lags behind this clock.
func ageFor(t *testing.T, st *stores.Store) time.Duration {
	t.Helper()
	name := funcName(t, st, "probe")
	precision, lag := time.Second, time.Duration(0)
	for i := range 2 {
		hash := fmt.Sprint("p", i)
		if err := st.Put(context.Background(), name, hash, stores.Record{Result: []byte("x")}); err != nil {
			t.Fatal(err)
		}
		rec, err := st.Read(context.Background(), name, hash, stores.PartResult)
		if err != nil {
			t.Fatal(err)
		}
		lag = max(lag, time.Since(rec.Created))
		p := time.Nanosecond
		for _, unit := range []time.Duration{time.Second, time.Millisecond, time.Microsecond} {
			if rec.Created.Truncate(unit).Equal(rec.Created) {
				p = unit
				break
			}
		}
		precision = min(precision, p) // a finer reading is the true precision
	}
	if lag > storetest.ClockSkew+precision {
		t.Fatalf("the store's Created lags %v behind this clock, more than storetest.ClockSkew", lag)
	}
	d := minAge + precision + lag
	if d > minAge+time.Millisecond {
		t.Logf("MaxAge %v for the store's Created (precision %v, lag %v)", d, precision, lag)
	}
	return d
}

// funcName returns a funcname no other test uses, and clears it when the
// test ends.
func funcName(t *testing.T, st *stores.Store, what string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	name := "memo_" + what + "_" + hex.EncodeToString(b)
	t.Cleanup(func() { _ = st.Clear(context.Background(), name) })
	return name
}

// memo decorates fn on st, closing the Memo when the test ends.
func memo(t *testing.T, fn any, opts persist.Options) *persist.Memo {
	t.Helper()
	m, err := persist.Decorate(fn, opts)
	if err != nil {
		t.Fatalf("Decorate: %v", err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}

// call calls m with args and fails the test on an error.
func call(t *testing.T, m *persist.Memo, args ...any) any {
	t.Helper()
	v, err := m.Call(args...)
	if err != nil {
		t.Fatalf("Call(%v): %v", args, err)
	}
	return v
}

// hashOf is the default hash of a call of one positional argument.
func hashOf(t *testing.T, x any) string {
	t.Helper()
	h, err := persist.Hash(persist.Key{{Name: "arg0", Value: x}})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// counted returns a function that counts its computations in n and
// returns x*1000 plus the computation's number, so that each computation
// has a result of its own.
func counted(n *atomic.Int64) func(int) int {
	return func(x int) int { return x*1000 + int(n.Add(1)) }
}

// agePast waits until the entry of fn under hash is older than d by the
// store's Created, as MaxAge measures it. A store whose clock is ahead of
// this one's makes the wait longer, up to storetest.ClockSkew.
func agePast(t *testing.T, st *stores.Store, fn, hash string, d time.Duration) {
	t.Helper()
	rec, err := st.Read(context.Background(), fn, hash, stores.PartResult)
	if err != nil {
		t.Fatalf("reading the entry: %v", err)
	}
	wait := d - time.Since(rec.Created) + 10*time.Millisecond
	if wait > d+storetest.ClockSkew {
		t.Fatalf("the entry was created %v from now: the store's clock is further from this one's than storetest.ClockSkew", -time.Since(rec.Created))
	}
	time.Sleep(wait)
}

func testVersion(t *testing.T, st *stores.Store, maxAge time.Duration) {
	var n atomic.Int64
	fn := counted(&n)
	name := funcName(t, st, "version")
	v1 := memo(t, fn, persist.Options{Store: st, FuncName: name, Version: "v1"})
	v2 := memo(t, fn, persist.Options{Store: st, FuncName: name, Version: "v2"})
	if got := call(t, v1, 1); got != 1001 {
		t.Fatalf("v1: %v, want 1001", got)
	}
	if got := call(t, v1, 1); got != 1001 {
		t.Fatalf("v1 again: %v, want the hit 1001", got)
	}
	if got := call(t, v2, 1); got != 1002 {
		t.Fatalf("v2: %v, want its own computation 1002, not v1's result", got)
	}
	if got, err := st.Len(context.Background(), name); err != nil || got != 1 {
		t.Fatalf("Len = %d, %v after the second version's call; want 1 entry (replaced)", got, err)
	}
	if got := call(t, v2, 1); got != 1002 {
		t.Fatalf("v2 again: %v, want the hit 1002", got)
	}
	if got := call(t, v1, 1); got != 1003 {
		t.Fatalf("v1 after v2: %v, want a new computation 1003", got)
	}
}

func testMaxAge(t *testing.T, st *stores.Store, maxAge time.Duration) {
	var n atomic.Int64
	name := funcName(t, st, "maxage")
	m := memo(t, counted(&n), persist.Options{Store: st, FuncName: name, MaxAge: maxAge})
	call(t, m, 1)
	if got := call(t, m, 1); got != 1001 {
		t.Fatalf("a young entry: %v, want the hit 1001", got)
	}
	agePast(t, st, name, hashOf(t, 1), maxAge)
	if got := call(t, m, 1); got != 1002 {
		t.Fatalf("an entry past MaxAge: %v, want a new computation 1002", got)
	}
	if got := call(t, m, 1); got != 1002 {
		t.Fatalf("the recomputed entry: %v, want the hit 1002", got)
	}
	// WithMaxAge decides for one call, on a function that takes a context.
	fn := func(ctx context.Context, x int) (int, error) { return x*1000 + int(n.Add(1)), nil }
	name = funcName(t, st, "withmaxage")
	m = memo(t, fn, persist.Options{Store: st, FuncName: name})
	ctx := context.Background()
	first := call(t, m, ctx, 1)
	h, err := persist.Hash(persist.Key{{Name: "arg1", Value: 1}})
	if err != nil {
		t.Fatal(err)
	}
	agePast(t, st, name, h, maxAge)
	if got := call(t, m, ctx, 1); got != first {
		t.Fatalf("no MaxAge: %v, want the stored %v", got, first)
	}
	if got := call(t, m, persist.WithMaxAge(ctx, maxAge), 1); got == first {
		t.Fatalf("WithMaxAge(%v) of an older entry: %v, want a new computation", maxAge, got)
	}
}

func testWithRefresh(t *testing.T, st *stores.Store, maxAge time.Duration) {
	var n atomic.Int64
	fn := func(ctx context.Context, x int) (int, error) { return x*1000 + int(n.Add(1)), nil }
	name := funcName(t, st, "refresh")
	m := memo(t, fn, persist.Options{Store: st, FuncName: name})
	ctx := context.Background()
	call(t, m, ctx, 1)
	if got := call(t, m, persist.WithRefresh(ctx), 1); got != 1002 {
		t.Fatalf("WithRefresh: %v, want a new computation 1002", got)
	}
	if got := call(t, m, ctx, 1); got != 1002 {
		t.Fatalf("after WithRefresh: %v, want the refreshed 1002", got)
	}
	if got, err := m.Refresh(ctx, 1); err != nil || got != 1003 {
		t.Fatalf("Refresh = %v, %v; want a new computation 1003", got, err)
	}
	if got := call(t, m, ctx, 1); got != 1003 {
		t.Fatalf("after Refresh: %v, want the refreshed 1003", got)
	}
	if got, err := st.Len(ctx, name); err != nil || got != 1 {
		t.Fatalf("Len = %d, %v; want 1 entry", got, err)
	}
	if s := m.Stats(); s.Refreshes != 2 || s.Computes != 3 {
		t.Errorf("Stats: %d refreshes, %d computes; want 2 and 3", s.Refreshes, s.Computes)
	}
}

func testStaleWhileRefresh(t *testing.T, st *stores.Store, maxAge time.Duration) {
	var n atomic.Int64
	release := make(chan struct{})
	fn := func(x int) int {
		k := n.Add(1)
		if k > 1 {
			<-release // the refresh waits until every caller has returned
		}
		return x*1000 + int(k)
	}
	name := funcName(t, st, "swr")
	opts := persist.Options{Store: st, FuncName: name, MaxAge: maxAge, StaleWhileRefresh: time.Hour}
	m, err := persist.Decorate(fn, opts)
	if err != nil {
		t.Fatal(err)
	}
	call(t, m, 1)
	agePast(t, st, name, hashOf(t, 1), maxAge)
	const callers = 8
	var wg sync.WaitGroup
	got := make([]any, callers)
	for i := range callers {
		wg.Go(func() { got[i], _ = m.Call(1) })
	}
	wg.Wait() // returns only if no caller waits for the refresh
	for i, v := range got {
		if v != 1001 {
			t.Errorf("caller %d: %v, want the stale 1001 at once", i, v)
		}
	}
	close(release)
	if err := m.Close(); err != nil { // waits for the refresh
		t.Fatal(err)
	}
	if n.Load() != 2 {
		t.Fatalf("%d computations, want the first and one refresh for %d callers", n.Load(), callers)
	}
	if s := m.Stats(); s.Stale != callers || s.Refreshes != 1 || s.RefreshErrors != 0 {
		t.Errorf("Stats %+v, want %d stale hits and 1 refresh", s, callers)
	}
	after := memo(t, fn, opts)
	if v := call(t, after, 1); v != 1002 {
		t.Fatalf("after the refresh: %v, want the refreshed 1002", v)
	}
}

func testWithoutCache(t *testing.T, st *stores.Store, maxAge time.Duration) {
	var n atomic.Int64
	fn := func(ctx context.Context, x int) (int, error) { return x*1000 + int(n.Add(1)), nil }
	name := funcName(t, st, "bypass")
	m := memo(t, fn, persist.Options{Store: st, FuncName: name})
	ctx := context.Background()
	call(t, m, ctx, 1)
	if got := call(t, m, persist.WithoutCache(ctx), 1); got != 1002 {
		t.Fatalf("WithoutCache: %v, want a computation 1002", got)
	}
	call(t, m, persist.WithoutCache(ctx), 2)
	if got, err := st.Len(ctx, name); err != nil || got != 1 {
		t.Fatalf("Len = %d, %v; want 1: WithoutCache writes nothing", got, err)
	}
	if got := call(t, m, ctx, 1); got != 1001 {
		t.Fatalf("after WithoutCache: %v, want the stored 1001", got)
	}
}

func testStats(t *testing.T, st *stores.Store, maxAge time.Duration) {
	var n atomic.Int64
	name := funcName(t, st, "stats")
	m := memo(t, counted(&n), persist.Options{Store: st, FuncName: name})
	call(t, m, 1)
	call(t, m, 1)
	call(t, m, 2)
	call(t, m, 1)
	s := m.Stats()
	if s.Hits != 2 || s.Misses != 2 || s.Computes != 2 || s.Damaged != 0 || s.StoreErrors != 0 {
		t.Errorf("Stats %+v, want 2 hits, 2 misses, 2 computes", s)
	}
	rec, err := st.Read(context.Background(), name, hashOf(t, 1), stores.PartResult)
	if err != nil {
		t.Fatal(err)
	}
	if s.BytesRead != 2*uint64(len(rec.Result)) {
		t.Errorf("BytesRead %d, want two hits of %d bytes", s.BytesRead, len(rec.Result))
	}
	rec2, err := st.Read(context.Background(), name, hashOf(t, 2), stores.PartResult)
	if err != nil {
		t.Fatal(err)
	}
	if s.BytesWritten != uint64(len(rec.Result)+len(rec2.Result)) || s.TimeSaved <= 0 || s.ComputeTime <= 0 {
		t.Errorf("Stats %+v: want the two entries' %d bytes written, and time computed and saved", s, len(rec.Result)+len(rec2.Result))
	}
	// A damaged entry counts once, and is recomputed.
	bad := append([]byte(nil), rec.Result...)
	bad[len(bad)-1] ^= 0xFF
	if err := st.Put(context.Background(), name, hashOf(t, 1), stores.Record{Result: bad}); err != nil {
		t.Fatal(err)
	}
	if got := call(t, m, 1); got != 1003 {
		t.Fatalf("a damaged entry: %v, want a new computation 1003", got)
	}
	if d := m.Stats().Damaged; d != 1 {
		t.Errorf("Stats: %d damaged, want 1", d)
	}
}

func testContains(t *testing.T, st *stores.Store, maxAge time.Duration) {
	var n atomic.Int64
	name := funcName(t, st, "contains")
	m := memo(t, counted(&n), persist.Options{Store: st, FuncName: name, Version: "v1"})
	check := func(want bool, when string) {
		t.Helper()
		got, err := m.Contains(1)
		if err != nil || got != want {
			t.Fatalf("Contains(1) %s = %v, %v; want %v", when, got, err, want)
		}
	}
	check(false, "before any call")
	call(t, m, 1)
	check(true, "after the call")
	other := memo(t, counted(&n), persist.Options{Store: st, FuncName: name, Version: "v2"})
	if got, err := other.Contains(1); err != nil || got {
		t.Fatalf("Contains(1) of another version = %v, %v; want false", got, err)
	}
	rec, err := st.Read(context.Background(), name, hashOf(t, 1), stores.PartResult)
	if err != nil {
		t.Fatal(err)
	}
	bad := append([]byte(nil), rec.Result...)
	bad[len(bad)-1] ^= 0xFF
	if err := st.Put(context.Background(), name, hashOf(t, 1), stores.Record{Result: bad}); err != nil {
		t.Fatal(err)
	}
	check(false, "of a damaged entry")
	if n.Load() != 1 {
		t.Fatalf("%d computations, want 1: Contains computes nothing", n.Load())
	}
}
