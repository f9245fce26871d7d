package persist_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopersist/persist"
	"github.com/gopersist/persist/stores"
)

// maxAgeOf is the MaxAge a test of ages uses on s: an hour on files, whose
// entries the test makes old by setting their mtime back (Created is the
// .out's mtime), and 50ms in memory, where the test waits.
func maxAgeOf(s lifecycleStore) time.Duration {
	if s.dir != "" {
		return time.Hour
	}
	return 50 * time.Millisecond
}

// makeOld makes the entry of fn under hash older than maxAgeOf(s), but
// not by more than an hour past it.
func makeOld(t *testing.T, s lifecycleStore, fn, hash string) {
	t.Helper()
	if s.dir == "" {
		time.Sleep(2 * maxAgeOf(s))
		return
	}
	old := time.Now().Add(-90 * time.Minute)
	if err := os.Chtimes(filepath.Join(s.dir, fn, hash+".out"), old, old); err != nil {
		t.Fatal(err)
	}
}

func TestMaxAge(t *testing.T) {
	eachStore(t, func(t *testing.T, s lifecycleStore) {
		var n atomic.Int64
		f, memo, err := persist.Wrap1(counted(&n), persist.Options{Cache: s.url, FuncName: "aged", MaxAge: maxAgeOf(s)})
		if err != nil {
			t.Fatal(err)
		}
		defer closeMemo(t, memo)
		if got := f(1); got != 1001 {
			t.Fatalf("f(1) = %d", got)
		}
		if got := f(1); got != 1001 || n.Load() != 1 {
			t.Fatalf("a young entry: %d after %d computations, want the hit", got, n.Load())
		}
		makeOld(t, s, "aged", hashOf(t, 1))
		if got := f(1); got != 1002 {
			t.Fatalf("an entry past MaxAge: %d, want a new computation 1002", got)
		}
		if got := entries(t, s.url, "aged"); got != 1 {
			t.Fatalf("%d entries, want 1 (replaced)", got)
		}
		if got := f(1); got != 1002 || n.Load() != 2 {
			t.Fatalf("after the recomputation: %d after %d computations, want the hit 1002", got, n.Load())
		}
		if got := memo.Stats(); got.Misses != 2 || got.Hits != 2 {
			t.Errorf("Stats: %d misses and %d hits, want 2 and 2", got.Misses, got.Hits)
		}
	})
}

func TestWithMaxAge(t *testing.T) {
	eachStore(t, func(t *testing.T, s lifecycleStore) {
		var n atomic.Int64
		fn := func(ctx context.Context, x int) (int, error) { return x*1000 + int(n.Add(1)), nil }
		// No MaxAge in the options: the context's decides.
		f, memo, err := persist.Wrap2E(fn, persist.Options{Cache: s.url, FuncName: "percall"})
		if err != nil {
			t.Fatal(err)
		}
		defer closeMemo(t, memo)
		ctx := context.Background()
		f(ctx, 1)
		makeOld(t, s, "percall", hashOfCtx(t, 1))
		if got, _ := f(ctx, 1); got != 1001 {
			t.Fatalf("no MaxAge: %d, want the hit 1001 whatever its age", got)
		}
		if got, _ := f(persist.WithMaxAge(ctx, maxAgeOf(s)), 1); got != 1002 {
			t.Fatalf("WithMaxAge: %d, want a new computation 1002", got)
		}
		// WithMaxAge(0) accepts any age, in place of the options' MaxAge.
		g, memo2, err := persist.Wrap2E(fn, persist.Options{Cache: s.url, FuncName: "percall", MaxAge: maxAgeOf(s)})
		if err != nil {
			t.Fatal(err)
		}
		defer closeMemo(t, memo2)
		makeOld(t, s, "percall", hashOfCtx(t, 1))
		if got, _ := g(persist.WithMaxAge(ctx, 0), 1); got != 1002 {
			t.Fatalf("WithMaxAge(0): %d, want the old entry 1002", got)
		}
		if got, _ := g(ctx, 1); got != 1003 {
			t.Fatalf("the options' MaxAge again: %d, want a new computation 1003", got)
		}
	})
}

