package memotest

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopersist/persist"
	"github.com/gopersist/persist/stores"
)

// testSeedSection8 runs the walkthrough's section 8 — start_and_end,
// alternating with StoreKey, exp with Unhash — through persist.Decorate on
// the store, as a user would.
func testSeedSection8(t *testing.T, st *stores.Store, _ time.Duration) {
	type stringArg struct{ String string }
	var computed atomic.Int32
	startAndEnd := memo(t, func(s string) string { computed.Add(1); return s[:1] + s[len(s)-1:] },
		persist.Options{Store: st, FuncName: funcName(t, st, "start_and_end"), Spec: stringArg{}})
	for _, c := range []struct{ in, want string }{{"Hello World!", "H!"}, {"Doctor", "Dr"}, {"Doctor", "Dr"}} {
		if got := call(t, startAndEnd, c.in); got != c.want {
			t.Fatalf("start_and_end(%q) = %v, want %v", c.in, got, c.want)
		}
	}
	if computed.Load() != 2 {
		t.Fatalf("start_and_end computed %d times, want 2", computed.Load())
	}
	if err := startAndEnd.Cache().Delete(persist.KeyOf("string", "Hello World!")); err != nil {
		t.Fatal(err)
	}
	if n, err := startAndEnd.Cache().Len(); n != 1 || err != nil {
		t.Fatalf("Len after Delete = %d, %v; want 1", n, err)
	}

	alternating := memo(t, func(s string) string {
		var b []byte
		for i := 0; i < len(s); i += 2 {
			b = append(b, s[i])
		}
		return string(b)
	}, persist.Options{Store: st, FuncName: funcName(t, st, "alternating"), StoreKey: true, Spec: stringArg{}})
	words := map[string]string{"steadfastness": "sedates", "ballooned": "blond", "biannually": "banal",
		"curliness": "cries", "pursuance": "prune", "situation": "stain", "thesaurus": "tears"}
	var want []string
	for w, a := range words {
		if got := call(t, alternating, w); got != a {
			t.Fatalf("alternating(%q) = %v, want %v", w, got, a)
		}
		want = append(want, fmt.Sprintf("(('string', '%s'),) %s", w, a))
	}
	var items []string
	for it, err := range alternating.Cache().All() {
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, fmt.Sprint(it.Key, " ", it.Value))
	}
	slices.Sort(items)
	slices.Sort(want)
	if !slices.Equal(items, want) {
		t.Fatalf("alternating's items\n%q\nwant\n%q", items, want)
	}

	exp := memo(t, func(x float64) float64 { return math.Pow(2.71828, x) },
		persist.Options{Store: st, FuncName: funcName(t, st, "exp"),
			Key:    func(x float64) float64 { return x },
			Hash:   func(k float64) string { return fmt.Sprintf("e to the %v", k) },
			Unhash: func(s string) (float64, error) { return strconv.ParseFloat(s[len("e to the "):], 64) }})
	for _, x := range []float64{2, -1, 2.0, 3.14} {
		if got := call(t, exp, x); got != math.Pow(2.71828, x) {
			t.Fatalf("exp(%v) = %v", x, got)
		}
	}
	keys := map[float64]bool{}
	for k, err := range exp.Cache().Keys() {
		if err != nil {
			t.Fatal(err)
		}
		keys[k.(float64)] = true
	}
	if len(keys) != 3 || !keys[2] || !keys[-1] || !keys[3.14] {
		t.Fatalf("exp's keys %v, want -1, 2 and 3.14", keys)
	}
}

// testSingleFlightAcrossHandles has two memos, each on a handle of its own
// as on two machines, call one slow function with the same keys from many
// goroutines: the store's lock makes each key computed once. It is skipped
// on a store that cannot lock.
func testSingleFlightAcrossHandles(t *testing.T, open func(t *testing.T) *stores.Store) {
	first := open(t)
	t.Cleanup(func() { _ = first.Close() })
	if !first.CanLock() {
		t.Skip("the store cannot lock: single flight stays within a process")
	}
	name := funcName(t, first, "slow")
	var computed sync.Map // key → *atomic.Int32
	slow := func(x int) int {
		c, _ := computed.LoadOrStore(x, new(atomic.Int32))
		c.(*atomic.Int32).Add(1)
		time.Sleep(100 * time.Millisecond)
		return x * x
	}
	second := open(t)
	t.Cleanup(func() { _ = second.Close() })
	var wg sync.WaitGroup
	for _, st := range []*stores.Store{first, second} {
		m := memo(t, slow, persist.Options{Store: st, FuncName: name})
		for range 4 {
			wg.Go(func() {
				for x := range 3 {
					if got, err := m.Call(x); got != x*x || err != nil {
						t.Errorf("slow(%d) = %v, %v", x, got, err)
					}
				}
			})
		}
	}
	wg.Wait()
	for x := range 3 {
		c, _ := computed.Load(x)
		if n := c.(*atomic.Int32).Load(); n != 1 {
			t.Errorf("key %d computed %d times by two handles, want 1", x, n)
		}
	}
}
