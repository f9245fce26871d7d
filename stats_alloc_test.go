//go:build !race

package persist_test

import (
	"testing"
	"time"

	"github.com/gopersist/persist"
)

// TestLifecycleHitAllocations: a hit with a Version, a MaxAge and a grace
// of StaleWhileRefresh, and its Stats counted, allocates what a plain hit
// does (TestHitAllocations): the stamp is read in place, the age is a
// comparison, the counters are atomic.
func TestLifecycleHitAllocations(t *testing.T) {
	plain := persist.Options{Cache: memURL(t), FuncName: "triple"}
	full := plain
	full.FuncName, full.Version, full.MaxAge, full.StaleWhileRefresh = "triple_v", "v1", time.Hour, time.Hour
	for _, form := range []string{"Wrap1", "Func"} {
		allocs := func(opts persist.Options) float64 {
			opts.FuncName += form
			f, memo, err := persist.Wrap1(plainTriple, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer closeMemo(t, memo)
			if form == "Func" {
				f = memo.Func().(func(int) int)
			}
			f(5)
			before := memo.Stats().Hits
			n := testing.AllocsPerRun(100, func() { f(5) })
			if hits := memo.Stats().Hits - before; hits < 100 {
				t.Fatalf("%d hits counted, want every run's", hits)
			}
			return n
		}
		floor, got := allocs(plain), allocs(full)
		t.Logf("%s hit on mem: %v allocations plain, %v with Version, MaxAge and StaleWhileRefresh", form, floor, got)
		if got > floor {
			t.Errorf("%s hit with Version, MaxAge and StaleWhileRefresh: %v allocations, want the plain hit's %v", form, got, floor)
		}
	}
}