// swrOptions are options of MaxAge with a grace of StaleWhileRefresh that
// makeOld's entries are within.
func swrOptions(s lifecycleStore, fn string) persist.Options {
	return persist.Options{Cache: s.url, FuncName: fn, MaxAge: maxAgeOf(s), StaleWhileRefresh: 2 * time.Hour}
}

func TestStaleWhileRefresh(t *testing.T) {
	eachStore(t, func(t *testing.T, s lifecycleStore) {
		var n atomic.Int64
		release := make(chan struct{})
		fn := func(x int) int {
			if k := n.Add(1); k > 1 {
				<-release // the refresh waits until every caller has returned
				return x*1000 + int(k)
			}
			return x*1000 + 1
		}
		f, memo, err := persist.Wrap1(fn, swrOptions(s, "swr"))
		if err != nil {
			t.Fatal(err)
		}
		f(1)
		makeOld(t, s, "swr", hashOf(t, 1))
		const callers = 8
		var wg sync.WaitGroup
		got := make([]int, callers)
		for i := range callers {
			wg.Go(func() { got[i] = f(1) })
		}
		wg.Wait() // returns only if no caller waits for the refresh
		for i, v := range got {
			if v != 1001 {
				t.Errorf("caller %d got %d, want the stale 1001 at once", i, v)
			}
		}
		close(release)
		closeMemo(t, memo) // waits for the refresh
		if got := n.Load(); got != 2 {
			t.Fatalf("%d computations, want the first and one refresh across %d callers", got, callers)
		}
		st := memo.Stats()
		if st.Hits != callers || st.Stale != callers || st.Refreshes != 1 || st.RefreshErrors != 0 {
			t.Errorf("Stats %+v, want %d hits, all stale, 1 refresh", st, callers)
		}
		g, memo, err := persist.Wrap1(fn, swrOptions(s, "swr"))
		if err != nil {
			t.Fatal(err)
		}
		defer closeMemo(t, memo)
		if v := g(1); v != 1002 || n.Load() != 2 {
			t.Fatalf("after the refresh: %d after %d computations, want the refreshed 1002, a fresh hit", v, n.Load())
		}
	})
}

func TestStaleRefreshFailureKeepsEntry(t *testing.T) {
	eachStore(t, func(t *testing.T, s lifecycleStore) {
		var n atomic.Int64
		fn := func(x int) (int, error) {
			if n.Add(1) > 1 {
				return 0, errors.New("the source is down")
			}
			return 10 * x, nil
		}
		f, memo, err := persist.Wrap1E(fn, swrOptions(s, "swrfail"))
		if err != nil {
			t.Fatal(err)
		}
		f(1)
		hash := hashOf(t, 1)
		before := stored(t, s.url, "swrfail", hash)
		makeOld(t, s, "swrfail", hash)
		if v, err := f(1); v != 10 || err != nil {
			t.Fatalf("stale call: %d, %v; want 10, nil", v, err)
		}
		closeMemo(t, memo)
		if n.Load() != 2 {
			t.Fatalf("%d computations, want 2 (the refresh ran)", n.Load())
		}
		if st := memo.Stats(); st.Refreshes != 1 || st.RefreshErrors != 1 {
			t.Errorf("Stats: %d refreshes, %d failed; want 1 and 1", st.Refreshes, st.RefreshErrors)
		}
		if after := stored(t, s.url, "swrfail", hash); !bytes.Equal(before, after) {
			t.Error("a failed refresh changed the stored entry")
		}
	})
}

