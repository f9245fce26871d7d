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
	plain := persist.Options{Cache: "mem://" + t.Name(), FuncName: "triple"}
	full := plain
	full.FuncName, full.Version, full.MaxAge, full.StaleWhileRefresh = "triple_v", "v1", time.Hour, time.Hour
	allocs := func(opts persist.Options) float64 {
		f, memo, err := persist.Wrap1(plainTriple, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer closeMemo(t, memo)
		f(5)
		n := testing.AllocsPerRun(100, func() { f(5) })
		if st := memo.Stats(); st.Hits < 100 {
			t.Fatalf("%d hits counted, want every run's", st.Hits)
		}
		return n
	}
	floor, got := allocs(plain), allocs(full)
	t.Logf("Wrap1 hit on mem: %v allocations plain, %v with Version, MaxAge and StaleWhileRefresh", floor, got)
	if got > floor {
		t.Errorf("Wrap1 hit with Version, MaxAge and StaleWhileRefresh: %v allocations, want the plain hit's %v", got, floor)
	}
}