func TestStaleRefreshCopiesArguments(t *testing.T) {
	eachStore(t, func(t *testing.T, s lifecycleStore) {
		var n atomic.Int64
		release := make(chan struct{})
		fn := func(xs []int) int {
			k := n.Add(1)
			if k > 1 {
				<-release // the caller changes its slice meanwhile
			}
			sum := 0
			for _, x := range xs {
				sum += x
			}
			return sum*10 + int(k)
		}
		f, memo, err := persist.Wrap1(fn, swrOptions(s, "swrargs"))
		if err != nil {
			t.Fatal(err)
		}
		xs := []int{1, 2, 3}
		f(xs)
		h, err := persist.Hash(persist.Key{{Name: "arg0", Value: []int{1, 2, 3}}})
		if err != nil {
			t.Fatal(err)
		}
		makeOld(t, s, "swrargs", h)
		if v := f(xs); v != 61 {
			t.Fatalf("stale call: %d, want 61", v)
		}
		xs[0] = 100
		close(release)
		closeMemo(t, memo)
		g, memo, err := persist.Wrap1(fn, swrOptions(s, "swrargs"))
		if err != nil {
			t.Fatal(err)
		}
		defer closeMemo(t, memo)
		if v := g([]int{1, 2, 3}); v != 62 {
			t.Fatalf("refreshed entry of [1 2 3] is %d, want 62, computed from the original arguments", v)
		}
	})
}

// TestStaleRefreshKeepsArgumentTypes: the background refresh calls the
// function with arguments of the types the caller gave, an interface's
// dynamic type included.
func TestStaleRefreshKeepsArgumentTypes(t *testing.T) {
	eachStore(t, func(t *testing.T, s lifecycleStore) {
		var n atomic.Int64
		fn := func(x any) string { return fmt.Sprintf("%T %v #%d", x, x, n.Add(1)) }
		f, memo, err := persist.Wrap1(fn, swrOptions(s, "swrtypes"))
		if err != nil {
			t.Fatal(err)
		}
		f(7)
		h, err := persist.Hash(persist.Key{{Name: "arg0", Value: 7}})
		if err != nil {
			t.Fatal(err)
		}
		makeOld(t, s, "swrtypes", h)
		f(7)
		closeMemo(t, memo)
		g, memo, err := persist.Wrap1(fn, swrOptions(s, "swrtypes"))
		if err != nil {
			t.Fatal(err)
		}
		defer closeMemo(t, memo)
		if v := g(7); v != "int 7 #2" {
			t.Fatalf("refreshed entry is %q, want %q", v, "int 7 #2")
		}
	})
}

// hidden is an argument with unexported fields, which its key hashes.
type hidden struct {
	xs   []int
	name *string
}

// TestStaleRefreshKeepsUnexportedFields: the background refresh computes
// from the whole argument, not from what an encoding of it keeps.
func TestStaleRefreshKeepsUnexportedFields(t *testing.T) {
	eachStore(t, func(t *testing.T, s lifecycleStore) {
		var n atomic.Int64
		fn := func(h hidden) string { return fmt.Sprintf("%v %s #%d", h.xs, *h.name, n.Add(1)) }
		f, memo, err := persist.Wrap1(fn, swrOptions(s, "swrhidden"))
		if err != nil {
			t.Fatal(err)
		}
		name := "n"
		arg := hidden{xs: []int{1, 2}, name: &name}
		f(arg)
		h, err := persist.Hash(persist.Key{{Name: "arg0", Value: arg}})
		if err != nil {
			t.Fatal(err)
		}
		makeOld(t, s, "swrhidden", h)
		f(arg)
		arg.xs[0], name = 9, "changed" // after the call: the refresh must not see it
		closeMemo(t, memo)
		g, memo, err := persist.Wrap1(fn, swrOptions(s, "swrhidden"))
		if err != nil {
			t.Fatal(err)
		}
		defer closeMemo(t, memo)
		orig := "n"
		if v := g(hidden{xs: []int{1, 2}, name: &orig}); v != "[1 2] n #2" {
			t.Fatalf("refreshed entry is %q, want %q", v, "[1 2] n #2")
		}
	})
}

// TestStaleRefreshLeavesInnerCallsAlone: the background refresh of a
// stale entry recomputes that entry, not the fresh results of memoised
// functions that its function calls with the context it is given.
func TestStaleRefreshLeavesInnerCallsAlone(t *testing.T) {
	eachStore(t, func(t *testing.T, s lifecycleStore) {
		var inner, outer atomic.Int64
		in, innerMemo, err := persist.Wrap2E(func(ctx context.Context, x int) (int, error) {
			return x*1000 + int(inner.Add(1)), nil
		}, persist.Options{Cache: s.url, FuncName: "inner"})
		if err != nil {
			t.Fatal(err)
		}
		defer closeMemo(t, innerMemo)
		out, outerMemo, err := persist.Wrap2E(func(ctx context.Context, x int) (int, error) {
			outer.Add(1)
			return in(ctx, x)
		}, swrOptions(s, "outer"))
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		out(ctx, 1)
		makeOld(t, s, "outer", hashOfCtx(t, 1))
		if v, _ := out(ctx, 1); v != 1001 {
			t.Fatalf("stale call: %d, want 1001", v)
		}
		closeMemo(t, outerMemo) // waits for the refresh
		if outer.Load() != 2 || inner.Load() != 1 {
			t.Fatalf("outer computed %d times, inner %d; want 2 and 1 (the inner result is fresh)", outer.Load(), inner.Load())
		}
	})
}

func TestRefresh(t *testing.T) {
	eachStore(t, func(t *testing.T, s lifecycleStore) {
		var n atomic.Int64
		memo, err := persist.Decorate(counted(&n), persist.Options{Cache: s.url, FuncName: "refreshed"})
		if err != nil {
			t.Fatal(err)
		}
		defer closeMemo(t, memo)
		memo.Call(1)
		if v, err := memo.Refresh(1); v != 1002 || err != nil {
			t.Fatalf("Refresh(1) = %v, %v; want a new computation 1002", v, err)
		}
		if v, _ := memo.Call(1); v != 1002 || n.Load() != 2 {
			t.Fatalf("after Refresh: %v after %d computations, want the hit 1002", v, n.Load())
		}
		if got := entries(t, s.url, "refreshed"); got != 1 {
			t.Fatalf("%d entries, want 1", got)
		}
		if st := memo.Stats(); st.Refreshes != 1 {
			t.Errorf("Stats: %d refreshes, want 1", st.Refreshes)
		}
	})
}

func TestWithRefresh(t *testing.T) {
	eachStore(t, func(t *testing.T, s lifecycleStore) {
		var n atomic.Int64
		fn := func(ctx context.Context, x int) (int, error) { return x*1000 + int(n.Add(1)), nil }
		f, memo, err := persist.Wrap2E(fn, persist.Options{Cache: s.url, FuncName: "withrefresh"})
		if err != nil {
			t.Fatal(err)
		}
		defer closeMemo(t, memo)
		ctx := context.Background()
		f(ctx, 1)
		if v, _ := f(persist.WithRefresh(ctx), 1); v != 1002 {
			t.Fatalf("WithRefresh: %d, want a new computation 1002", v)
		}
		if v, _ := f(ctx, 1); v != 1002 || n.Load() != 2 {
			t.Fatalf("after the refresh: %d after %d computations, want the hit 1002", v, n.Load())
		}
	})
}

func TestConcurrentRefreshesShareOneComputation(t *testing.T) {
	eachStore(t, func(t *testing.T, s lifecycleStore) {
		var n atomic.Int64
		release := make(chan struct{})
		fn := func(x int) int {
			k := n.Add(1)
			if k > 1 {
				<-release
			}
			return x*1000 + int(k)
		}
		memo, err := persist.Decorate(fn, persist.Options{Cache: s.url, FuncName: "sharedrefresh"})
		if err != nil {
			t.Fatal(err)
		}
		defer closeMemo(t, memo)
		memo.Call(1)
		const callers = 6
		var wg sync.WaitGroup
		got := make([]any, callers)
		for i := range callers {
			wg.Go(func() { got[i], _ = memo.Refresh(1) })
		}
		// Every refresh has missed (and so joined the one flight or led it)
		// before the computation may end.
		for memo.Stats().Misses < 1+callers {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(20 * time.Millisecond)
		close(release)
		wg.Wait()
		if n.Load() != 2 {
			t.Fatalf("%d computations, want the first and one shared by %d refreshes", n.Load(), callers)
		}
		for i, v := range got {
			if v != 1002 {
				t.Errorf("refresh %d returned %v, want 1002", i, v)
			}
		}
		if st := memo.Stats(); st.Waits != callers-1 {
			t.Errorf("Stats: %d waits, want %d", st.Waits, callers-1)
		}
	})
}

func TestWithoutCache(t *testing.T) {
	eachStore(t, func(t *testing.T, s lifecycleStore) {
		var n atomic.Int64
		fn := func(ctx context.Context, x int) (int, error) { return x*1000 + int(n.Add(1)), nil }
		f, memo, err := persist.Wrap2E(fn, persist.Options{Cache: s.url, FuncName: "bypass"})
		if err != nil {
			t.Fatal(err)
		}
		defer closeMemo(t, memo)
		ctx := context.Background()
		f(ctx, 1)
		before := stored(t, s.url, "bypass", hashOfCtx(t, 1))
		bypass := persist.WithoutCache(ctx)
		if v, _ := f(bypass, 1); v != 1002 {
			t.Fatalf("WithoutCache on a stored key: %d, want a computation 1002", v)
		}
		if v, _ := f(bypass, 2); v != 2003 {
			t.Fatalf("WithoutCache on a new key: %d, want a computation 2003", v)
		}
		if after := stored(t, s.url, "bypass", hashOfCtx(t, 1)); !bytes.Equal(before, after) {
			t.Error("WithoutCache replaced the stored entry")
		}
		if got := entries(t, s.url, "bypass"); got != 1 {
			t.Errorf("%d entries, want 1: WithoutCache must not write", got)
		}
		if st := memo.Stats(); st.Hits != 0 || st.BytesRead != 0 || st.Misses != 1 || st.Computes != 3 {
			t.Errorf("Stats %+v: want no hit and no read, the first call's miss only, and 3 runs of the function", st)
		}
		if v, _ := f(ctx, 1); v != 1001 {
			t.Fatalf("without the bypass: %d, want the stored 1001", v)
		}
	})
}

func TestContains(t *testing.T) {
	eachStore(t, func(t *testing.T, s lifecycleStore) {
		var n atomic.Int64
		memo, err := persist.Decorate(counted(&n), persist.Options{Cache: s.url, FuncName: "contains", Version: "v1"})
		if err != nil {
			t.Fatal(err)
		}
		defer closeMemo(t, memo)
		check := func(want bool, when string) {
			t.Helper()
			got, err := memo.Contains(1)
			if err != nil || got != want {
				t.Fatalf("Contains(1) %s = %v, %v; want %v", when, got, err, want)
			}
		}
		check(false, "before any call")
		memo.Call(1)
		check(true, "after the call")
		if _, err := memo.Contains("one"); err == nil {
			t.Error("Contains of an argument of the wrong type: no error")
		}
		hash := hashOf(t, 1)
		st := openStore(t, s.url)
		rec, err := st.Get(context.Background(), "contains", hash)
		if err != nil {
			t.Fatal(err)
		}
		damaged := bytes.Clone(rec.Result)
		damaged[len(damaged)-1] ^= 0xFF
		if err := st.Put(context.Background(), "contains", hash, stores.Record{Result: damaged}); err != nil {
			t.Fatal(err)
		}
		check(false, "of a damaged entry")
		// An entry of another version is no answer either.
		other, err := persist.Decorate(counted(&n), persist.Options{Store: st, FuncName: "contains_other", Version: "v2"})
		if err != nil {
			t.Fatal(err)
		}
		defer closeMemo(t, other)
		if err := st.Put(context.Background(), "contains_other", hash, stores.Record{Result: rec.Result}); err != nil {
			t.Fatal(err)
		}
		if got, err := other.Contains(1); got || err != nil {
			t.Fatalf("Contains of an entry of another version = %v, %v; want false", got, err)
		}
		if n.Load() != 1 {
			t.Fatalf("%d computations, want 1: Contains computes nothing", n.Load())
		}
		if got := memo.Stats(); got.Hits != 0 {
			t.Errorf("Contains counted %d hits, want none", got.Hits)
		}
	})
}

// TestMapResultHonoursContext: MapResult, which can read a result in place
// from the store's file, does what a call's context asks as a call does.
func TestMapResultHonoursContext(t *testing.T) {
	var n atomic.Int64
	fn := func(ctx context.Context, x int) ([]float64, error) {
		k := n.Add(1)
		out := make([]float64, 2048) // 16 KiB, stored uncompressed: mapped in place
		for i := range out {
			out[i] = float64(k) + 1/float64(i+3)
		}
		return out, nil
	}
	memo, err := persist.Decorate(fn, persist.Options{Cache: t.TempDir(), FuncName: "mapped"})
	if err != nil {
		t.Fatal(err)
	}
	defer closeMemo(t, memo)
	ctx := context.Background()
	first := func(ctx context.Context) float64 {
		t.Helper()
		r, err := persist.MapResult[float64](memo, ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		return float64(int(r.Values()[0]))
	}
	if v := first(ctx); v != 1 || n.Load() != 1 {
		t.Fatalf("first MapResult: computation %v of %d, want 1 of 1", v, n.Load())
	}
	if v := first(ctx); v != 1 || n.Load() != 1 {
		t.Fatalf("second MapResult: computation %v of %d, want the stored 1", v, n.Load())
	}
	if v := first(persist.WithRefresh(ctx)); v != 2 {
		t.Errorf("MapResult under WithRefresh: computation %v, want a new one, 2", v)
	}
	if v := first(persist.WithoutCache(ctx)); v != float64(n.Load()) || v == first(ctx) {
		t.Errorf("MapResult under WithoutCache: computation %v, want a new one (%d computations)", v, n.Load())
	}
	time.Sleep(5 * time.Millisecond)
	before := n.Load()
	if v := first(persist.WithMaxAge(ctx, time.Millisecond)); v != float64(before+1) {
		t.Errorf("MapResult under WithMaxAge(1ms) of an older entry: computation %v, want a new one, %d", v, before+1)
	}
}

// TestStaleWhileRefreshGeneralPath: with StoreKey, hits take the general
// path (call.go's lookup), which refreshes as the fast one does.
func TestStaleWhileRefreshGeneralPath(t *testing.T) {
	eachStore(t, func(t *testing.T, s lifecycleStore) {
		var n atomic.Int64
		opts := swrOptions(s, "swrgeneral")
		opts.StoreKey = true
		memo, err := persist.Decorate(counted(&n), opts)
		if err != nil {
			t.Fatal(err)
		}
		memo.Call(1)
		makeOld(t, s, "swrgeneral", hashOf(t, 1))
		if v, err := memo.Call(1); v != 1001 || err != nil {
			t.Fatalf("stale call: %v, %v; want the stale 1001", v, err)
		}
		if ok, err := memo.Contains(1); !ok || err != nil {
			t.Fatalf("Contains of a stale entry: %v, %v; want true", ok, err)
		}
		closeMemo(t, memo)
		if st := memo.Stats(); n.Load() != 2 || st.Stale != 1 || st.Refreshes != 1 {
			t.Fatalf("%d computations, Stats %+v; want 2, one stale hit, one refresh", n.Load(), st)
		}
		memo, err = persist.Decorate(counted(&n), opts)
		if err != nil {
			t.Fatal(err)
		}
		defer closeMemo(t, memo)
		if v, _ := memo.Call(1); v != 1002 {
			t.Fatalf("after the refresh: %v, want 1002", v)
		}
		// Past the grace too: a miss, and Contains says so.
		opts.StaleWhileRefresh = 0
		strict, err := persist.Decorate(counted(&n), opts)
		if err != nil {
			t.Fatal(err)
		}
		defer closeMemo(t, strict)
		makeOld(t, s, "swrgeneral", hashOf(t, 1))
		if ok, err := strict.Contains(1); ok || err != nil {
			t.Fatalf("Contains of an entry past MaxAge: %v, %v; want false", ok, err)
		}
	})
}
